// HọcSố: small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  // Ask before destructive actions (buttons styled as dangerous); the text comes translated
  // from the page (body data-confirm).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.classList.contains("button-danger")) {
      if (!window.confirm(document.body.dataset.confirm || "?")) { event.preventDefault(); }
    }
  });
})();
