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
