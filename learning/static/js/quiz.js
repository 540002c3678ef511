// Attempt and review pages: a countdown that sends the page when time is up. The server
// enforces the deadline on its own; this only spares the official a lost last page. On the
// attempt page the answers go to the review page, which grades an attempt whose time is up; on
// the review page the confirmation form is sent.
(function () {
  "use strict";
  var timer = document.querySelector(".timer[data-remaining]");
  if (!timer) { return; }
  var value = timer.querySelector(".timer-value");
  var form = document.querySelector("form.attempt-form, form.submit-attempt-form");
  var end = Date.now() + parseInt(timer.dataset.remaining, 10) * 1000;
  var warned = false;
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var left = Math.max(0, Math.round((end - Date.now()) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    value.textContent = (h ? h + ":" + pad(m) : m) + ":" + pad(s);
    if (left <= 60 && !warned) { warned = true; timer.setAttribute("aria-live", "assertive"); }
    if (left === 0) {
      if (form) {
        if (form.classList.contains("attempt-form")) {
          var input = document.createElement("input");
          input.type = "hidden"; input.name = "action"; input.value = "submit";
          form.appendChild(input);
        }
        form.submit();
      }
      return;
    }
    window.setTimeout(tick, 1000);
  }
  tick();
})();
