// Chart helpers shared by the forecast page and the analytics overview (load after Chart.js).
// Amounts arrive as decimal strings in the pages' json_script blobs.
window.crmCharts = (function () {
  "use strict";
  const lang = document.documentElement.lang || undefined;

  function toNumbers(values) {
    return values.map((value) => (value === null ? null : Number(value)));
  }

  function moneyFormat(currency) {
    try {
      return new Intl.NumberFormat(lang, { style: "currency", currency: currency });
    } catch (error) {
      return new Intl.NumberFormat(lang, { minimumFractionDigits: 2 }); // an unknown currency code
    }
  }

  function moneyOptions(money) {
    return {
      tooltip: { callbacks: { label: (context) => context.dataset.label + ": " + money.format(context.parsed.y) } },
      axis: { beginAtZero: true, ticks: { callback: (value) => money.format(value) } },
    };
  }

  // The forecast chart: closed won and weighted as bars, commit, best case and target as lines.
  function forecastConfig(labels, series, names, money) {
    const { tooltip, axis } = moneyOptions(money);
    return {
      data: {
        labels: labels,
        datasets: [
          { type: "bar", label: names.closed_won, data: toNumbers(series.closed_won), backgroundColor: "#198754" },
          { type: "bar", label: names.weighted, data: toNumbers(series.weighted), backgroundColor: "#0d6efd" },
          { type: "line", label: names.commit, data: toNumbers(series.commit), borderColor: "#fd7e14", backgroundColor: "#fd7e14" },
          {
            type: "line", label: names.best_case, data: toNumbers(series.best_case), borderColor: "#6c757d",
            backgroundColor: "#6c757d", borderDash: [4, 4],
          },
          {
            type: "line", label: names.target, data: toNumbers(series.target), borderColor: "#dc3545",
            backgroundColor: "#dc3545", spanGaps: true,
          },
        ],
      },
      options: {
        responsive: true,
        interaction: { mode: "index", intersect: false },
        plugins: { tooltip: tooltip },
        scales: { y: axis },
      },
    };
  }

  return { lang, toNumbers, moneyFormat, moneyOptions, forecastConfig };
})();
