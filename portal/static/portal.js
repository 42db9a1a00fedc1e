// Back Office Portal: small, CSP-friendly behaviour on top of htmx (no inline script anywhere).
(function () {
  "use strict";

  function showError(message) {
    var flash = document.getElementById("flash");
    if (!flash) { return; }
    var p = document.createElement("p");
    p.className = "notice notice-error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    flash.replaceChildren(p);
    flash.scrollIntoView({block: "nearest"});
  }

  // htmx does not swap 4xx/5xx answers (except 422): show the server's readable message instead
  // of leaving the user with nothing.
  document.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail.xhr;
    var msg = xhr.getResponseHeader("X-Portal-Error");
    showError(msg ? decodeURIComponent(msg) : document.body.dataset.errorGeneric);
  });
  document.addEventListener("htmx:sendError", function () {
    showError(document.body.dataset.errorNetwork);
  });

  // Clear an old error notice when a new request succeeds.
  document.addEventListener("htmx:afterRequest", function (evt) {
    if (evt.detail.successful) {
      var flash = document.getElementById("flash");
      if (flash && flash.querySelector(".notice-error[role=alert]")) { flash.replaceChildren(); }
    }
  });

  // Forms marked data-reset-on-success are cleared after a successful htmx post, and focus goes
  // back to their first field (the front-desk console takes call after call).
  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = evt.detail.elt;
    if (form && form.matches && form.matches("form[data-reset-on-success]") && evt.detail.successful) {
      form.reset();
      var first = form.querySelector("[autofocus], input:not([type=hidden]), select, textarea");
      if (first) { first.focus(); }
    }
  });

  // Elements with data-confirm ask before they submit.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      evt.preventDefault();
    }
  }, true);
})();
