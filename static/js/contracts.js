/* A contract's page: the last weeks of hours as a Chart.js bar chart, drawn from the JSON data
   island #contract-weeks-data (the table beside it holds the same numbers). No inline script:
   the page's CSP forbids it. Without JavaScript the table alone tells it all. */
(function () {
  "use strict";

  function css(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name);
    return (value && value.trim()) || fallback;
  }

  function draw() {
    var island = document.getElementById("contract-weeks-data");
    var canvas = document.getElementById("contract-weeks-chart");
    if (!island || !canvas || typeof window.Chart === "undefined") return;
    var data = JSON.parse(island.textContent);
    var accent = css("--accent", "#2456c7");
    var bad = css("--bad", "#b3261e");
    var ink = css("--muted", "#5d6677");
    var datasets = [{
      type: "bar",
      label: "Hours tracked",
      data: data.hours,
      backgroundColor: data.over.map(function (over) { return over ? bad : accent; }),
      borderRadius: 3,
      order: 2
    }];
    if (data.limit !== null && data.limit !== undefined) {
      datasets.push({
        type: "line",
        label: "Weekly limit (" + data.limit + " h)",
        data: data.hours.map(function () { return data.limit; }),
        borderColor: ink,
        borderDash: [6, 4],
        borderWidth: 2,
        pointRadius: 0,
        fill: false,
        order: 1
      });
    }
    var existing = window.Chart.getChart(canvas);
    if (existing) existing.destroy();
    new window.Chart(canvas, {
      data: {labels: data.labels, datasets: datasets},
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : {duration: 300},
        scales: {
          y: {beginAtZero: true, title: {display: true, text: "Hours"}},
          x: {title: {display: true, text: "Week starting"}}
        },
        plugins: {
          legend: {position: "bottom"},
          tooltip: {
            callbacks: {
              label: function (item) { return item.dataset.label + ": " + item.formattedValue + " h"; }
            }
          }
        }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
