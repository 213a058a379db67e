// Small progressive enhancements; every page works without JavaScript.
document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});
// A page part marked `data-live-refresh` (an import that is still running) follows its progress: every few seconds it
// fetches the page again and swaps in the new part, until the part comes back without the mark. Without JavaScript
// the page has a Refresh link.
(function follow() {
  var live = document.querySelector("[data-live][data-live-refresh]");
  if (!live || !window.fetch || !window.DOMParser) return;
  var every = parseInt(live.getAttribute("data-live-refresh"), 10) || 2000;
  setTimeout(function () {
    fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live]");
        var current = document.querySelector("[data-live]");
        if (fresh && current) current.replaceWith(document.importNode(fresh, true));
      })
      .catch(function () {})
      .then(follow);
  }, every);
})();
// The survey builder's preview follows the form as one types: a debounced POST of the whole form to the preview
// address, which answers the preview's HTML (the same fragment the page shows). Without JavaScript the Preview
// button does the same by posting the page.
(function surveyBuilder() {
  var form = document.getElementById("survey-editor");
  var target = document.getElementById("survey-preview");
  if (!form || !target || !window.fetch || !window.FormData || !window.URLSearchParams) return;
  var timer = null, sent = 0;
  function refresh() {
    var mine = ++sent;
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST", credentials: "same-origin", headers: { Accept: "text/html" },
      body: new URLSearchParams(new FormData(form))
    })
      .then(function (response) {
        // 422 carries the reason the draft cannot be previewed yet; anything else keeps the last preview.
        return response.ok || response.status === 422 ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) { if (mine === sent) target.innerHTML = html; })
      .catch(function () {});
  }
  function changed(event) {
    var field = event.target;
    if (!field || field.form !== form || field.hasAttribute("data-autosubmit")) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  }
  document.addEventListener("input", changed);
  document.addEventListener("change", changed);
})();
// The navigation is an open <details> in the page (so it works without JavaScript); on a narrow screen it folds into
// its "Menu" button, and opens again when the window widens.
(function navigationMenu() {
  var menu = document.querySelector("[data-navmenu]");
  if (!menu || !window.matchMedia) return;
  var narrow = window.matchMedia("(max-width: 860px)");
  function fit() { menu.open = !narrow.matches; }
  fit();
  if (narrow.addEventListener) narrow.addEventListener("change", fit);
})();
// Dates: the server writes them in the workspace's time zone (<time datetime="ISO">1 Dec 2026, 17:05 UTC</time>).
// Here they are shown in the viewer's own zone, as "3 hours ago" or "yesterday" when within a week, with the exact
// moment in the title (shown on hover). Kept current every minute.
(function peopleDates() {
  if (!window.Intl || !Intl.DateTimeFormat) return;
  var exact = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" });
  var plain = new Intl.DateTimeFormat(undefined, {
    day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit"
  });
  var words = Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }) : null;
  function startOfDay(date) { return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime(); }
  function relative(date, now) {
    if (!words) return null;
    var diff = date.getTime() - now.getTime(), size = Math.abs(diff);
    if (size < 45 * 1000) return words.format(0, "second");
    if (size < 45 * 60 * 1000) return words.format(Math.round(diff / 60000), "minute");
    if (size < 20 * 3600 * 1000) return words.format(Math.round(diff / 3600000), "hour");
    var days = Math.round((startOfDay(date) - startOfDay(now)) / 86400000);
    if (Math.abs(days) <= 6) return words.format(days, "day");
    return null;
  }
  function render() {
    var now = new Date();
    document.querySelectorAll("time[datetime]").forEach(function (time) {
      var date = new Date(time.getAttribute("datetime"));
      if (isNaN(date.getTime())) return;
      if (!time.hasAttribute("data-server-text")) time.setAttribute("data-server-text", time.textContent);
      var text = time.hasAttribute("data-exact") ? null : relative(date, now);
      time.textContent = text || plain.format(date);
      time.title = exact.format(date);
    });
  }
  render();
  setInterval(render, 60000);
})();
// Print buttons (`<button data-print hidden>`): shown only when JavaScript runs; they print the page as it is, which the
// print stylesheet turns into a report of the current view (no navigation or forms; the filters as one line).
(function printButtons() {
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();

// Copy buttons (`<button data-copy="#id" hidden>`): shown only when JavaScript runs; they copy the element's text with
// the Clipboard API, or by selecting it and asking the browser to copy where that API is missing (plain HTTP).
(function copyButtons() {
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    button.hidden = false;
    var status = document.createElement("span");
    status.className = "copy-done";
    status.setAttribute("role", "status");
    button.insertAdjacentElement("afterend", status);
    function done(ok) {
      status.textContent = ok ? "Copied." : "Press Ctrl+C (⌘C) to copy the selected text.";
      setTimeout(function () { status.textContent = ""; }, 4000);
    }
    function selectSource() {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    button.addEventListener("click", function () {
      var text = source.textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, function () { selectSource(); done(false); });
        return;
      }
      selectSource();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      done(ok);
    });
  });
})();
// Sortable tables: a table in a `.table-scroll` box sorts the rows it shows by a column when its header is pressed
// (dates by their instant, numbers as numbers, the rest as text). The server's order stays the default.
(function sortableTables() {
  document.querySelectorAll(".table-scroll > table").forEach(function (table) {
    var body = table.tBodies[0];
    // A table the server sorts (its headers carry aria-sort and links) keeps the server's controls.
    if (!table.tHead || !body || table.hasAttribute("data-nosort") || table.querySelector("thead th[aria-sort]")) return;
    var rows = Array.prototype.filter.call(body.rows, function (row) { return !row.querySelector("td[colspan]"); });
    if (rows.length < 2) return;
    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (th, column) {
      var label = th.textContent.trim();
      if (!label || th.querySelector(".visually-hidden, a, button, input, select")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        function key(row) {
          var cell = row.cells[column];
          if (!cell) return "";
          var time = cell.querySelector("time[datetime]");
          if (time) return new Date(time.getAttribute("datetime")).getTime();
          var text = cell.textContent.trim();
          var number = parseFloat(text.replace(/[^0-9.\-]/g, ""));
          return /^[-\d.,\s]+[A-Z]{0,3}$/.test(text) && !isNaN(number) ? number : text.toLowerCase();
        }
        var sorted = Array.prototype.slice.call(body.rows).filter(function (row) { return !row.querySelector("td[colspan]"); });
        sorted.sort(function (a, b) {
          var x = key(a), y = key(b);
          var order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
          return ascending ? order : -order;
        });
        sorted.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
})();
