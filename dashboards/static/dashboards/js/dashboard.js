/*
 * Campusdesk dashboards: draws the charts of dashboards/includes/panel.html.
 *
 * Each chart is a <canvas data-chart="ID"> where ID names the json_script
 * element that holds its data:
 *   {"type": "bar"|"hbar"|"line"|"doughnut", "labels": [...], "values": [...],
 *    "links": [...], "unit": "%"|"", "label": "title",
 *    "display_values": [...]  (optional: the server's formatted values)}
 * Values may arrive as strings (DjangoJSONEncoder writes Decimal as "82.5").
 *
 * No inline script is needed (CSP-friendly): this file and the vendored
 * Chart.js UMD build are loaded with <script defer>, the data with json_script.
 *
 * window.campusdeskCharts.byId maps each canvas id to its Chart instance, so
 * end-to-end tests can find where bar i is drawn:
 *   campusdeskCharts.byId[id].getDatasetMeta(0).data[i]
 */
(function () {
  "use strict";

  var registry = (window.campusdeskCharts = window.campusdeskCharts || {});
  // Loaded twice (the assets include in two blocks)? The first copy does it all.
  if (registry.init) return;
  registry.byId = registry.byId || {};

  // Used when the Wagtail admin CSS variables are missing (e.g. a bare page)
  // and for exported images, which always have a white background.
  var LIGHT = {
    text: "#262626",
    muted: "#5c5c5c",
    grid: "#e0e0e0",
    surface: "#ffffff",
    series: [
      "#007d7e", // Wagtail secondary (teal)
      "#2e1f5e", // Wagtail primary (purple)
      "#e07a1f",
      "#1f7e9a",
      "#cd4444",
      "#6b8e23",
      "#8e44ad",
      "#b58b00",
    ],
  };

  function cssVar(style, name, fallback) {
    var value = style.getPropertyValue(name);
    return value && value.trim() ? value.trim() : fallback;
  }

  // Colours come from CSS custom properties (dashboard.css), which follow
  // Wagtail's light, dark and system themes.
  function readTheme(element) {
    var style = window.getComputedStyle(element);
    var series = [];
    for (var i = 0; i < LIGHT.series.length; i++) {
      series.push(cssVar(style, "--cd-chart-" + (i + 1), LIGHT.series[i]));
    }
    return {
      text: cssVar(style, "--cd-chart-text", LIGHT.text),
      muted: cssVar(style, "--cd-chart-muted", LIGHT.muted),
      grid: cssVar(style, "--cd-chart-grid", LIGHT.grid),
      surface: cssVar(style, "--cd-chart-surface", LIGHT.surface),
      series: series,
    };
  }

  function locale() {
    return document.documentElement.lang || undefined;
  }

  function toNumber(value) {
    if (value === null || value === undefined || value === "") return null;
    var number = Number(value);
    return isFinite(number) ? number : null;
  }

  function formatNumber(value, unit) {
    if (value === null) return "–";
    var options =
      unit === "%"
        ? { maximumFractionDigits: 1 }
        : { maximumFractionDigits: 2 };
    var text;
    try {
      text = new Intl.NumberFormat(locale(), options).format(value);
    } catch (error) {
      text = String(value);
    }
    return unit === "%" ? text + "%" : text;
  }

  function displayValue(spec, index, value) {
    var given = spec.display_values && spec.display_values[index];
    if (given !== undefined && given !== null && given !== "") return String(given);
    return formatNumber(value, spec.unit);
  }

  // Only follow http(s) or relative links: the data comes from our own
  // views, but a stray "javascript:" URL must never run.
  function safeUrl(link) {
    if (!link) return null;
    try {
      var url = new URL(link, window.location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function slugify(text) {
    var slug = String(text || "")
      .toLowerCase()
      .normalize("NFKC")
      .replace(/[^\p{L}\p{N}\p{M}]+/gu, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 80);
    return slug || "chart";
  }

  function withAlpha(colour, alpha) {
    // "#rrggbb" -> rgba(); other notations are used as they are.
    var match = /^#([0-9a-f]{6})$/i.exec(colour);
    if (!match) return colour;
    var n = parseInt(match[1], 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alpha + ")";
  }

  // Paints the canvas white behind the chart while an image is exported, so
  // the PNG is readable wherever it is pasted (a transparent PNG turns black
  // in some viewers).
  var whiteBackground = {
    id: "campusdeskWhiteBackground",
    beforeDraw: function (chart) {
      if (!chart.$campusdeskExporting) return;
      var ctx = chart.ctx;
      ctx.save();
      ctx.globalCompositeOperation = "destination-over";
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, chart.width, chart.height);
      ctx.restore();
    },
  };

  // Sets the colours on a chart's raw configuration: the object passed to
  // new Chart(), or chart.config afterwards (then call recolour()).
  function applyTheme(config, spec, theme) {
    var dataset = config.data.datasets[0];
    var count = config.data.labels.length;
    var options = config.options;
    if (spec.type === "doughnut") {
      var colours = [];
      for (var i = 0; i < count; i++) colours.push(theme.series[i % theme.series.length]);
      dataset.backgroundColor = colours;
      dataset.hoverBackgroundColor = colours;
      dataset.borderColor = theme.surface;
      dataset.hoverBorderColor = theme.surface;
      options.plugins.legend.labels.color = theme.text;
    } else if (spec.type === "line") {
      dataset.borderColor = theme.series[0];
      dataset.backgroundColor = withAlpha(theme.series[0], 0.15);
      dataset.pointBackgroundColor = theme.series[0];
      dataset.pointHoverBackgroundColor = theme.series[0];
      dataset.pointBorderColor = theme.surface;
      dataset.pointHoverBorderColor = theme.surface;
    } else {
      dataset.backgroundColor = theme.series[0];
      dataset.hoverBackgroundColor = theme.series[1];
      dataset.borderColor = theme.series[0];
    }
    Object.keys(options.scales || {}).forEach(function (axis) {
      var scale = options.scales[axis];
      scale.ticks.color = theme.muted;
      scale.grid.color = theme.grid;
      scale.border.color = theme.grid;
    });
    options.plugins.title.color = theme.text;
  }

  // Redraws a drawn chart in other colours, at once. Chart.js keeps the
  // colours it shares between bars in a "none" update, so this updates with
  // animations off instead.
  function recolour(chart, theme) {
    applyTheme(chart.config, chart.$campusdesk.spec, theme);
    chart.$campusdesk.theme = theme;
    var animation = chart.config.options.animation;
    chart.config.options.animation = false;
    chart.stop();
    chart.update();
    chart.config.options.animation = animation;
  }

  function valueAxis(spec) {
    var axis = {
      beginAtZero: true,
      ticks: {
        precision: spec.unit === "%" ? undefined : 0,
        callback: function (value) {
          return formatNumber(value, spec.unit);
        },
      },
      grid: {},
      border: {},
    };
    if (spec.unit === "%") {
      axis.min = 0;
      axis.max = 100;
    }
    return axis;
  }

  function categoryAxis() {
    return {
      ticks: { autoSkip: true },
      grid: { display: false },
      border: {},
    };
  }

  function elementsAt(chart, event) {
    return chart.getElementsAtEventForMode(event, "nearest", { intersect: true }, true);
  }

  function linkAt(chart, event) {
    var elements = elementsAt(chart, event);
    if (!elements.length) return null;
    return safeUrl(chart.$campusdesk.spec.links[elements[0].index]);
  }

  function buildConfig(spec) {
    var type = spec.type;
    var values = spec.values.map(toNumber);
    var config = {
      type: type === "hbar" ? "bar" : type,
      data: {
        labels: spec.labels.map(String),
        datasets: [{ label: spec.label || "", data: values }],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches
          ? false
          : { duration: 400 },
        interaction: { mode: "nearest", intersect: true },
        plugins: {
          // Our colours, not Chart.js's default palette.
          colors: { enabled: false },
          legend: { display: type === "doughnut", position: "bottom", labels: {} },
          title: { display: false, text: spec.label || "", font: { size: 16 } },
          tooltip: {
            callbacks: {
              label: function (item) {
                var text = displayValue(spec, item.dataIndex, values[item.dataIndex]);
                return type === "doughnut" || !spec.label ? text : spec.label + ": " + text;
              },
            },
          },
        },
        scales: {},
      },
      plugins: [whiteBackground],
    };
    var dataset = config.data.datasets[0];
    if (type === "bar" || type === "hbar") {
      dataset.borderRadius = 3;
      dataset.maxBarThickness = 48;
      if (type === "hbar") {
        config.options.indexAxis = "y";
        config.options.scales = { x: valueAxis(spec), y: categoryAxis() };
      } else {
        config.options.scales = { x: categoryAxis(), y: valueAxis(spec) };
      }
    } else if (type === "line") {
      dataset.fill = true;
      dataset.tension = 0.25;
      dataset.pointRadius = 4;
      dataset.pointHoverRadius = 6;
      dataset.pointHitRadius = 12;
      config.options.scales = { x: categoryAxis(), y: valueAxis(spec) };
      config.options.scales.x.grid = { display: true };
    } else if (type === "doughnut") {
      dataset.borderWidth = 2;
      dataset.hoverOffset = 6;
    }
    return config;
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source) return null;
    var spec;
    try {
      spec = JSON.parse(source.textContent);
    } catch (error) {
      return null;
    }
    if (!spec || !Array.isArray(spec.labels) || !Array.isArray(spec.values)) return null;
    spec.links = Array.isArray(spec.links) ? spec.links : [];
    spec.unit = spec.unit || "";
    if (["bar", "hbar", "line", "doughnut"].indexOf(spec.type) === -1) spec.type = "bar";

    // A horizontal bar chart grows with its rows so labels never overlap.
    var container = canvas.parentElement;
    if (spec.type === "hbar" && container) {
      container.style.height = Math.max(240, spec.labels.length * 32 + 64) + "px";
    }

    var config = buildConfig(spec);
    var theme = readTheme(canvas);
    applyTheme(config, spec, theme);
    var chart = new window.Chart(canvas, config);
    chart.$campusdesk = { spec: spec, theme: theme };

    canvas.addEventListener("click", function (event) {
      var url = linkAt(chart, event);
      if (!url) return;
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button === 1) {
        window.open(url, "_blank", "noopener");
      } else {
        window.location.assign(url);
      }
    });
    canvas.addEventListener("mousemove", function (event) {
      canvas.style.cursor = linkAt(chart, event) ? "pointer" : "default";
    });
    canvas.addEventListener("mouseleave", function () {
      canvas.style.cursor = "default";
    });

    if (canvas.id) registry.byId[canvas.id] = chart;
    return chart;
  }

  // The chart as a PNG: light colours on white, with its title.
  function exportImage(chart) {
    var theme = chart.$campusdesk.theme;
    var title = chart.config.options.plugins.title;
    chart.$campusdeskExporting = true;
    title.display = Boolean(title.text);
    try {
      recolour(chart, LIGHT);
      return chart.toBase64Image("image/png", 1);
    } finally {
      chart.$campusdeskExporting = false;
      title.display = false;
      recolour(chart, theme);
    }
  }

  function download(chart) {
    var link = document.createElement("a");
    link.href = exportImage(chart);
    link.download = slugify(chart.$campusdesk.spec.label) + ".png";
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  function wireDownloads() {
    document.querySelectorAll("button[data-chart-download]").forEach(function (button) {
      var chart = registry.byId[button.getAttribute("data-chart-download")];
      if (!chart || button.hasAttribute("data-chart-ready")) return;
      button.setAttribute("data-chart-ready", "");
      button.hidden = false;
      button.addEventListener("click", function () {
        download(chart);
      });
    });
  }

  function eachChart(callback) {
    Object.keys(registry.byId).forEach(function (id) {
      callback(registry.byId[id]);
    });
  }

  function retheme() {
    eachChart(function (chart) {
      recolour(chart, readTheme(chart.canvas));
    });
  }

  // Printing: paper is white, and the printout carries the numbers, so use
  // the light colours and open every "Show the numbers". Chart.js does not
  // resize for print media by itself.
  var openedForPrint = [];
  function beforePrint() {
    document.querySelectorAll("details.cd-panel__numbers:not([open])").forEach(function (details) {
      details.open = true;
      openedForPrint.push(details);
    });
    eachChart(function (chart) {
      recolour(chart, LIGHT);
      chart.resize();
    });
  }
  function afterPrint() {
    openedForPrint.forEach(function (details) {
      details.open = false;
    });
    openedForPrint = [];
    eachChart(function (chart) {
      chart.resize();
    });
    retheme();
  }

  function init() {
    if (typeof window.Chart !== "function") return;
    window.Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.id && registry.byId[canvas.id]) return;
      draw(canvas);
    });
    wireDownloads();
  }

  // Chart.js follows its container through a ResizeObserver, which can miss a
  // grid reflow (the container shrinks only once the canvas lets it): on a
  // window resize, measure every chart again, once per frame.
  var resizeQueued = false;
  window.addEventListener("resize", function () {
    if (resizeQueued) return;
    resizeQueued = true;
    window.requestAnimationFrame(function () {
      resizeQueued = false;
      eachChart(function (chart) {
        chart.resize();
      });
    });
  });

  window.addEventListener("beforeprint", beforePrint);
  window.addEventListener("afterprint", afterPrint);
  var darkScheme = window.matchMedia("(prefers-color-scheme: dark)");
  if (darkScheme.addEventListener) darkScheme.addEventListener("change", retheme);

  registry.init = init;
  registry.exportImage = exportImage;

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
