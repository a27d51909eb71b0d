// Draws the lifetime-value report's two charts from the page's json_script blob (#clv-data):
// predicted against actual repeat purchases in the holdout, and the CLV distribution.
// The tables under the charts have the same figures, so nothing is lost without JavaScript.
(function () {
  "use strict";
  const blob = document.getElementById("clv-data");
  if (!blob || typeof window.Chart === "undefined") return;
  const data = JSON.parse(blob.textContent);
  const names = data.names;
  const countAxis = { beginAtZero: true, ticks: { precision: 0 } };

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (canvas) new window.Chart(canvas, config);
  }

  draw("clv-holdout-chart", {
    data: {
      labels: data.holdout.labels,
      datasets: [
        { type: "bar", label: names.actual, data: data.holdout.actual, backgroundColor: "#0d6efd" },
        {
          type: "line", label: names.predicted, data: data.holdout.predicted, borderColor: "#fd7e14",
          backgroundColor: "#fd7e14",
        },
      ],
    },
    options: {
      responsive: true,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { title: { display: true, text: names.frequency } },
        y: { beginAtZero: true, title: { display: true, text: names.holdout } },
      },
    },
  });

  draw("clv-histogram-chart", {
    type: "bar",
    data: {
      labels: data.histogram.labels,
      datasets: [{ label: names.customers, data: data.histogram.customers, backgroundColor: "#20c997" }],
    },
    options: { responsive: true, plugins: { legend: { display: false } }, scales: { y: countAxis } },
  });
})();
