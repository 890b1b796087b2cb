// The Attendance report's filters: changing a day makes the period custom, so the days asked for
// are the ones shown (a preset would otherwise win over them). No inline script: the CSP forbids it.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var day = event.target.closest ? event.target.closest("[data-att-day]") : null;
    if (!day) return;
    var period = document.querySelector("[data-att-period]");
    if (period && period.value !== "custom") period.value = "custom";
  }, true);
})();
