// Draws the clinical chart's trend graphs from the JSON the page embeds (id="chart-data").
(function () {
  "use strict";

  function toPoints(points, field) {
    return points.map(function (p) { return { x: Date.parse(p.at), y: p[field] }; })
      .filter(function (p) { return p.y !== null && p.y !== undefined; });
  }

  function dateTick(value) {
    return new Date(value).toLocaleDateString(undefined, { month: "short", day: "numeric" });
  }

  function draw(canvasId, datasets, yMax) {
    var canvas = document.getElementById(canvasId);
    if (!canvas || !window.Chart) { return; }
    new window.Chart(canvas, {
      type: "line",
      data: { datasets: datasets },
      options: {
        parsing: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { type: "linear", ticks: { callback: dateTick } },
          y: { min: 0, suggestedMax: yMax, ticks: { precision: 0 } }
        },
        plugins: {
          tooltip: { callbacks: { title: function (items) { return dateTick(items[0].parsed.x); } } }
        }
      }
    });
  }

  function start() {
    var source = document.getElementById("chart-data");
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var colours = { phq9: "#3b6ea5", gad7: "#8e5ea2", pain_nrs: "#c0392b" };
    var measures = Object.keys(data.measures).map(function (code) {
      var series = data.measures[code];
      return { label: series.name, data: toPoints(series.points, "score"), borderColor: colours[code], backgroundColor: colours[code] };
    });
    draw("measures-chart", measures, 27);
    draw("pain-chart", [
      { label: "Pain now (note)", data: toPoints(data.pain, "now"), borderColor: "#c0392b", backgroundColor: "#c0392b" },
      { label: "Pain at worst this week (note)", data: toPoints(data.pain, "worst"), borderColor: "#e67e22", backgroundColor: "#e67e22" }
    ], 10);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
