/* The Timeline, Activity, Tasks and Descriptions reports. No inline script: the page's CSP
   forbids it. Everything here only improves pages that work without it. */
(function () {
  "use strict";

  // Timeline: a bar (an SVG link to the entry's page) opens the entry in a dialog over the page,
  // by mouse or keyboard (Enter on a focused bar). A modified click still opens the page.
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.timeline-bar") : null;
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    var dialog = document.getElementById("timeline-entry-dialog");
    if (!dialog || typeof dialog.showModal !== "function" || !window.htmx) return;
    event.preventDefault();
    var url = link.getAttribute("href");
    window.htmx.ajax("GET", url, {target: "#timeline-entry-body", swap: "innerHTML"}).then(function () {
      if (!dialog.open) dialog.showModal();
    });
  });

  // Each multiple choice (dashboard/reports/_pick.html) says how many are ticked.
  function countPicks(scope) {
    scope.querySelectorAll("details.pick").forEach(function (pick) {
      var ticked = pick.querySelectorAll("input[type=checkbox]:checked").length;
      var count = pick.querySelector(".pick-count");
      if (count) count.textContent = ticked ? ticked + " chosen" : count.getAttribute("data-everyone");
    });
  }

  // Reports with a period: changing a day makes the period a custom one. This runs before htmx
  // hears the change (capture), so the request already says "custom".
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.form || !input.form.classList.contains("report-filters")) return;
    if (input.matches("[data-period-day]")) {
      var period = input.form.querySelector("select[name=period]");
      if (period) period.value = "custom";
    }
    if (input.type === "checkbox") countPicks(input.form);
  }, true);

  // After an htmx answer, a preset's days (this week, last month...) show in the form. Custom
  // days stay as typed.
  document.addEventListener("htmx:afterSettle", function () {
    var report = document.getElementById("report-body");
    var form = document.querySelector("form.report-filters");
    if (!report || !form || !report.dataset.periodStart) return;
    var period = form.querySelector("select[name=period]");
    if (period && period.value === "custom") return;
    var from = form.querySelector("[name=from]");
    var to = form.querySelector("[name=to]");
    if (from) from.value = report.dataset.periodStart;
    if (to) to.value = report.dataset.periodEnd;
  });
})();
