// Try it: ask a campaign or recommender as an application would (GetRecommendations, GetPersonalizedRanking,
// GetActionRecommendations, through the runtime's own handlers), see the list with scores, promotions and item
// metadata, and record an event for the user to see the list change.

import * as api from "./api.js";
import { fill, h, message, number, section, table } from "./dom.js";
import { link, notify } from "./main.js";
import { kids } from "./overview.js";

let previous = null;   // the ids of the last answer, to mark what an event changed

export function sources(group) {
  const campaigns = kids(group, "solution").flatMap((solution) => kids(solution, "campaign"));
  return [...campaigns, ...kids(group, "recommender")].filter((node) => node.status === "ACTIVE" && node.serving?.operation);
}

export function render(container, ctx) {
  previous = null;
  const all = sources(ctx.group);
  const page = h("div.page", {}, h("div.page-head", {}, h("h1", {}, `${ctx.group.name}: try it`)));
  container.append(page);
  if (!all.length) {
    page.append(message("No ACTIVE campaign or recommender in this dataset group yet. Create a campaign from a trained solution version (or a recommender); it can be tested here once ACTIVE."));
    return;
  }
  const chosen = all.find((node) => node.arn === ctx.arg) || all[0];
  const shape = chosen.serving;
  const filters = kids(ctx.group, "filter").filter((filter) => filter.status === "ACTIVE");
  const form = h("form#try-form.form", { onsubmit: (event) => { event.preventDefault(); ask(ctx, chosen); } },
    field("Campaign or recommender", h("select#source", { onchange: (event) => (location.hash = link(ctx.group.arn, "try", event.target.value)) },
      all.map((node) => h("option", { value: node.arn, selected: node === chosen }, `${node.kind} ${node.name} (${node.serving.recipe})`)))),
    h("p.hint", {}, `${shape.operation} · recipe type ${shape.recipeType}`),
    shape.operation !== "GetRecommendations" || !shape.needsItem || shape.needsUser
      ? field(`User ID${shape.needsUser ? "" : " (optional)"}`, h("input#user-id", { name: "userId", required: shape.needsUser, placeholder: "e.g. user1" })) : null,
    shape.operation === "GetRecommendations" && (shape.needsItem || shape.recipeType === "RELATED_ITEMS")
      ? field("Item ID", h("input#item-id", { name: "itemId", required: shape.needsItem, placeholder: "e.g. a1" })) : null,
    shape.operation === "GetPersonalizedRanking"
      ? field("Items to rank (comma or line separated)", h("textarea#input-list", { name: "inputList", rows: 3, required: true })) : null,
    shape.operation !== "GetPersonalizedRanking"
      ? field("Number of results", h("input#num-results", { name: "numResults", type: "number", min: 1, max: 500, value: 10 })) : null,
    filterFields("filter", filters),
    shape.operation !== "GetActionRecommendations"
      ? field("Context (one KEY=value a line)", h("textarea#context", { name: "context", rows: 2, placeholder: "DEVICE=mobile" })) : null,
    shape.operation === "GetRecommendations" ? h("details.promotion", {}, h("summary", {}, "Promotion"),
      field("Name", h("input#promotion-name", { placeholder: "e.g. featured" })),
      field("Percent of the list promoted", h("input#promotion-percent", { type: "number", min: 1, max: 100, value: 20 })),
      filterFields("promotion", filters)) : null,
    h("div.buttons", {}, h("button#ask.primary", { type: "submit" }, buttonText(shape.operation))));
  const eventForm = h("form#event-form.form.inline", { onsubmit: (event) => { event.preventDefault(); send(ctx, chosen); } },
    field("Item ID", h("input#event-item", { placeholder: "the item the user interacted with", required: true })),
    field("Event type", h("input#event-type", { value: "click" })),
    h("button#send-event", { type: "submit" }, "Send event"));
  page.append(h("div.try", {},
    section("Request", form),
    h("div", {}, section("Results", h("div#results", {}, h("p.hint", {}, "Fill in the request and ask."))),
      section("Record an event for this user", h("p.hint", {}, "Sent with PutEvents through the group's event tracker; the list is asked again at once."),
        eventForm, h("div#event-note")))));
}

function field(title, input) {
  return h("label.field", {}, h("span", {}, title), input);
}

function filterFields(prefix, filters) {
  const values = h(`div#${prefix}-values.values`);
  const select = h(`select#${prefix}-filter`, { onchange: () => placeholders(select, filters, values, prefix) },
    h("option", { value: "" }, "(no filter)"),
    filters.map((filter) => h("option", { value: filter.arn }, `${filter.name}: ${filter.record.filterExpression}`)));
  return [field(prefix === "filter" ? "Filter" : "Promotion filter", select), values];
}

function placeholders(select, filters, box, prefix) {
  const filter = filters.find((one) => one.arn === select.value);
  const names = [...new Set([...(filter?.record.filterExpression || "").matchAll(/\$(\w+)/g)].map((found) => found[1]))];
  fill(box, ...names.map((name) => field(`Value of $${name} (comma separated)`,
    h("input", { "data-placeholder": name, "data-for": prefix, placeholder: "e.g. comedy" }))));
}

function filterValues(prefix) {
  const values = {};
  for (const input of document.querySelectorAll(`[data-for="${prefix}"]`)) {
    if (!input.value.trim()) continue;
    const parts = input.value.split(",").map((part) => part.trim()).filter(Boolean);
    // the service wants each string value in double quotes: "comedy","drama"
    values[input.dataset.placeholder] = parts.map((part) => (/^".*"$/.test(part) || !isNaN(part) ? part : `"${part}"`)).join(",");
  }
  return Object.keys(values).length ? values : undefined;
}

function buttonText(operation) {
  return { GetRecommendations: "Get recommendations", GetPersonalizedRanking: "Get personalized ranking",
    GetActionRecommendations: "Get action recommendations" }[operation];
}

function value(id) {
  const input = document.getElementById(id);
  return input && input.value.trim() ? input.value.trim() : undefined;
}

function request(node) {
  const shape = node.serving, params = {};
  params[node.kind === "campaign" ? "campaignArn" : "recommenderArn"] = node.arn;
  params.userId = value("user-id");
  params.itemId = value("item-id");
  if (shape.operation === "GetPersonalizedRanking") params.inputList = (value("input-list") || "").split(/[\s,]+/).filter(Boolean);
  if (value("num-results")) params.numResults = Number(value("num-results"));
  params.filterArn = value("filter-filter");
  if (params.filterArn) params.filterValues = filterValues("filter");
  const context = value("context");
  if (context) params.context = Object.fromEntries(context.split("\n").filter((line) => line.includes("="))
    .map((line) => [line.split("=")[0].trim(), line.split("=").slice(1).join("=").trim()]));
  if (value("promotion-name") && value("promotion-filter")) {
    params.promotions = [{ name: value("promotion-name"), percentPromotedItems: Number(value("promotion-percent") || 20),
      filterArn: value("promotion-filter"), filterValues: filterValues("promotion") }];
  }
  return { operation: shape.operation, params: JSON.parse(JSON.stringify(params)) };
}

async function ask(ctx, node) {
  const box = document.getElementById("results");
  try {
    const answer = await api.act("try", request(node));
    showResults(box, answer);
  } catch (error) {
    fill(box, message(error.message, "error"));
  }
}

function showResults(box, answer) {
  const list = answer.itemList || answer.personalizedRanking || answer.actionList || [];
  const ids = list.map((item) => item.itemId || item.actionId);
  const records = answer.itemRecords || {};
  const columns = [...new Set(Object.values(records).flatMap((record) => Object.keys(record)))].filter((name) => name !== "ITEM_ID").slice(0, 4);
  const changed = previous ? ids.filter((id, index) => previous.indexOf(id) !== index).length : 0;
  fill(box,
    previous ? h("p#change-note.hint", {}, changed ? `${changed} of ${ids.length} positions changed since the last answer.` : "Same list as the last answer.") : null,
    table(["#", "Item", "Score", "Promotion", ...columns, ""], list.map((item, index) => {
      const id = ids[index], before = previous ? previous.indexOf(id) : index;
      return h("tr" + (previous && before !== index ? ".changed" : ""), { "data-item": id },
        h("td.num", {}, index + 1, previous && before !== index ? h("span.move", {}, before < 0 ? " new" : before > index ? " ↑" : " ↓") : null),
        h("td", {}, h("code", {}, id)), h("td.num", {}, number(item.score, 5)),
        h("td", {}, item.promotionName || ""),
        columns.map((column) => h("td", {}, item.metadata?.[column] ?? (records[id]?.[column] == null ? "" : String(records[id][column])))),
        h("td", {}, h("button.small", { type: "button", onclick: () => { document.getElementById("event-item").value = id; } }, "Use in event")));
    }), { class: "results" }),
    h("p.muted", {}, `recommendationId ${answer.recommendationId || "—"}`));
  previous = ids;
}

async function send(ctx, node) {
  const note = document.getElementById("event-note");
  const userId = value("user-id");
  try {
    await api.act("event", { datasetGroupArn: ctx.group.arn, userId, sessionId: userId ? `console-${userId}` : "console",
      itemId: value("event-item"), eventType: value("event-type") || "click" });
    fill(note, message(`Sent ${value("event-type") || "click"} on ${value("event-item")} for ${userId || "an anonymous session"}.`));
    if (document.querySelector("#results table")) await ask(ctx, node);
  } catch (error) {
    fill(note, message(error.message, "error"));
    notify(error.message, "error");
  }
}
