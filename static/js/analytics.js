// Draws the analytics overview's charts from the page's json_script blob (#analytics-data).
// The same figures are in the tables under each chart, so nothing is lost without JavaScript.
(function () {
  "use strict";
  const blob = document.getElementById("analytics-data");
  if (!blob || typeof window.Chart === "undefined") return;
  const data = JSON.parse(blob.textContent);
  const names = data.names;
  const { lang, toNumbers, moneyFormat, moneyOptions, forecastConfig } = window.crmCharts;
  const money = moneyFormat(data.currency);
  const count = new Intl.NumberFormat(lang);
  const { tooltip: moneyTooltip, axis: moneyAxis } = moneyOptions(money);
  const countAxis = { beginAtZero: true, ticks: { precision: 0 } };

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (canvas) new window.Chart(canvas, config);
  }

  const months = data.months;
  draw("revenue-chart", {
    type: "bar",
    data: {
      labels: months.labels,
      datasets: [{ label: names.revenue, data: toNumbers(months.revenue), backgroundColor: "#20c997" }],
    },
    options: { responsive: true, plugins: { tooltip: moneyTooltip, legend: { display: false } }, scales: { y: moneyAxis } },
  });

  draw("orders-chart", {
    data: {
      labels: months.labels,
      datasets: [
        { type: "bar", label: names.orders, data: months.orders, backgroundColor: "#0d6efd", yAxisID: "y" },
        {
          type: "line", label: names.aov, data: toNumbers(months.aov), borderColor: "#fd7e14",
          backgroundColor: "#fd7e14", yAxisID: "aov", spanGaps: true,
        },
      ],
    },
    options: {
      responsive: true,
      interaction: { mode: "index", intersect: false },
      plugins: {
        tooltip: {
          callbacks: {
            label: (context) => context.dataset.label + ": " +
              (context.dataset.yAxisID === "aov" ? money.format(context.parsed.y) : count.format(context.parsed.y)),
          },
        },
      },
      scales: { y: countAxis, aov: { ...moneyAxis, position: "right", grid: { drawOnChartArea: false } } },
    },
  });

  draw("customers-chart", {
    type: "bar",
    data: {
      labels: months.labels,
      datasets: [
        { label: names.new, data: months.new, backgroundColor: "#0d6efd" },
        { label: names.returning, data: months.returning, backgroundColor: "#6f42c1" },
      ],
    },
    options: {
      responsive: true,
      interaction: { mode: "index", intersect: false },
      scales: { x: { stacked: true }, y: { ...countAxis, stacked: true } },
    },
  });

  const pipeline = data.pipeline;
  draw("pipeline-chart", {
    type: "bar",
    data: {
      labels: pipeline.labels,
      datasets: [{ label: names.amount, data: toNumbers(pipeline.amount), backgroundColor: "#0d6efd" }],
    },
    options: {
      responsive: true,
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (context) => context.dataset.label + ": " + money.format(context.parsed.y) +
              " (" + names.deals + ": " + count.format(pipeline.deals[context.dataIndex]) + ")",
          },
        },
      },
      scales: { y: moneyAxis },
    },
  });

  const forecast = data.forecast;
  draw("forecast-chart", forecastConfig(forecast.labels, forecast, names, money));

  const rfm = data.rfm;
  draw("rfm-chart", {
    type: "bar",
    data: {
      labels: rfm.labels,
      datasets: rfm.series.map((series) => ({
        label: series.name, data: series.customers, backgroundColor: series.color,
      })),
    },
    options: {
      responsive: true,
      interaction: { mode: "index", intersect: false },
      scales: { x: { stacked: true }, y: { ...countAxis, stacked: true } },
    },
  });
})();
