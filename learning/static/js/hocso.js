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

// Lesson visit and reading time: count the seconds the lesson is visible and send them when the
// page is hidden or left (navigator.sendBeacon survives navigation); the first report of a view
// also records the visit (the page itself writes nothing). The server caps each report.
(function () {
  "use strict";
  var lesson = document.querySelector("article.lesson[data-time-url]");
  if (!lesson || !navigator.sendBeacon) { return; }
  var visibleSince = document.visibilityState === "visible" ? Date.now() : null;
  var pending = 0;
  var visit = true;
  function collect() {
    if (visibleSince !== null) { pending += (Date.now() - visibleSince) / 1000; visibleSince = null; }
  }
  function send() {
    collect();
    var seconds = Math.round(pending);
    if (seconds < 1 && !visit) { return; }
    var data = new FormData();
    data.append("csrf_token", lesson.dataset.csrf);
    data.append("seconds", String(seconds));
    if (visit) { data.append("visit", "1"); }
    if (navigator.sendBeacon(lesson.dataset.timeUrl, data)) { pending = 0; visit = false; }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { send(); } else { visibleSince = Date.now(); }
  });
  window.addEventListener("pagehide", send);
})();

// Tables wider than the screen scroll inside their .table-wrap frame. Make such a frame a named,
// focusable region so keyboard users can scroll it with the arrow keys (WCAG 2.1.1); undo it
// when the table fits again (window resized or rotated).
(function () {
  "use strict";
  function regionName(wrap) {
    var caption = wrap.querySelector("caption");
    var section = wrap.closest("section, main");
    var heading = section && section.querySelector("h1, h2, h3");
    return ((caption && caption.textContent) || (heading && heading.textContent) || "").trim();
  }
  function update() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      if (scrolls && !wrap.hasAttribute("tabindex")) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", regionName(wrap));
        wrap.dataset.scrollRegion = "1";
      } else if (!scrolls && wrap.dataset.scrollRegion) {
        ["tabindex", "role", "aria-label", "data-scroll-region"].forEach(function (name) {
          wrap.removeAttribute(name);
        });
      }
    });
    // A lesson's code blocks and tables scroll in place: focusable while they do, so the
    // arrow keys reach what is cut off (their own role stays: a table is still a table).
    document.querySelectorAll(".lesson-body pre, .lesson-body table").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.dataset.scrollRegion = "1";
      } else if (!scrolls && box.dataset.scrollRegion) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scroll-region");
      }
    });
  }
  update();
  if (document.fonts && document.fonts.ready) { document.fonts.ready.then(update); }
  var timer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, 150);
  });
})();
