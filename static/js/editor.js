/* The annotation editor: keyboard shortcuts, reset, unsaved-change tracking and a last-chance save.
   The live diff, autosave and lease renewal are htmx attributes in the template; this file only adds
   what htmx cannot express. No inline handlers: the page's CSP forbids them. */
(function () {
  "use strict";

  var form = document.getElementById("edit-form");
  var editor = document.getElementById("editor");
  if (!form || !editor) { return; }
  var original = document.getElementById("original-text");
  var status = document.getElementById("save-status");
  var dirty = false;
  var ending = false;  // a submit, "no edit", skip or flag is under way: no more draft saves

  function setStatus(text) {
    if (status) { status.textContent = text; }
  }

  function click(id) {
    var el = document.getElementById(id);
    if (el && !el.disabled) { el.click(); }
  }

  // Resetting goes through an input event, so the preview and the autosave follow as if typed.
  function resetToOriginal() {
    if (!original || editor.value === original.value) { return; }
    editor.value = original.value;
    editor.dispatchEvent(new Event("input", { bubbles: true }));
    editor.focus();
  }

  function skip() {
    var panel = document.getElementById("skip-panel");
    var reason = document.getElementById("skip-reason");
    var skipForm = document.getElementById("skip-form");
    if (reason && reason.value && skipForm) {
      dirty = false;
      skipForm.requestSubmit();
      return;
    }
    if (panel) { panel.open = true; }
    if (reason) { reason.focus(); }
  }

  // The editor grows with its text (up to most of the window), so long responses need no inner scroll.
  function fitHeight() {
    editor.style.height = "auto";
    editor.style.height = Math.min(editor.scrollHeight + 4, window.innerHeight * 0.7) + "px";
  }

  editor.addEventListener("input", function () {
    dirty = true;
    setStatus("Unsaved changes…");
    fitHeight();
  });
  fitHeight();

  document.addEventListener("keydown", function (evt) {
    var mod = evt.ctrlKey || evt.metaKey;
    if (mod && evt.key === "Enter") {
      evt.preventDefault();
      click("submit-btn");
    } else if (mod && (evt.key === "s" || evt.key === "S")) {
      evt.preventDefault();  // never the browser's "save page as"
      click("save-btn");
    } else if (evt.altKey && evt.key === "ArrowRight") {
      evt.preventDefault();
      skip();
    }
  });

  var reset = document.getElementById("reset-btn");
  if (reset) { reset.addEventListener("click", resetToOriginal); }

  var skipReason = document.getElementById("skip-reason");
  var skipForm = document.getElementById("skip-form");
  ["skip-form", "flag-form"].forEach(function (id) {
    var f = document.getElementById(id);
    if (f) { f.addEventListener("submit", function () { dirty = false; ending = true; }); }
  });
  if (skipReason) {
    skipReason.addEventListener("keydown", function (evt) {
      if (evt.key === "Enter" && skipReason.value) { evt.preventDefault(); skipForm.requestSubmit(); }
    });
  }

  // Once the item is being handed in, a debounced autosave still pending must not fire: the lease is
  // about to go, and the save would only be refused.
  document.body.addEventListener("htmx:beforeRequest", function (evt) {
    var source = evt.detail.elt;
    if (!source) { return; }
    if (source.hasAttribute("data-ends-item")) {
      ending = true;
    } else if (ending && source.hasAttribute("data-saves-draft")) {
      evt.preventDefault();
    }
  });

  // A save that went through clears the flag, and so does a request that ends the item; a refused
  // submit (over the hard limit, a stale version) lets autosave carry on.
  document.body.addEventListener("htmx:afterRequest", function (evt) {
    var source = evt.detail.elt;
    if (!source) { return; }
    if (source.hasAttribute("data-ends-item")) {
      ending = evt.detail.xhr.status < 300;
    }
    if (evt.detail.xhr.status < 300 &&
        (source.hasAttribute("data-saves-draft") || source.hasAttribute("data-ends-item"))) {
      dirty = false;
    }
  });

  // Closing the tab between two autosaves: send the text one last time, as a beacon the browser
  // delivers even while the page goes away. It carries the form's CSRF token and version.
  window.addEventListener("pagehide", function () {
    if (!dirty || ending || !form.dataset.draftUrl) { return; }
    navigator.sendBeacon(form.dataset.draftUrl, new FormData(form));
    dirty = false;
  });

  // Show the Mac modifier on Mac keyboards.
  if (/Mac|iPhone|iPad/.test(navigator.platform || "")) {
    document.querySelectorAll("[data-mod-key]").forEach(function (el) { el.textContent = "⌘"; });
  }
})();
