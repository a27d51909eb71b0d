// Draws the analytics overview's charts from the page's json_script blob (#analytics-data).
// The same figures are in the tables under each chart, so nothing is lost without JavaScript.
(function () {
  "use strict";
  const blob = document.getElementById("analytics-data");
  if (!blob || typeof window.Chart === "undefined") return;
  const data = JSON.parse(blob.textContent);
  const names = data.names;
  const toNumbers = (values) => values.map((value) => (value === null ? null : Number(value)));
  const lang = document.documentElement.lang || undefined;
  let money;
  try {
    money = new Intl.NumberFormat(lang, { style: "currency", currency: data.currency });
  } catch (error) {
    money = new Intl.NumberFormat(lang, { minimumFractionDigits: 2 }); // an unknown currency code
  }
  const count = new Intl.NumberFormat(lang);
  const moneyAxis = { beginAtZero: true, ticks: { callback: (value) => money.format(value) } };
  const countAxis = { beginAtZero: true, ticks: { precision: 0 } };
  const moneyTooltip = {
    callbacks: { label: (context) => context.dataset.label + ": " + money.format(context.parsed.y) },
  };

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
  draw("forecast-chart", {
    data: {
      labels: forecast.labels,
      datasets: [
        { type: "bar", label: names.closed_won, data: toNumbers(forecast.closed_won), backgroundColor: "#198754" },
        { type: "bar", label: names.weighted, data: toNumbers(forecast.weighted), backgroundColor: "#0d6efd" },
        { type: "line", label: names.commit, data: toNumbers(forecast.commit), borderColor: "#fd7e14", backgroundColor: "#fd7e14" },
        {
          type: "line", label: names.best_case, data: toNumbers(forecast.best_case), borderColor: "#6c757d",
          backgroundColor: "#6c757d", borderDash: [4, 4],
        },
        {
          type: "line", label: names.target, data: toNumbers(forecast.target), borderColor: "#dc3545",
          backgroundColor: "#dc3545", spanGaps: true,
        },
      ],
    },
    options: {
      responsive: true,
      interaction: { mode: "index", intersect: false },
      plugins: { tooltip: moneyTooltip },
      scales: { y: moneyAxis },
    },
  });

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
