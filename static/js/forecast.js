// Draws the forecast and revenue charts from the page's json_script blob (#forecast-data).
// The same figures are in the tables on the page, so nothing is lost without JavaScript.
(function () {
  "use strict";
  const blob = document.getElementById("forecast-data");
  if (!blob || typeof window.Chart === "undefined") return;
  const data = JSON.parse(blob.textContent);
  const toNumbers = (values) => values.map((value) => (value === null ? null : Number(value)));
  const lang = document.documentElement.lang || undefined;
  let money;
  try {
    money = new Intl.NumberFormat(lang, { style: "currency", currency: data.currency });
  } catch (error) {
    money = new Intl.NumberFormat(lang, { minimumFractionDigits: 2 }); // an unknown currency code
  }
  const tooltip = {
    callbacks: {
      label: (context) => context.dataset.label + ": " + money.format(context.parsed.y),
    },
  };
  const axis = { beginAtZero: true, ticks: { callback: (value) => money.format(value) } };

  const forecastCanvas = document.getElementById("forecast-chart");
  if (forecastCanvas) {
    const series = data.series;
    new window.Chart(forecastCanvas, {
      data: {
        labels: data.labels,
        datasets: [
          { type: "bar", label: data.names.closed_won, data: toNumbers(series.closed_won), backgroundColor: "#198754" },
          { type: "bar", label: data.names.weighted, data: toNumbers(series.weighted), backgroundColor: "#0d6efd" },
          { type: "line", label: data.names.commit, data: toNumbers(series.commit), borderColor: "#fd7e14", backgroundColor: "#fd7e14" },
          { type: "line", label: data.names.best_case, data: toNumbers(series.best_case), borderColor: "#6c757d", backgroundColor: "#6c757d", borderDash: [4, 4] },
          { type: "line", label: data.names.target, data: toNumbers(series.target), borderColor: "#dc3545", backgroundColor: "#dc3545", spanGaps: true },
        ],
      },
      options: { responsive: true, interaction: { mode: "index", intersect: false }, plugins: { tooltip }, scales: { y: axis } },
    });
  }

  const revenueCanvas = document.getElementById("revenue-chart");
  if (revenueCanvas) {
    new window.Chart(revenueCanvas, {
      type: "bar",
      data: {
        labels: data.revenue_labels,
        datasets: [{ label: data.names.revenue, data: toNumbers(data.revenue), backgroundColor: "#20c997" }],
      },
      options: { responsive: true, plugins: { tooltip, legend: { display: false } }, scales: { y: axis } },
    });
  }
})();
