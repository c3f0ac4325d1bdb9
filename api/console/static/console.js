// Officer console: the only script (CSP: script-src 'self'). Drag a PDF onto the drop
// zone of the verify page; everything else works without JavaScript.
(function () {
  "use strict";
  function setUpDropZone() {
    var zone = document.getElementById("drop-zone");
    var input = document.getElementById("verify-file");
    if (!zone || !input) { return; }
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.remove("dragging");
      });
    });
    zone.addEventListener("drop", function (event) {
      var files = event.dataTransfer && event.dataTransfer.files;
      if (!files || files.length === 0) { return; }
      input.files = files;
      var form = document.getElementById("verify-form");
      if (form && typeof form.requestSubmit === "function") { form.requestSubmit(); }
      else if (form) { form.submit(); }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpDropZone);
  } else {
    setUpDropZone();
  }
})();
