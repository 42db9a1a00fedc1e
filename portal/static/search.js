// Header search: "/" focuses the search field (unless typing in another field); Escape closes
// the live results.  No inline script: loaded from base.html (CSP script-src 'self').
(function () {
  "use strict";
  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "/" || evt.ctrlKey || evt.metaKey || evt.altKey) { return; }
    var target = evt.target;
    var tag = target && target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) {
      return;
    }
    var field = document.getElementById("header-search-q");
    if (!field) { return; }
    evt.preventDefault();
    field.focus();
    field.select();
  });
  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "Escape") { return; }
    var box = document.getElementById("header-search-results");
    if (box && box.contains(document.activeElement) || document.activeElement && document.activeElement.id === "header-search-q") {
      box.replaceChildren();
    }
  });
})();
