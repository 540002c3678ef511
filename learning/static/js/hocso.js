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
  var HEADINGS = "h1, h2, h3, h4, h5, h6";
  function text(element) { return element ? element.textContent.replace(/\s+/g, " ").trim() : ""; }
  // The heading a frame's table sits under: the last one before it in reading order.
  function headingBefore(element) {
    for (var node = element; node && node !== document.body; node = node.parentElement) {
      for (var before = node.previousElementSibling; before; before = before.previousElementSibling) {
        if (before.matches(HEADINGS)) { return before; }
        var inside = before.querySelectorAll(HEADINGS);
        if (inside.length) { return inside[inside.length - 1]; }
      }
    }
    return null;
  }
  // Landmarks must have different names (two "Quiz attempts" tables, or a table named like
  // the section around it): a name already taken gets the section's heading, then a number.
  function takenNames(except) {
    var names = [];
    document.querySelectorAll("[role=region], section[aria-labelledby], section[aria-label]")
      .forEach(function (landmark) {
        if (landmark === except) { return; }
        var by = landmark.getAttribute("aria-labelledby");
        names.push(by ? text(document.getElementById(by)) : landmark.getAttribute("aria-label"));
      });
    return names;
  }
  function regionName(wrap) {
    var name = text(wrap.querySelector("caption")) || text(headingBefore(wrap));
    var taken = takenNames(wrap);
    var section = wrap.parentElement && wrap.parentElement.closest("section");
    var outer = section && text(section.querySelector(HEADINGS));
    if (taken.indexOf(name) !== -1 && outer && outer !== name) { name = outer + " › " + name; }
    for (var number = 2, base = name; taken.indexOf(name) !== -1; number++) {
      name = base + " (" + number + ")";
    }
    return name;
  }
  var AUTHORED = [".lesson-body", ".question-text", ".feedback", ".option-text"].map(function (box) {
    return box + " pre, " + box + " table";
  }).join(", ");
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
    // Authors' code blocks and tables (lessons, questions, feedback) scroll in place:
    // focusable while they do, so the arrow keys reach what is cut off (their own role stays:
    // a table is still a table).
    document.querySelectorAll(AUTHORED).forEach(function (box) {
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

// The header. Each menu is a disclosure: a button with aria-expanded and the list it shows
// (Enter or Space opens it, Tab moves through it; Escape closes it and gives the focus back to
// its button, and so does a click elsewhere or the focus moving on; opening one closes the
// others). Below 800 px, and whenever the header does not fit in one row (long names,
// Vietnamese labels), the menu button folds the navigation and the tools into one column.
// Without JavaScript the CSS shows every entry in place instead.
(function () {
  "use strict";
  var header = document.querySelector(".site-header");
  if (!header) { return; }
  var toggle = header.querySelector(".menu-toggle");
  var menus = Array.prototype.slice.call(header.querySelectorAll("[data-menu]")).map(function (menu) {
    var button = menu.querySelector(".menu-button");
    return {root: menu, button: button, list: document.getElementById(button.getAttribute("aria-controls"))};
  });
  var panel = document.getElementById("site-menu");
  var inner = header.querySelector(".header-inner");
  var phone = window.matchMedia("(max-width: 49.98rem)");

  function isOpen(menu) { return menu.button.getAttribute("aria-expanded") === "true"; }
  function setMenu(menu, open) {
    menu.button.setAttribute("aria-expanded", open ? "true" : "false");
    menu.list.hidden = !open;
  }
  // Open menus float over the page, one at a time; in the folded column they open in place
  // and stay open until closed.
  function floating() { return !header.classList.contains("is-collapsed"); }
  menus.forEach(function (menu) {
    menu.button.addEventListener("click", function () {
      var open = !isOpen(menu);
      if (open && floating()) {
        menus.forEach(function (other) { if (other !== menu) { setMenu(other, false); } });
      }
      setMenu(menu, open);
    });
    menu.root.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && isOpen(menu)) {
        event.preventDefault();
        event.stopPropagation();
        setMenu(menu, false);
        menu.button.focus();
      }
    });
    menu.root.addEventListener("focusout", function (event) {
      if (floating() && event.relatedTarget && !menu.root.contains(event.relatedTarget)) {
        setMenu(menu, false);
      }
    });
  });
  document.addEventListener("click", function (event) {
    if (!floating()) { return; }
    menus.forEach(function (menu) {
      if (isOpen(menu) && !menu.root.contains(event.target)) { setMenu(menu, false); }
    });
  });

  if (!toggle || !panel) { return; }
  function setPanel(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    panel.classList.toggle("is-open", open);
    // In the folded column, the group holding the current page opens with it.
    menus.forEach(function (menu) {
      if (open && menu.button.classList.contains("is-current")) { setMenu(menu, true); }
    });
  }
  toggle.addEventListener("click", function () {
    setPanel(toggle.getAttribute("aria-expanded") !== "true");
  });
  header.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
      setPanel(false);
      toggle.focus();
    }
  });

  // Fold when the phone media query says so; otherwise show everything in one row, and when
  // that overflows, first the language and account buttons without their names, then fold.
  function overflows() { return inner.scrollWidth > inner.clientWidth + 1; }
  function fit() {
    var was = header.classList.contains("is-collapsed");
    var collapsed = phone.matches;
    header.classList.remove("is-compact");
    if (!collapsed) {
      header.classList.remove("is-collapsed");
      if (overflows()) {
        header.classList.add("is-compact");
        collapsed = overflows();
      }
    }
    header.classList.toggle("is-collapsed", collapsed);
    if (collapsed) { header.classList.remove("is-compact"); }
    if (was !== collapsed) {
      setPanel(false);
      menus.forEach(function (menu) { setMenu(menu, false); });
    }
  }
  header.classList.add("js-menu");
  fit();
  if (document.fonts && document.fonts.ready) { document.fonts.ready.then(fit); }
  var timer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(fit, 100);
  });
  phone.addEventListener("change", fit);
})();
