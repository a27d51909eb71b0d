// Draws a campaign report's chart (revenue per recipient against the holdout, by RFM segment)
// from the page's json_script blob (#report-data). The table under it has the same figures.
(function () {
  "use strict";
  const blob = document.getElementById("report-data");
  const canvas = document.getElementById("revenue-chart");
  if (!blob || !canvas || typeof window.Chart === "undefined") return;
  const data = JSON.parse(blob.textContent);
  const { toNumbers, moneyFormat, moneyOptions } = window.crmCharts;
  const { tooltip, axis } = moneyOptions(moneyFormat(data.currency));
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: data.names.recipients, data: toNumbers(data.recipients), backgroundColor: "#0d6efd" },
        { label: data.names.holdout, data: toNumbers(data.holdout), backgroundColor: "#adb5bd" },
      ],
    },
    options: { responsive: true, plugins: { tooltip: tooltip }, scales: { y: axis } },
  });
})();
