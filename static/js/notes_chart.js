// Draws the clinical chart's graphs from the JSON the page embeds (id="chart-data"): one graph per panel, all on
// the time axis the server worked out (apps/outcomes/charts.py), so their dates line up and ticks fall on days.
(function () {
  "use strict";

  var COLOURS = {
    phq9: "#3b6ea5", gad7: "#8e5ea2", pain_nrs: "#c0392b", phq15: "#1e7a5f", pcs: "#a35200",
    pain_now: "#2e6da4", pain_worst: "#d35400"
  };

  function toPoints(points, field) {
    return points.map(function (p) { return { x: Date.parse(p.at), y: p[field], band: p.severity_label }; })
      .filter(function (p) { return p.y !== null && p.y !== undefined; });
  }

  function dataset(label, points, colour) {
    return { label: label, data: points, borderColor: colour, backgroundColor: colour, pointRadius: 4 };
  }

  function panelDatasets(panel, data) {
    var sets = panel.instruments.map(function (code) {
      var series = data.measures[code];
      return dataset(series.name, toPoints(series.points, "score"), COLOURS[code]);
    });
    if (panel.note_pain) {
      sets.push(dataset("Pain now (note)", toPoints(data.pain, "now"), COLOURS.pain_now));
      sets.push(dataset("Pain at worst this week (note)", toPoints(data.pain, "worst"), COLOURS.pain_worst));
    }
    return sets.filter(function (set) { return set.data.length; });
  }

  function draw(canvas, datasets, panel, axis) {
    var yMax = panel.y_max;
    var labels = {};
    axis.ticks.forEach(function (tick) { labels[tick.value] = tick.label; });
    var day = new Intl.DateTimeFormat(undefined, { timeZone: axis.time_zone, month: "short", day: "numeric", year: "numeric" });
    new window.Chart(canvas, {
      type: "line",
      data: { datasets: datasets },
      options: {
        parsing: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: {
            type: "linear",
            min: axis.min,
            max: axis.max,
            afterBuildTicks: function (scale) {
              scale.ticks = axis.ticks.map(function (tick) { return { value: tick.value }; });
            },
            ticks: { autoSkip: false, maxRotation: 0, callback: function (value) { return labels[value] || ""; } },
            title: { display: true, text: axis.title }
          },
          y: {
            min: 0,
            max: yMax,
            // The scale's maximum (27, 52) is always labelled; a round tick just under it would print over it.
            afterBuildTicks: function (scale) {
              scale.ticks = scale.ticks.filter(function (tick) {
                return tick.value === yMax || yMax - tick.value >= yMax / 10;
              });
            },
            ticks: { precision: 0 },
            title: { display: true, text: panel.y_title }
          }
        },
        plugins: {
          tooltip: {
            callbacks: {
              title: function (items) { return day.format(new Date(items[0].parsed.x)); },
              label: function (item) {
                var band = item.raw.band ? " · " + item.raw.band : "";
                return item.dataset.label + ": " + item.parsed.y + band;
              }
            }
          }
        }
      }
    });
  }

  function start() {
    var source = document.getElementById("chart-data");
    if (!source || !window.Chart) { return; }
    var data = JSON.parse(source.textContent);
    if (!data.axis) { return; }
    data.panels.forEach(function (panel) {
      var canvas = document.getElementById(panel.canvas_id);
      if (canvas) { draw(canvas, panelDatasets(panel, data), panel, data.axis); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
