// Data: for each dataset of the group, its fields, a sample of records, interactions over time, event types, the
// most interacted items, the long tail of interactions per user and per item, and the events PutEvents brings.

import * as api from "./api.js";
import { barChart, lineChart } from "./charts.js";
import { fill, h, message, number, section, table, when } from "./dom.js";
import { link } from "./main.js";
import { kids } from "./overview.js";

const EVENTS_MS = 2000;
let timer = null;

export function render(container, ctx) {
  const datasets = kids(ctx.group, "dataset");
  const chosen = datasets.find((dataset) => dataset.arn === ctx.arg)
    || datasets.find((dataset) => dataset.record.datasetType.toUpperCase() === "INTERACTIONS") || datasets[0];
  const page = h("div.page", {}, h("div.page-head", {}, h("h1", {}, `${ctx.group.name}: data`)));
  container.append(page);
  if (!chosen) {
    page.append(message("This dataset group has no dataset yet (CreateDataset, then CreateDatasetImportJob or PutEvents)."));
    return;
  }
  page.append(h("div.subtabs", {}, datasets.map((dataset) => h("a" + (dataset === chosen ? ".current" : ""),
    { href: link(ctx.group.arn, "data", dataset.arn) }, dataset.record.datasetType))), h("div#dataset", {}, h("p.loading", {}, "Loading…")));
  load(chosen);
}

export function stop() {
  clearTimeout(timer);
}

async function load(dataset) {
  const found = await api.get("dataset", { arn: dataset.arn });
  const box = document.getElementById("dataset");
  if (!box) return;
  const fields = found.fields.map((field) => field.name);
  const isEvents = "perDay" in found;
  fill(box,
    h("div.cards", {},
      card("Records", number(found.count)),
      isEvents ? [card("Users", number(found.users)), card("Items", number(found.items)),
        card("Event types", number(found.eventTypes.length))] : null,
      card("Status", found.dataset.status), card("Fields", fields.length)),
    isEvents ? eventCharts(found) : recordCharts(found),
    section("Schema fields", table(["Field", "Type", "Nullable", "Categorical", "Textual"],
      found.fields.map((field) => h("tr", {}, h("td", {}, h("code", {}, field.name)), h("td", {}, field.type),
        h("td", {}, field.nullable ? "yes" : ""), h("td", {}, field.categorical ? "yes" : ""), h("td", {}, field.textual ? "yes" : ""))))),
    section(`Sample of ${found.sample.length} records`, sampleTable(found.sample, isEvents, fields)),
    isEvents ? section("Events arriving from PutEvents (live)", h("div#recent", {}, h("p.loading", {}, "Loading…"))) : null);
  if (isEvents) watchEvents(dataset.arn);
}

function eventCharts(found) {
  const days = found.perDay, step = Math.max(1, Math.ceil(days.length / 120));
  const bars = [];
  for (let index = 0; index < days.length; index += step) {
    const slice = days.slice(index, index + step), count = slice.reduce((sum, day) => sum + day.count, 0);
    const label = new Date(slice[0].day * 1000).toISOString().slice(0, 10);
    bars.push({ label, value: count, title: `${label}${step > 1 ? ` (+${step - 1} days)` : ""}: ${count.toLocaleString()} interactions` });
  }
  const total = found.eventTypes.reduce((sum, row) => sum + row.count, 0) || 1;
  const topTotal = found.topItems[0]?.count || 1;
  return [
    section(`Interactions per ${step > 1 ? step + " days" : "day"}`, barChart(bars, { yLabel: "interactions", width: 900, height: 220 })),
    h("div.two", {},
      section("Event types", table(["Event type", "Interactions", "Share"],
        found.eventTypes.map((row) => h("tr", {}, h("td", {}, row.eventType ?? h("em", {}, "(none)")),
          h("td.num", {}, number(row.count)), h("td", {}, share(row.count / total)))))),
      section("Most interacted items (top 10)", table(["Item", "Interactions", ""],
        found.topItems.slice(0, 10).map((row) => h("tr", {}, h("td", {}, h("code", {}, row.itemId)), h("td.num", {}, number(row.count)),
          h("td", {}, h("div.meter", {}, h("i", { style: `width:${(100 * row.count / topTotal).toFixed(1)}%` })))))))),
    h("div.three", {},
      section("Interactions per user", barChart(logBars(found.perUser, "users"), { width: 360, height: 200, yLabel: "users", xLabel: "interactions" })),
      section("Interactions per item", barChart(logBars(found.perItem, "items"), { width: 360, height: 200, yLabel: "items", xLabel: "interactions", color: "#e07941" })),
      section("Long tail: share of interactions", lineChart([{ name: "most popular items", points: found.itemShares.map((p) => [p.items, p.interactions]) }],
        { width: 360, height: 200, xLabel: "% of items, most popular first", yLabel: "% of interactions" }))),
  ];
}

function logBars(bins, what) {
  return bins.map((bin) => ({ label: bin.from === bin.to ? String(bin.from) : `${bin.from}–${bin.to}`, value: bin.count,
    title: `${bin.count.toLocaleString()} ${what} with ${bin.from}–${bin.to} interactions` }));
}

function recordCharts(found) {
  const values = Object.entries(found.categoricalValues || {});
  if (!values.length) return null;
  return h("div.two", {}, values.map(([field, rows]) => section(`${field}: most common values`,
    barChart(rows.map((row) => ({ label: String(row.value ?? "(none)").slice(0, 12), value: row.count })), { width: 440, height: 200 }))));
}

function sampleTable(rows, isEvents, fields) {
  if (isEvents) {
    return table(["User", "Item", "Time", "Event type", "Value", "Session", "Other fields", "Source"],
      rows.map(eventRow));
  }
  return table(fields, rows.map((row) => h("tr", {}, fields.map((field) => h("td", {}, row[field] === undefined ? "" : String(row[field]))))));
}

function eventRow(event) {
  return h("tr", {}, h("td", {}, event.userId ?? ""), h("td", {}, h("code", {}, event.itemId ?? "")),
    h("td", {}, when(event.timestamp)), h("td", {}, event.eventType ?? ""), h("td", {}, event.eventValue ?? ""),
    h("td", {}, event.sessionId ?? ""), h("td", {}, event.properties ? h("code", {}, JSON.stringify(event.properties)) : ""),
    h("td", {}, event.source === "put" ? "PutEvents" : "import"));
}

function watchEvents(arn) {
  clearTimeout(timer);
  const tick = async () => {
    const box = document.getElementById("recent");
    if (!box) return;
    if (!document.hidden) {
      const { events } = await api.get("events", { dataset: arn });
      fill(box, events.length ? table(["User", "Item", "Sent at", "Event type", "Value", "Session", "Other fields", "Source"],
        events.map(eventRow)) : h("p.hint", {}, "No event from PutEvents yet. Events sent through an event tracker (or from the Try it page) appear here as they arrive."));
    }
    timer = setTimeout(tick, EVENTS_MS);
  };
  tick();
}

function card(title, value) {
  return h("div.card", {}, h("div.card-value", {}, value), h("div.card-title", {}, title));
}

function share(fraction) {
  return h("span.share", {}, h("div.meter", {}, h("i", { style: `width:${(100 * fraction).toFixed(1)}%` })), `${(100 * fraction).toFixed(1)} %`);
}
