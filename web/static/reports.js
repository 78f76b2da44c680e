// Draws each report chart from the JSON in its canvas's data-chart attribute (no inline script: the CSP forbids it).
const COLOURS = ["#0d6efd", "#dc3545", "#198754", "#e0a800", "#6f42c1", "#20c997", "#fd7e14", "#6c757d"];

document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
  const spec = JSON.parse(canvas.dataset.chart);
  const pie = spec.type === "pie";
  const datasets = spec.datasets.map((set, index) => ({
    ...set,
    backgroundColor: pie ? COLOURS : COLOURS[index % COLOURS.length],
    borderColor: pie ? "#fff" : COLOURS[index % COLOURS.length],
  }));
  const axes = { x: { stacked: spec.stacked }, y: { stacked: spec.stacked, beginAtZero: true } };
  new Chart(canvas, {
    type: spec.type,
    data: { labels: spec.labels, datasets: datasets },
    options: { responsive: true, maintainAspectRatio: false, animation: false, scales: pie ? {} : axes },
  });
});
