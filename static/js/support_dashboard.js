// Draws the support dashboard's charts from the page's json_script blob (#support-dashboard-data).
// The same figures are in the tables under each chart, so nothing is lost without JavaScript.
(function () {
  "use strict";
  const blob = document.getElementById("support-dashboard-data");
  if (!blob || typeof window.Chart === "undefined") return;
  const data = JSON.parse(blob.textContent);
  const names = data.names;
  const countAxis = { beginAtZero: true, ticks: { precision: 0 } };
  const STATUS_COLORS = ["#0d6efd", "#20c997", "#ffc107", "#6c757d"];

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (canvas) new window.Chart(canvas, config);
  }

  draw("backlog-chart", {
    type: "bar",
    data: {
      labels: data.backlog.labels,
      datasets: data.backlog.series.map((series, index) => ({
        label: series.name, data: series.values, backgroundColor: STATUS_COLORS[index % STATUS_COLORS.length],
      })),
    },
    options: { responsive: true, scales: { x: { stacked: true }, y: { ...countAxis, stacked: true } } },
  });

  draw("breaches-chart", {
    type: "bar",
    data: {
      labels: data.breaches.labels,
      datasets: [
        { label: names.first_response_late, data: data.breaches.first_response, backgroundColor: "#fd7e14" },
        { label: names.resolution_late, data: data.breaches.resolution, backgroundColor: "#6f42c1" },
        { label: names.breached_now, data: data.breaches.now, backgroundColor: "#dc3545" },
      ],
    },
    options: { responsive: true, scales: { y: countAxis } },
  });

  function timesChart(id, times) {
    draw(id, {
      data: {
        labels: times.labels,
        datasets: [
          { type: "bar", label: names.median, data: times.median, backgroundColor: "#0d6efd" },
          { type: "bar", label: names.p90, data: times.p90, backgroundColor: "#6ea8fe" },
          {
            type: "line", label: names.target, data: times.target, borderColor: "#dc3545",
            backgroundColor: "#dc3545", spanGaps: true,
          },
        ],
      },
      options: {
        responsive: true,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true, title: { display: true, text: names.minutes } } },
      },
    });
  }
  timesChart("first-response-chart", data.times.first_response);
  timesChart("resolution-chart", data.times.resolution);

  draw("csat-chart", {
    data: {
      labels: data.csat.labels,
      datasets: [
        { type: "bar", label: names.answered, data: data.csat.answered, backgroundColor: "#adb5bd", yAxisID: "y" },
        {
          type: "line", label: names.average, data: data.csat.average, borderColor: "#198754",
          backgroundColor: "#198754", yAxisID: "score", spanGaps: true,
        },
      ],
    },
    options: {
      responsive: true,
      interaction: { mode: "index", intersect: false },
      scales: { y: countAxis, score: { min: 1, max: 5, position: "right", grid: { drawOnChartArea: false } } },
    },
  });
})();
