/*
 * widget.js: Rapport's survey widget, for the customer's own site (docs/surveys.md, "Web widget").
 *
 *   <script src="https://rapport.example.com/rapport.js" data-write-key="rk_…"></script>
 *   <script src="https://rapport.example.com/widget.js"></script>
 *   <script>rapport.identify("user-42", { email: "ann@example.com" }, { userHash: "…" });</script>
 *
 * Once the visitor is identified (rapport.identify), it asks Rapport whether an active survey should show on this
 * page now (`POST /v1/widget/check`, with the page's address, the events tracked in this page session and the time
 * on the page and on the site). Rapport applies the survey's targeting rule and the contact rules and answers with a
 * survey or with when to ask again (after some seconds, or after one of some events). The survey shows one question at
 * a time in a small non-modal dialog (native radio buttons and text fields, labelled, usable with the keyboard; Escape
 * or the close button closes it), each answer is saved as it is given (`/v1/widget/answer`) and the questions it
 * reveals follow. Closing it unanswered tells Rapport (`/v1/widget/dismiss`), which holds the survey back.
 * Texts are set with textContent only: nothing from the server is parsed as HTML.
 */
(function (window, document) {
  "use strict";
  if (window.rapportWidget) return;
  var script = document.currentScript;
  var scriptHost = script ? new URL(script.src, location.href).origin : "";
  var SITE_START = "rapport_widget_site_start";
  var MAX_EVENTS = 50;
  var pageStart = Date.now();
  var siteStart = readSiteStart();
  var events = [];
  var watched = [];
  var checking = false;
  var again = false;
  var timer = null;
  var showing = null;
  var ids = 0;

  function readSiteStart() {
    try {
      var stored = Number(window.sessionStorage.getItem(SITE_START));
      if (stored) return stored;
      window.sessionStorage.setItem(SITE_START, String(Date.now()));
    } catch (e) { /* storage off: the site's time is the page's */ }
    return Date.now();
  }

  function seconds(since) { return Math.max(0, Math.floor((Date.now() - since) / 1000)); }
  function client() { return window.rapport && window.rapport.user ? window.rapport : null; }
  function host() { var r = client(); return (r && r.settings().host) || scriptHost; }

  // text/plain keeps each request "simple" (no CORS preflight); the server reads the body as JSON.
  function post(path, body) {
    return fetch(host() + path, { method: "POST", headers: { "Content-Type": "text/plain" }, body: JSON.stringify(body) })
      .then(function (response) {
        return response.json().then(function (json) { return { status: response.status, json: json }; });
      });
  }

  function check() {
    var r = client();
    if (!r || showing) return;
    var user = r.user();
    if (!user.userId) return;
    if (checking) { again = true; return; }
    checking = true;
    again = false;
    clearTimeout(timer);
    // The identify (and events) queued by rapport.js reach Rapport before the question about them.
    Promise.resolve(r.flush()).then(function () {
      var body = { write_key: r.settings().writeKey, user_id: user.userId, url: location.href, events: events,
                   seconds_on_page: seconds(pageStart), seconds_on_site: seconds(siteStart) };
      if (user.userHash) body.user_hash = user.userHash;
      return post("/v1/widget/check", body);
    }).then(function (answer) {
      checking = false;
      if (answer.status !== 200) return;
      if (answer.json.survey) { show(answer.json.survey); return; }
      watched = answer.json.events || [];
      var seen = watched.some(function (name) { return events.indexOf(name) >= 0; });
      if (again || seen) { check(); return; }
      if (answer.json.retry_after_seconds) timer = setTimeout(check, answer.json.retry_after_seconds * 1000 + 250);
    }, function () { checking = false; });
  }

  function noticed(message) {
    if (message.type === "track" && typeof message.event === "string") {
      if (events.indexOf(message.event) < 0 && events.length < MAX_EVENTS) events.push(message.event);
      if (watched.indexOf(message.event) >= 0) check();
    } else if (message.type === "identify") {
      check();
    }
  }

  // ---- The dialog -------------------------------------------------------------------------------------------

  var CSS = [
    ".rapport-widget{position:fixed;bottom:16px;z-index:2147483000;box-sizing:border-box;width:360px;max-width:calc(100vw - 16px);",
    "max-height:calc(100vh - 32px);overflow:auto;background:#fff;color:#1a1a1a;border:1px solid #6b7280;border-radius:10px;",
    "box-shadow:0 8px 28px rgba(0,0,0,.25);padding:16px;font:16px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;text-align:left}",
    ".rapport-widget--bottom_right{right:16px}.rapport-widget--bottom_left{left:16px}",
    "@media (max-width:480px){.rapport-widget{left:8px;right:8px;bottom:8px;width:auto;max-width:none}}",
    ".rapport-widget *{box-sizing:border-box;font:inherit;color:inherit}",
    ".rapport-widget:focus{outline:none}.rapport-widget:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}",
    ".rapport-widget__top{display:flex;justify-content:space-between;align-items:flex-start;gap:8px;margin:0 0 8px}",
    ".rapport-widget__from{margin:0;font-size:14px;color:#374151}",
    ".rapport-widget__close{flex:none;width:32px;height:32px;border:1px solid #6b7280;border-radius:6px;background:#fff;cursor:pointer;line-height:1;font-size:20px;padding:0}",
    ".rapport-widget fieldset{border:0;margin:0;padding:0;min-width:0}",
    ".rapport-widget legend,.rapport-widget__label{display:block;font-weight:600;margin:0 0 10px;padding:0}",
    ".rapport-widget__scale{display:flex;gap:3px}.rapport-widget__scale--words{flex-direction:column}",
    ".rapport-widget__option{flex:1 1 0;min-width:0;position:relative}",
    ".rapport-widget__option input{position:absolute;opacity:0;width:1px;height:1px;margin:0}",
    ".rapport-widget__option label{display:block;min-height:32px;padding:5px 2px;border:1px solid #6b7280;border-radius:6px;text-align:center;cursor:pointer;background:#fff}",
    ".rapport-widget__scale--words .rapport-widget__option label{text-align:left;padding:6px 10px}",
    ".rapport-widget__option input:checked+label{background:#1d4ed8;border-color:#1d4ed8;color:#fff}",
    ".rapport-widget__option input:focus-visible+label{outline:3px solid #1d4ed8;outline-offset:2px}",
    ".rapport-widget__ends{display:flex;justify-content:space-between;gap:8px;margin:6px 0 0;font-size:13px;color:#374151}",
    ".rapport-widget textarea{width:100%;min-height:80px;padding:8px;border:1px solid #6b7280;border-radius:6px;resize:vertical}",
    ".rapport-widget__error{color:#b91c1c;margin:8px 0 0;font-size:14px}.rapport-widget__error:empty{display:none}",
    ".rapport-widget__actions{display:flex;gap:8px;margin-top:12px}",
    ".rapport-widget__actions button{min-height:36px;padding:6px 14px;border-radius:6px;border:1px solid #1d4ed8;background:#1d4ed8;color:#fff;cursor:pointer}",
    ".rapport-widget__actions button.rapport-widget__skip{background:#fff;color:#1d4ed8}",
    ".rapport-widget button:focus-visible,.rapport-widget textarea:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}",
    ".rapport-widget__thanks{margin:0}"
  ].join("");

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    for (var name in attributes) if (Object.prototype.hasOwnProperty.call(attributes, name)) node.setAttribute(name, attributes[name]);
    if (text != null) node.textContent = text;
    return node;
  }

  function addStyle() {
    if (document.getElementById("rapport-widget-style")) return;
    var style = element("style", { id: "rapport-widget-style" }, CSS);
    document.head.appendChild(style);
  }

  function show(survey) {
    addStyle();
    var id = "rapport-widget-" + (++ids);
    var position = survey.position === "bottom_left" ? "bottom_left" : "bottom_right";
    var dialog = element("div", { "class": "rapport-widget rapport-widget--" + position, role: "dialog", "aria-modal": "false",
                                  "aria-labelledby": id + "-from", tabindex: "-1", lang: survey.language || "en",
                                  "data-rapport-widget": "" });
    var top = element("div", { "class": "rapport-widget__top" });
    top.appendChild(element("p", { "class": "rapport-widget__from", id: id + "-from" }, "A question from " + survey.workspace_name));
    var close = element("button", { type: "button", "class": "rapport-widget__close", "aria-label": "Close survey" }, "\u00d7");
    top.appendChild(close);
    dialog.appendChild(top);
    var body = element("div", {});
    dialog.appendChild(body);
    showing = { token: survey.token, survey: survey, dialog: dialog, body: body, skipped: [], finished: false, id: id,
                before: document.activeElement };
    close.addEventListener("click", function () { hide(true); });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "Escape" || event.key === "Esc") { event.preventDefault(); hide(true); }
    });
    document.body.appendChild(dialog);
    render(false);
    dialog.focus();
  }

  function next() {
    // One question at a time, so a question visible from the start but not answered yet still follows a finished
    // response (the hosted page shows them all at once).
    var survey = showing.survey;
    if (survey.status === "closed") return null;
    for (var i = 0; i < survey.questions.length; i++) {
      var question = survey.questions[i];
      if ((question.answer === null || question.answer === undefined) && showing.skipped.indexOf(question.id) < 0) return question;
    }
    return null;
  }

  function render(moveFocus) {
    var body = showing.body;
    while (body.firstChild) body.removeChild(body.firstChild);
    var question = next();
    if (!question) {
      showing.finished = true;
      var thanks = element("p", { "class": "rapport-widget__thanks", tabindex: "-1", role: "status" },
                           showing.survey.status === "closed" ? "This survey is closed." : "Thank you! Your answers were saved.");
      body.appendChild(thanks);
      if (moveFocus) thanks.focus();
      return;
    }
    var prefix = showing.id + "-" + question.id;
    var form = element("form", { novalidate: "" });
    var error = element("p", { "class": "rapport-widget__error", id: prefix + "-error", role: "alert" });
    var first = null;
    if (question.type === "text") {
      form.appendChild(element("label", { "class": "rapport-widget__label", "for": prefix }, question.text));
      var area = element("textarea", { id: prefix, name: question.id, maxlength: String(question.max_length || 5000),
                                       "aria-describedby": prefix + "-error" });
      if (question.required) area.setAttribute("aria-required", "true");
      form.appendChild(area);
      first = area;
    } else {
      var fieldset = element("fieldset", { "aria-describedby": prefix + "-error" });
      fieldset.appendChild(element("legend", {}, question.text));
      var words = question.choices.some(function (choice) { return !/^\d+$/.test(choice.label); });
      var scale = element("div", { "class": "rapport-widget__scale" + (words ? " rapport-widget__scale--words" : "") });
      var multiple = question.type === "multiple_choice";
      question.choices.forEach(function (choice, index) {
        var option = element("div", { "class": "rapport-widget__option" });
        var input = element("input", { type: multiple ? "checkbox" : "radio", id: prefix + "-" + index, name: question.id,
                                       value: choice.value });
        if (question.required && !multiple) input.setAttribute("required", "");
        option.appendChild(input);
        option.appendChild(element("label", { "for": prefix + "-" + index }, choice.label));
        scale.appendChild(option);
        if (!first) first = input;
      });
      fieldset.appendChild(scale);
      if (question.low_label || question.high_label) {
        var ends = element("p", { "class": "rapport-widget__ends", "aria-hidden": "true" });
        ends.appendChild(element("span", {}, question.low_label || ""));
        ends.appendChild(element("span", {}, question.high_label || ""));
        fieldset.appendChild(ends);
      }
      form.appendChild(fieldset);
    }
    form.appendChild(error);
    var actions = element("div", { "class": "rapport-widget__actions" });
    actions.appendChild(element("button", { type: "submit" }, "Send"));
    if (!question.required) {
      var skip = element("button", { type: "button", "class": "rapport-widget__skip" }, "Skip");
      skip.addEventListener("click", function () { showing.skipped.push(question.id); render(true); });
      actions.appendChild(skip);
    }
    form.appendChild(actions);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit(question, form, error);
    });
    body.appendChild(form);
    if (moveFocus && first) first.focus();
  }

  function submit(question, form, error) {
    var value;
    if (question.type === "text") {
      value = form.elements[question.id].value.trim();
      if (!value) value = null;
    } else {
      var chosen = Array.prototype.filter.call(form.querySelectorAll("input"), function (input) { return input.checked; })
        .map(function (input) { return input.value; });
      value = question.type === "multiple_choice" ? (chosen.length ? chosen : null) : (chosen[0] || null);
    }
    if (value === null) {
      if (question.required) { error.textContent = "Please choose or write an answer."; return; }
      showing.skipped.push(question.id);
      render(true);
      return;
    }
    var answers = {};
    answers[question.id] = value;
    var current = showing;
    post("/v1/widget/answer", { token: current.token, answers: answers }).then(function (answer) {
      if (showing !== current) return;
      if (answer.status === 200) {
        answer.json.survey.token = current.token;
        current.survey = answer.json.survey;
        render(true);
      } else {
        error.textContent = (answer.json.error && answer.json.error.message) || "Your answer could not be saved.";
      }
    }, function () { error.textContent = "Your answer could not be saved. Please try again."; });
  }

  function hide(byPerson) {
    if (!showing) return;
    var current = showing;
    showing = null;
    if (current.dialog.parentNode) current.dialog.parentNode.removeChild(current.dialog);
    if (byPerson && !current.finished) post("/v1/widget/dismiss", { token: current.token }).catch(function () {});
    var before = current.before;
    if (before && before.focus && document.contains(before)) before.focus();
  }

  function start() {
    var r = client();
    if (!r) return false;
    r.onMessage(noticed);
    check();
    return true;
  }

  window.rapportWidget = { check: check, close: function () { hide(false); } };
  if (!start()) {
    // rapport.js loads after this script: wait for it.
    var tries = 0;
    var wait = setInterval(function () { if (start() || ++tries > 100) clearInterval(wait); }, 100);
  }
})(window, document);
