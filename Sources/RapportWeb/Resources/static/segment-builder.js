// The segment rule builder: groups ("All of / Any of / None of these") of condition rows (a field picked from the
// workspace's traits, events, orders, activity dates and RFM scores; an operator that fits the field; a value input
// of the right type). It writes the rule's JSON into the form's textarea, which is what the form posts: without
// JavaScript the textarea is the form, and with it the textarea stays under "Advanced: edit as JSON". As the rule
// changes, a debounced POST to /api/v1/segments/preview (the same evaluator as a refresh) shows how many customers
// match, or why the rule is not complete yet.
(function segmentBuilder() {
  var form = document.querySelector("form[data-segment-form]");
  if (!form || !window.fetch || !window.JSON || !Array.prototype.forEach) return;
  var host = form.querySelector("[data-rule-builder]");
  var textarea = form.querySelector("textarea[name=rule]");
  var details = form.querySelector("[data-rule-json]");
  var applyButton = form.querySelector("[data-rule-json-apply]");
  var countBox = form.querySelector("[data-segment-count]");
  var csrfMeta = document.querySelector("meta[name=csrf-token]");
  var known = {};
  try { known = JSON.parse(host.getAttribute("data-fields") || "{}"); } catch (e) { known = {}; }
  var traits = (known.traits || []).slice(), events = (known.events || []).slice();

  // Field kinds and the operators each takes, in the words the list shows.
  var OPS = {
    trait: [["eq", "is"], ["neq", "is not"], ["contains", "contains"], ["in", "is one of"], ["exists", "is set"],
      ["not_exists", "is not set"], ["gt", "is more than"], ["gte", "is at least"], ["lt", "is less than"],
      ["lte", "is at most"], ["before", "is before (date)"], ["after", "is after (date)"]],
    event: [["gte", "at least"], ["lte", "at most"], ["eq", "exactly"], ["gt", "more than"], ["lt", "fewer than"],
      ["neq", "other than"]],
    number: [["gte", "is at least"], ["lte", "is at most"], ["eq", "is exactly"], ["gt", "is more than"],
      ["lt", "is less than"], ["neq", "is not"]],
    date: [["within_days", "in the last … days"], ["before", "before"], ["after", "after"], ["exists", "at any time"],
      ["not_exists", "never"]]
  };
  var FIXED = [
    ["Orders", [["orders.count", "Number of orders", "number"], ["orders.revenue", "Revenue (total spent)", "number"],
      ["orders.last_order_at", "Last order", "date"]]],
    ["Activity", [["last_seen_at", "Last seen", "date"], ["first_seen_at", "First seen", "date"]]],
    ["RFM scores", [["rfm.score", "RFM score (3–15, 0 without orders)", "number"],
      ["rfm.recency", "RFM recency (1–5)", "number"], ["rfm.frequency", "RFM frequency (1–5)", "number"],
      ["rfm.monetary", "RFM monetary (1–5)", "number"]]]
  ];
  var MAX_DEPTH = 3;

  function label(name) {
    var words = String(name).replace(/([a-z])([A-Z])/g, "$1 $2").replace(/[_.\-]+/g, " ").trim().toLowerCase();
    return words ? words.charAt(0).toUpperCase() + words.slice(1) : name;
  }
  function kindOf(field) {
    if (/^trait\./.test(field)) return "trait";
    if (/^event\..+\.count$/.test(field)) return "event";
    for (var g = 0; g < FIXED.length; g++) {
      for (var i = 0; i < FIXED[g][1].length; i++) if (FIXED[g][1][i][0] === field) return FIXED[g][1][i][2];
    }
    return null;
  }
  function nodeKind(node) { return node.custom || kindOf(node.field); }
  function valueType(kind, op) {
    if (op === "exists" || op === "not_exists") return "none";
    if (op === "before" || op === "after") return "date";
    if (op === "within_days") return "days";
    if (op === "in") return "list";
    if (kind === "trait" && ["eq", "neq", "contains"].indexOf(op) >= 0) return "text";
    return "number";
  }

  // The model: groups {type, mode: all|any|none, children} and conditions {type, field, op, value, days, custom}.
  var uid = 0;
  function group(mode, children) { return { type: "group", id: "g" + (++uid), mode: mode, children: children || [] }; }
  function condition(field, op, value, days) {
    return { type: "cond", id: "c" + (++uid), field: field || "", op: op || "", value: value == null ? "" : value,
      days: days == null ? "" : String(days), custom: "" };
  }
  function fromJSON(json, top) {
    if (json && typeof json === "object" && !Array.isArray(json)) {
      if (Array.isArray(json.all) || Array.isArray(json.any)) {
        var mode = json.all ? "all" : "any";
        return group(mode, (json.all || json.any).map(function (item) { return fromJSON(item, false); }));
      }
      if (json.not !== undefined) {
        var inner = json.not;
        if (inner && Array.isArray(inner.any)) return group("none", inner.any.map(function (i) { return fromJSON(i, false); }));
        return group("none", [fromJSON(inner, false)]);
      }
      var value = json.value;
      if (Array.isArray(value)) value = value.join(", ");
      else if (value != null && typeof value === "object") value = JSON.stringify(value);
      else if (value != null && (json.op === "before" || json.op === "after")) value = String(value).slice(0, 10);
      var made = condition(String(json.field || ""), String(json.op || ""), value == null ? "" : String(value), json.within_days);
      remember(made.field);
      return top ? group("all", [made]) : made;
    }
    return top ? group("all", []) : condition();
  }
  // A trait or event the rule names but the workspace's profiles no longer show is still offered.
  function remember(field) {
    var trait = /^trait\.(.+)$/.exec(field), event = /^event\.(.+)\.count$/.exec(field);
    if (trait && traits.indexOf(trait[1]) < 0) traits.push(trait[1]);
    if (event && events.indexOf(event[1]) < 0) events.push(event[1]);
  }

  // The JSON form, and where each condition sits in it (for the server's error paths, e.g. "rule.all[1].value").
  var paths = {};
  function toJSON(node, path) {
    if (node.type === "cond") {
      paths[path] = node.id;
      var out = { field: node.field, op: node.op };
      var type = valueType(nodeKind(node), node.op);
      var raw = String(node.value).trim();
      if (type === "list") out.value = raw.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
      else if (type === "number" || type === "days") { if (raw !== "") out.value = isFinite(Number(raw)) ? Number(raw) : raw; }
      else if (type !== "none" && raw !== "") out.value = raw;
      if (nodeKind(node) === "event" && String(node.days).trim() !== "") {
        out.within_days = isFinite(Number(node.days)) ? Number(node.days) : node.days;
      }
      return out;
    }
    var key = node.mode === "any" ? "any" : "all";
    if (node.mode === "none") {
      if (node.children.length === 1) return { not: toJSON(node.children[0], path + ".not") };
      return { not: { any: node.children.map(function (c, i) { return toJSON(c, path + ".not.any[" + i + "]"); }) } };
    }
    var result = {};
    result[key] = node.children.map(function (c, i) { return toJSON(c, path + "." + key + "[" + i + "]"); });
    return result;
  }
  function ruleText() {
    paths = {};
    if (!root.children.length) return "";
    return JSON.stringify(toJSON(root, "rule"));
  }

  var root;
  function load(text) {
    var parsed = null;
    if (text.trim()) { try { parsed = JSON.parse(text); } catch (e) { return false; } }
    root = parsed ? fromJSON(parsed, true) : group("all", [condition()]);
    if (root.type !== "group") root = group("all", [root]);
    return true;
  }

  // Rendering. Structural changes draw the builder again and put the focus where the person expects it.
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "className") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function option(value, text, selected) {
    var o = el("option", { value: value, text: text });
    if (selected) o.selected = true;
    return o;
  }
  function fieldSelect(node, id) {
    var select = el("select", { id: id, "data-part": "field" });
    select.appendChild(option("", "Choose a field…", !node.field));
    var traitGroup = el("optgroup", { label: "Customer traits" });
    traits.slice().sort().forEach(function (t) {
      traitGroup.appendChild(option("trait." + t, label(t), node.field === "trait." + t && !node.custom));
    });
    traitGroup.appendChild(option("trait:custom", "Another trait…", node.custom === "trait"));
    select.appendChild(traitGroup);
    var eventGroup = el("optgroup", { label: "Events (how many times)" });
    events.slice().sort().forEach(function (e) {
      eventGroup.appendChild(option("event." + e + ".count", e, node.field === "event." + e + ".count" && !node.custom));
    });
    eventGroup.appendChild(option("event:custom", "Another event…", node.custom === "event"));
    select.appendChild(eventGroup);
    FIXED.forEach(function (g) {
      var og = el("optgroup", { label: g[0] });
      g[1].forEach(function (f) { og.appendChild(option(f[0], f[1], node.field === f[0])); });
      select.appendChild(og);
    });
    return select;
  }
  function describeRow(index) { return "Condition " + (index + 1); }

  function renderCondition(node, index, parent, depth) {
    var kind = nodeKind(node);
    var row = el("div", { className: "rule-row", role: "group", "aria-label": describeRow(index), id: node.id });
    var fieldId = node.id + "-field", opId = node.id + "-op", valueId = node.id + "-value";
    row.appendChild(el("div", { className: "rule-part" }, [el("label", { "for": fieldId, text: "Field" }), fieldSelect(node, fieldId)]));
    if (node.custom) {
      var customId = node.id + "-custom";
      var name = node.custom === "trait" ? node.field.replace(/^trait\./, "") : node.field.replace(/^event\./, "").replace(/\.count$/, "");
      row.appendChild(el("div", { className: "rule-part" }, [
        el("label", { "for": customId, text: node.custom === "trait" ? "Trait name" : "Event name" }),
        el("input", { id: customId, type: "text", value: name, "data-part": "custom", autocomplete: "off" })]));
    }
    if (kind) {
      var ops = el("select", { id: opId, "data-part": "op" });
      OPS[kind].forEach(function (o) { ops.appendChild(option(o[0], o[1], node.op === o[0])); });
      row.appendChild(el("div", { className: "rule-part" }, [el("label", { "for": opId, text: kind === "event" ? "How many times" : "Condition" }), ops]));
      var type = valueType(kind, node.op);
      if (type !== "none") {
        var attrs = { id: valueId, "data-part": "value", value: node.value, autocomplete: "off" };
        var valueLabel = "Value";
        if (type === "number") { attrs.type = "number"; attrs.step = "any"; attrs.inputmode = "decimal"; valueLabel = kind === "event" ? "Times" : "Number"; }
        if (type === "days") { attrs.type = "number"; attrs.min = "0"; attrs.step = "1"; attrs.inputmode = "numeric"; valueLabel = "Days"; }
        if (type === "date") { attrs.type = "date"; valueLabel = "Date"; }
        if (type === "list") { attrs.type = "text"; attrs["aria-describedby"] = node.id + "-list-hint"; valueLabel = "Values"; }
        if (type === "text") attrs.type = "text";
        var part = el("div", { className: "rule-part" }, [el("label", { "for": valueId, text: valueLabel }), el("input", attrs)]);
        if (type === "list") part.appendChild(el("span", { className: "hint", id: node.id + "-list-hint", text: "Separate values with commas." }));
        row.appendChild(part);
      }
      if (kind === "event") {
        var daysId = node.id + "-days";
        row.appendChild(el("div", { className: "rule-part" }, [
          el("label", { "for": daysId, text: "In the last … days" }),
          el("input", { id: daysId, type: "number", min: "1", max: "3650", step: "1", inputmode: "numeric",
            value: node.days, placeholder: "all time", "data-part": "days", "aria-describedby": daysId + "-hint" }),
          el("span", { className: "hint", id: daysId + "-hint", text: "Empty: all time." })]));
      }
    }
    var remove = el("button", { type: "button", className: "secondary small", "data-action": "remove", "data-target": node.id,
      "aria-label": "Remove " + describeRow(index).toLowerCase(), text: "Remove" });
    row.appendChild(el("div", { className: "rule-part rule-remove" }, [remove]));
    row.appendChild(el("p", { className: "field-error", id: node.id + "-error", "aria-live": "polite" }));
    return row;
  }

  function renderGroup(node, depth, index) {
    var isRoot = depth === 0;
    var fieldset = el("fieldset", { className: "rule-group" + (isRoot ? " root" : ""), id: node.id });
    fieldset.appendChild(el("legend", { text: isRoot ? "Customers who match" : "Group " + (index + 1) }));
    var modeId = node.id + "-mode";
    var mode = el("select", { id: modeId, "data-part": "mode" }, [
      option("all", "All of these (and)", node.mode === "all"), option("any", "Any of these (or)", node.mode === "any"),
      option("none", "None of these (exclude)", node.mode === "none")]);
    fieldset.appendChild(el("div", { className: "rule-part rule-mode" }, [el("label", { "for": modeId, text: "Match" }), mode]));
    var list = el("div", { className: "rule-children" });
    node.children.forEach(function (child, i) {
      list.appendChild(child.type === "group" ? renderGroup(child, depth + 1, i) : renderCondition(child, i, node, depth));
    });
    if (!node.children.length) list.appendChild(el("p", { className: "muted", text: "No conditions yet." }));
    fieldset.appendChild(list);
    var actions = el("div", { className: "actions rule-actions" }, [
      el("button", { type: "button", className: "secondary", "data-action": "add-condition", "data-target": node.id,
        id: node.id + "-add", text: isRoot ? "Add condition" : "Add condition to group " + (index + 1) })]);
    if (depth + 1 < MAX_DEPTH) {
      actions.appendChild(el("button", { type: "button", className: "secondary", "data-action": "add-group", "data-target": node.id,
        text: isRoot ? "Add group" : "Add group inside group " + (index + 1) }));
    }
    if (!isRoot) {
      actions.appendChild(el("button", { type: "button", className: "secondary", "data-action": "remove", "data-target": node.id,
        text: "Remove group " + (index + 1) }));
    }
    fieldset.appendChild(actions);
    return fieldset;
  }

  function render(focusId) {
    host.textContent = "";
    host.appendChild(renderGroup(root, 0, 0));
    if (focusId) {
      var target = document.getElementById(focusId);
      if (target) target.focus();
    }
  }

  function find(id, node, parent) {
    node = node || root;
    if (node.id === id) return { node: node, parent: parent };
    if (node.type !== "group") return null;
    for (var i = 0; i < node.children.length; i++) {
      var found = find(id, node.children[i], node);
      if (found) return found;
    }
    return null;
  }

  // The textarea follows the builder; the count follows the textarea.
  function changed() {
    textarea.value = ruleText();
    textarea.removeAttribute("aria-invalid");
    scheduleCount();
  }

  host.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-action]") : null;
    if (!button) return;
    var found = find(button.getAttribute("data-target"));
    if (!found) return;
    var action = button.getAttribute("data-action");
    if (action === "add-condition") {
      var made = condition();
      found.node.children.push(made);
      render(made.id + "-field");
    } else if (action === "add-group") {
      var inner = condition(), made2 = group(found.node.mode === "any" ? "all" : "any", [inner]);
      found.node.children.push(made2);
      render(inner.id + "-field");
    } else if (action === "remove" && found.parent) {
      var siblings = found.parent.children, at = siblings.indexOf(found.node);
      siblings.splice(at, 1);
      // Focus moves to the row that took its place, else the one before it, else the group's "Add condition".
      var next = siblings[at] || siblings[at - 1];
      render(next ? next.id + (next.type === "group" ? "-mode" : "-field") : found.parent.id + "-add");
      announce(found.node.type === "group" ? "Group removed." : "Condition removed.");
    }
    changed();
  });

  host.addEventListener("change", function (event) { edit(event, true); });
  host.addEventListener("input", function (event) { edit(event, false); });
  function edit(event, committed) {
    var control = event.target, part = control.getAttribute("data-part");
    if (!part) return;
    var holder = control.closest(".rule-row, .rule-group");
    var found = holder && find(holder.id);
    if (!found) return;
    var node = found.node;
    if (part === "mode" && committed) {
      node.mode = control.value;
    } else if (part === "field" && committed) {
      var value = control.value, before = nodeKind(node);
      node.custom = value === "trait:custom" ? "trait" : value === "event:custom" ? "event" : "";
      node.field = value === "trait:custom" ? "trait." : value === "event:custom" ? "event..count" : value;
      var kind = nodeKind(node);
      if (kind !== before) { node.op = kind ? OPS[kind][0][0] : ""; node.value = ""; node.days = ""; }
      render(node.custom ? node.id + "-custom" : node.id + "-field");
    } else if (part === "custom") {
      node.field = node.custom === "trait" ? "trait." + control.value.trim() : "event." + control.value.trim() + ".count";
    } else if (part === "op" && committed) {
      var oldType = valueType(nodeKind(node), node.op);
      node.op = control.value;
      if (valueType(nodeKind(node), node.op) !== oldType) {
        node.value = "";
        render(node.id + "-op");
      }
    } else if (part === "value") {
      node.value = control.value;
    } else if (part === "days") {
      node.days = control.value;
    } else {
      return;
    }
    changed();
  }

  // Live count: debounced, one request at a time (a change made meanwhile is counted when the answer comes).
  var timer = null, inFlight = false, again = false;
  function scheduleCount() {
    clearTimeout(timer);
    timer = setTimeout(count, 450);
  }
  function count() {
    if (inFlight) { again = true; return; }
    var text = textarea.value.trim();
    clearErrors();
    if (!text) { show("Add a condition to see how many customers match.", false); return; }
    var rule;
    try { rule = JSON.parse(text); } catch (e) { show("The JSON is not complete yet.", true); return; }
    var body = { rule: rule, sample_size: 0 };
    var segmentId = form.getAttribute("data-segment-id");
    if (segmentId) body.segment_id = segmentId;
    inFlight = true;
    countBox.setAttribute("aria-busy", "true");
    fetch("/api/v1/segments/preview", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json",
        "X-CSRF-Token": csrfMeta ? csrfMeta.getAttribute("content") : "" },
      body: JSON.stringify(body)
    })
      .then(function (response) {
        return response.json().then(function (json) { return { ok: response.ok, json: json }; });
      })
      .then(function (answer) {
        if (answer.ok) {
          var n = answer.json.count, words = n === 1 ? "1 customer matches" : n.toLocaleString() + " customers match";
          if (answer.json.segment) {
            var m = answer.json.segment.member_count;
            words += " (the segment has " + m.toLocaleString() + (m === 1 ? " member" : " members") + " now)";
          }
          show(words + ".", false);
        } else {
          var error = answer.json && answer.json.error;
          show("Not counted yet: " + (error ? error.message : "the rule could not be checked."), true);
          if (error && error.details && error.details.field) markError(error.details.field, error.message);
        }
      })
      .catch(function () { show("The count could not be fetched; it will be tried again after the next change.", true); })
      .then(function () {
        inFlight = false;
        countBox.removeAttribute("aria-busy");
        if (again) { again = false; count(); }
      });
  }
  function show(text, problem) {
    countBox.hidden = false;
    countBox.textContent = text;
    countBox.classList.toggle("problem", !!problem);
  }
  var liveNote = el("p", { className: "visually-hidden", role: "status" });
  form.appendChild(liveNote);
  function announce(text) { liveNote.textContent = text; }

  // An error path names a condition ("rule.all[1].value"): the row says what is wrong and the control is marked.
  function clearErrors() {
    host.querySelectorAll("[aria-invalid]").forEach(function (c) { c.removeAttribute("aria-invalid"); });
    host.querySelectorAll(".rule-row > .field-error").forEach(function (p) { p.textContent = ""; });
  }
  function markError(field, message) {
    var match = /^(.*?)(?:\.(field|op|value|within_days))?$/.exec(field);
    var rowId = paths[match[1]], part = match[2] || "field";
    if (!rowId) return;
    var row = document.getElementById(rowId);
    if (!row) return;
    var control = row.querySelector("[data-part=" + ({ field: "field", op: "op", value: "value", within_days: "days" }[part]) + "]")
      || row.querySelector("[data-part=field]");
    if (control) {
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", rowId + "-error");
    }
    var note = row.querySelector(".field-error");
    if (note) note.textContent = message;
  }

  // Advanced: the JSON, editable; "Use this JSON in the builder" draws it again.
  textarea.addEventListener("input", function () {
    if (applyButton) applyButton.hidden = false;
    scheduleCount();
  });
  if (applyButton) {
    applyButton.addEventListener("click", function () {
      if (load(textarea.value)) {
        render();
        applyButton.hidden = true;
        announce("The builder now shows the JSON's rule.");
        scheduleCount();
      } else {
        show("The JSON is not valid, so the builder cannot show it.", true);
      }
    });
  }

  // Start: the builder shows the form's rule (the one posted back after an error, or the saved one). A rule that is
  // not JSON (typed without the builder) stays in the open textarea.
  if (load(textarea.value)) {
    host.hidden = false;
    if (details) details.open = false;
    render();
    var serverError = form.querySelector("#segment-form-error");
    if (serverError) {
      ruleText();
      var field = serverError.getAttribute("data-field");
      if (field) markError(field, serverError.textContent);
      serverError.focus();
    }
    if (textarea.value.trim()) count();
    else show("Choose a field to start: the number of matching customers shows here.", false);
  } else {
    host.hidden = true;
    if (details) details.open = true;
  }
})();
