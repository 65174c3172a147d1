// Hand-written SVG charts: lines (training curves, popularity), bars (histograms) and grouped bars (metrics).
// Every point and bar carries a <title> for its exact value.

const NS = "http://www.w3.org/2000/svg";
export const COLORS = ["#0972d3", "#e07941", "#2ea597", "#b088f5", "#c33d69", "#7d8998", "#3184c2", "#8d6605"];
const PAD = { left: 52, right: 14, top: 12, bottom: 34 };

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
  for (const child of children) if (child) el.append(child);
  return el;
}

function title(text) {
  const el = svg("title");
  el.textContent = text;
  return el;
}

function label(x, y, text, attrs = {}) {
  const el = svg("text", { x, y, ...attrs });
  el.textContent = text;
  return el;
}

function ticks(low, high, count = 5) {
  if (high === low) return [low];
  const step = niceStep((high - low) / count);
  const first = Math.ceil(low / step) * step, found = [];
  for (let value = first; value <= high + step * 1e-9; value += step) found.push(+value.toFixed(10));
  return found;
}

function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(raw)), fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

function short(value) {
  const size = Math.abs(value);
  if (size >= 1e6) return (value / 1e6).toFixed(1) + "M";
  if (size >= 1e4) return (value / 1e3).toFixed(0) + "k";
  if (size === 0 || size >= 1) return String(+value.toFixed(2));
  return String(+value.toPrecision(2));
}

function frame(width, height, yLow, yHigh, yLabel) {
  const step = yHigh > yLow ? niceStep((yHigh - yLow) / 5) : 1;   // round the range out to whole ticks
  [yLow, yHigh] = [Math.floor(yLow / step + 1e-9) * step, Math.ceil(yHigh / step - 1e-9) * step];
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img" });
  const plotHeight = height - PAD.top - PAD.bottom;
  const y = (value) => PAD.top + plotHeight * (1 - (value - yLow) / (yHigh - yLow || 1));
  for (const tick of ticks(yLow, yHigh)) {
    root.append(svg("line", { x1: PAD.left, x2: width - PAD.right, y1: y(tick), y2: y(tick), class: "grid" }));
    root.append(label(PAD.left - 6, y(tick) + 4, short(tick), { "text-anchor": "end", class: "tick" }));
  }
  if (yLabel) root.append(label(12, PAD.top + plotHeight / 2, yLabel,
    { transform: `rotate(-90 12 ${PAD.top + plotHeight / 2})`, "text-anchor": "middle", class: "axis-label" }));
  return { root, y };
}

// series: [{name, points: [[x, y], ...]}]; options: {xLabel, yLabel, width, height, xFormat}
export function lineChart(series, options = {}) {
  const width = options.width || 560, height = options.height || 240;
  const all = series.flatMap((one) => one.points.filter((point) => point[1] !== null));
  if (!all.length) return emptyChart(options.empty || "No points yet");
  const xs = all.map((point) => point[0]), ys = all.map((point) => point[1]);
  let [yLow, yHigh] = [Math.min(...ys), Math.max(...ys)];
  if (options.zero !== false) yLow = Math.min(0, yLow);
  if (yLow === yHigh) yHigh = yLow + 1;
  const [xLow, xHigh] = [Math.min(...xs), Math.max(...xs)];
  const { root, y } = frame(width, height, yLow, yHigh, options.yLabel);
  const plotWidth = width - PAD.left - PAD.right;
  const x = (value) => PAD.left + (xHigh === xLow ? plotWidth / 2 : plotWidth * (value - xLow) / (xHigh - xLow));
  const xTicks = options.integerX ? ticks(xLow, xHigh, Math.min(10, xHigh - xLow || 1)).filter(Number.isInteger)
    : ticks(xLow, xHigh);
  for (const tick of xTicks) {
    root.append(label(x(tick), height - PAD.bottom + 16, (options.xFormat || short)(tick),
      { "text-anchor": "middle", class: "tick" }));
  }
  if (options.xLabel) root.append(label(PAD.left + plotWidth / 2, height - 4, options.xLabel,
    { "text-anchor": "middle", class: "axis-label" }));
  series.forEach((one, index) => {
    const color = one.color || COLORS[index % COLORS.length];
    const points = one.points.filter((point) => point[1] !== null);
    if (points.length > 1) {
      root.append(svg("polyline", { points: points.map(([px, py]) => `${x(px)},${y(py)}`).join(" "),
        fill: "none", stroke: color, "stroke-width": 2, class: "line" }));
    }
    if (points.length <= 120) {
      for (const [px, py] of points) {
        root.append(svg("circle", { cx: x(px), cy: y(py), r: 3.5, fill: color, class: "point", "data-series": one.name },
          title(`${one.name}: ${options.xLabel || "x"} ${short(px)} → ${py}`)));
      }
    }
  });
  return withLegend(root, series);
}

// bars: [{label, value, title?}]
export function barChart(bars, options = {}) {
  const width = options.width || 560, height = options.height || 220;
  if (!bars.length) return emptyChart(options.empty || "No data yet");
  const high = Math.max(...bars.map((bar) => bar.value), 1);
  const { root, y } = frame(width, height, 0, high, options.yLabel);
  const plotWidth = width - PAD.left - PAD.right, slot = plotWidth / bars.length;
  const every = Math.ceil(bars.length / Math.floor(plotWidth / 70));
  bars.forEach((bar, index) => {
    const left = PAD.left + index * slot;
    root.append(svg("rect", { x: left + slot * 0.1, y: y(bar.value), width: Math.max(slot * 0.8, 1),
      height: y(0) - y(bar.value), fill: options.color || COLORS[0], class: "bar" },
      title(bar.title || `${bar.label}: ${bar.value.toLocaleString()}`)));
    if (index % every === 0) root.append(label(left + slot / 2, height - PAD.bottom + 16, bar.label,
      { "text-anchor": "middle", class: "tick" }));
  });
  if (options.xLabel) root.append(label(PAD.left + plotWidth / 2, height - 4, options.xLabel,
    { "text-anchor": "middle", class: "axis-label" }));
  return root;
}

// groups: category labels; series: [{name, values: [number|null per group]}]
export function groupedBarChart(groups, series, options = {}) {
  const width = options.width || 900, height = options.height || 280;
  const values = series.flatMap((one) => one.values.filter((value) => value !== null && value !== undefined));
  if (!values.length || !groups.length) return emptyChart(options.empty || "No metrics yet");
  const { root, y } = frame(width, height, 0, Math.max(...values, 0.0001), options.yLabel);
  const plotWidth = width - PAD.left - PAD.right, slot = plotWidth / groups.length;
  const barWidth = (slot * 0.8) / series.length;
  groups.forEach((group, gIndex) => {
    series.forEach((one, sIndex) => {
      const value = one.values[gIndex];
      if (value === null || value === undefined) return;
      root.append(svg("rect", { x: PAD.left + gIndex * slot + slot * 0.1 + sIndex * barWidth, y: y(value),
        width: Math.max(barWidth - 1, 1), height: y(0) - y(value), fill: COLORS[sIndex % COLORS.length],
        class: "bar", "data-series": one.name }, title(`${one.name} — ${group}: ${value}`)));
    });
    root.append(label(PAD.left + gIndex * slot + slot / 2, height - PAD.bottom + 16, group,
      { "text-anchor": "middle", class: "tick" }));
  });
  return withLegend(root, series);
}

function withLegend(chart, series) {
  const box = document.createElement("figure");
  box.className = "chart-box";
  box.append(chart);
  if (series.length > 1 || series.some((one) => one.legend)) {
    const legend = document.createElement("figcaption");
    legend.className = "legend";
    series.forEach((one, index) => {
      const item = document.createElement("span");
      item.className = "legend-item";
      item.innerHTML = `<i style="background:${one.color || COLORS[index % COLORS.length]}"></i>`;
      item.append(one.name);
      legend.append(item);
    });
    box.append(legend);
  }
  return box;
}

function emptyChart(text) {
  const box = document.createElement("div");
  box.className = "chart-empty";
  box.textContent = text;
  return box;
}
