// Officer console: the only script (CSP: script-src 'self'). Drag a PDF onto the drop
// zone of the verify page; warn before an idle session ends, and go to the sign-in page
// (which brings the officer back here) when it has. Everything else works without it.
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
  function setUpSessionTimer() {
    var idleMeta = document.querySelector('meta[name="console-idle-seconds"]');
    var warnMeta = document.querySelector('meta[name="console-warning-seconds"]');
    var box = document.getElementById("session-warning");
    var form = document.getElementById("session-extend-form");
    var countdown = document.getElementById("session-countdown");
    if (!idleMeta || !warnMeta || !box || !form || !countdown) { return; }
    var idle = parseInt(idleMeta.content, 10) * 1000;
    var warn = parseInt(warnMeta.content, 10) * 1000;
    if (!(idle > 0)) { return; }
    var deadline = 0;
    var timer = null;
    function expire() {
      if (timer !== null) { clearInterval(timer); timer = null; }
      // The path only (never a query string): the sign-in page comes back to it.
      window.location.assign("/console/login?next=" +
        encodeURIComponent(window.location.pathname) + "&expired=1");
    }
    function check() {
      var left = deadline - Date.now();
      if (left <= 0) { expire(); return; }
      if (left <= warn) {
        var seconds = Math.ceil(left / 1000);
        var mm = Math.floor(seconds / 60);
        var ss = seconds % 60;
        countdown.textContent = mm + ":" + (ss < 10 ? "0" : "") + ss;
        box.hidden = false;
      } else {
        box.hidden = true;
      }
    }
    function restart() {
      deadline = Date.now() + idle;
      check();
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (response) { if (response.ok) { restart(); } else { expire(); } })
        .catch(function () { /* offline: the timer carries on */ });
    });
    restart();
    timer = setInterval(check, 1000);
  }
  function setUp() {
    setUpDropZone();
    setUpSessionTimer();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
