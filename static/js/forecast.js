// Draws the forecast and revenue charts from the page's json_script blob (#forecast-data).
// The same figures are in the tables on the page, so nothing is lost without JavaScript.
(function () {
  "use strict";
  const blob = document.getElementById("forecast-data");
  if (!blob || typeof window.Chart === "undefined") return;
  const data = JSON.parse(blob.textContent);
  const { toNumbers, moneyFormat, moneyOptions, forecastConfig } = window.crmCharts;
  const money = moneyFormat(data.currency);
  const { tooltip, axis } = moneyOptions(money);

  const forecastCanvas = document.getElementById("forecast-chart");
  if (forecastCanvas) {
    new window.Chart(forecastCanvas, forecastConfig(data.labels, data.series, data.names, money));
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
