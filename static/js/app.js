/* Every page: say so when an htmx request fails, instead of leaving the page silently unchanged. */
(function () {
  "use strict";

  function showError(text) {
    var box = document.getElementById("request-error");
    if (!box) { return; }
    box.textContent = text;
    box.hidden = false;
  }

  document.body.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail.xhr;
    var detail = "";
    try { detail = JSON.parse(xhr.responseText).detail || ""; } catch (e) { detail = ""; }
    if (typeof detail !== "string") { detail = ""; }
    showError("The server refused the request (" + xhr.status + ")" + (detail ? ": " + detail : "") + ".");
  });

  document.body.addEventListener("htmx:sendError", function () {
    showError("The server could not be reached. Your text is still here; it will be saved on the next change.");
  });

  document.body.addEventListener("htmx:afterRequest", function (evt) {
    var box = document.getElementById("request-error");
    if (box && evt.detail.successful) { box.hidden = true; }
  });
})();
