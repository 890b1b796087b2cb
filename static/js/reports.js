/* The Hours report: its chart (Chart.js, stacked bars) drawn from the JSON data island
   #hours-chart-data, drawn again each time htmx swaps the report; and small helps for the filters:
   editing a date makes the period "Custom", a preset fills the dates in, and each multiple choice
   says how many are ticked. No inline script (the page's CSP forbids it); without JavaScript the
   form and the table work alone. */
(function () {
  "use strict";

  var PALETTE = ["#2456c7", "#1c7c4a", "#a76200", "#8e3fb0", "#0f7c8c", "#b3261e", "#5c6bc0", "#7a8b1a",
    "#c2185b", "#455a64"];
  var OTHERS = "#aab2bf";

  function css(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name);
    return (value && value.trim()) || fallback;
  }

  function island() {
    var node = document.getElementById("hours-chart-data");
    return node ? JSON.parse(node.textContent) : null;
  }

  function draw() {
    var data = island();
    // Found by its class: an id would make htmx copy the old canvas's style onto the new one.
    var canvas = document.querySelector("#hours-report canvas.hours-chart-canvas");
    if (!data || !canvas || typeof window.Chart === "undefined") return;
    var existing = window.Chart.getChart(canvas);
    if (existing) existing.destroy();
    var narrow = window.matchMedia("(max-width: 40rem)").matches;
    var datasets = data.datasets.map(function (set, index) {
      var others = index >= PALETTE.length || /^\d+ other/.test(set.label);
      return {
        label: set.label,
        data: set.hours,
        backgroundColor: others ? OTHERS : PALETTE[index],
        stack: "hours",
        borderRadius: 2
      };
    });
    new window.Chart(canvas, {
      type: "bar",
      data: {labels: data.labels, datasets: datasets},
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : {duration: 250},
        scales: {
          x: {stacked: true, ticks: {color: css("--muted", "#5d6677"), maxRotation: 60, autoSkip: true}},
          y: {stacked: true, beginAtZero: true, title: {display: true, text: "Hours"}}
        },
        plugins: {
          legend: {
            position: "bottom",
            display: datasets.length > 1,
            labels: {boxWidth: 10, font: {size: narrow ? 10 : 12}}
          },
          tooltip: {
            callbacks: {
              label: function (item) { return item.dataset.label + ": " + item.formattedValue + " h"; }
            }
          }
        }
      }
    });
  }

  function form() {
    return document.getElementById("hours-filters");
  }

  // After a swap, the form's dates say the period the report shows (a preset's days).
  function followPeriod() {
    var report = document.getElementById("hours-report");
    var filters = form();
    if (!report || !filters) return;
    var from = filters.querySelector("[name=from]");
    var to = filters.querySelector("[name=to]");
    if (from && report.dataset.periodStart) from.value = report.dataset.periodStart;
    if (to && report.dataset.periodEnd) to.value = report.dataset.periodEnd;
  }

  function countPicks(scope) {
    (scope || document).querySelectorAll("details.pick").forEach(function (pick) {
      var ticked = pick.querySelectorAll("input[type=checkbox]:checked").length;
      var count = pick.querySelector(".pick-count");
      if (count) count.textContent = ticked ? ticked + " chosen" : count.getAttribute("data-everyone");
    });
  }

  // Runs before htmx hears the change (capture), so the request already says "custom".
  document.addEventListener("change", function (event) {
    var target = event.target;
    var filters = form();
    if (!filters || !filters.contains(target)) return;
    if (target.name === "from" || target.name === "to") {
      var period = filters.querySelector("[name=period]");
      if (period) period.value = "custom";
    }
    if (target.type === "checkbox") countPicks(filters);
  }, true);

  // A swap brings a new data island: draw its chart (once) and follow its period.
  var drawnFrom = null;
  document.addEventListener("htmx:afterSettle", function () {
    var node = document.getElementById("hours-chart-data");
    if (node && node !== drawnFrom) {
      drawnFrom = node;
      draw();
    }
    followPeriod();
  });

  function start() {
    drawnFrom = document.getElementById("hours-chart-data");
    draw();
    countPicks();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
