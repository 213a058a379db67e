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
