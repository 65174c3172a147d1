// Metrics: the offline metrics of every solution version and recommender of the group side by side, as a chart
// and a table, the best of each metric in bold.

import * as api from "./api.js";
import { COLORS, groupedBarChart } from "./charts.js";
import { badge, fill, h, message, number, section, table } from "./dom.js";
import { link } from "./main.js";

const SHORT = {
  normalized_discounted_cumulative_gain_at_5: "NDCG@5", normalized_discounted_cumulative_gain_at_10: "NDCG@10",
  normalized_discounted_cumulative_gain_at_25: "NDCG@25", precision_at_5: "Precision@5", precision_at_10: "Precision@10",
  precision_at_25: "Precision@25", mean_reciprocal_rank_at_25: "MRR@25", coverage: "Coverage",
  hits_at_1_percent: "Hits@1%", recall_at_1_percent: "Recall@1%",
};
let shown = "";

export function render(container, ctx) {
  container.append(h("div.page", {}, h("div.page-head", {}, h("h1", {}, `${ctx.group.name}: metrics`)),
    h("p.hint", {}, "Offline metrics on the same held-out users for every model of this dataset group (GetSolutionMetrics), so recipes compare on your data."),
    h("div#metrics", {}, h("p.loading", {}, "Loading…"))));
  shown = "";
  load(ctx);
}

export function refresh(ctx) {
  load(ctx);
}

async function load(ctx) {
  const found = await api.get("metrics", { group: ctx.group.arn });
  const key = JSON.stringify(found);
  const box = document.getElementById("metrics");
  if (!box || key === shown) return;
  shown = key;
  const measured = found.models.filter((model) => Object.keys(model.metrics).length);
  const names = measured.map((model) => label(model));
  const best = Object.fromEntries(found.keys.map((metric) => [metric, Math.max(...measured.map((model) => model.metrics[metric] ?? -Infinity))]));
  fill(box,
    measured.length ? null : message("No model of this group has metrics yet: they appear when a solution version is ACTIVE."),
    section("Metrics by model", groupedBarChart(found.keys.map((metric) => SHORT[metric] || metric),
      measured.map((model, index) => ({ name: names[index], values: found.keys.map((metric) => model.metrics[metric] ?? null) })),
      { yLabel: "score", width: 980, height: 300 })),
    section("All models", table(["", "Model", "Recipe", "Status", "Mode", ...found.keys.map((metric) => SHORT[metric] || metric)],
      found.models.map((model) => {
        const index = measured.indexOf(model);
        return h("tr", { "data-arn": model.arn },
          h("td", {}, index >= 0 ? h("i.swatch", { style: `background:${COLORS[index % COLORS.length]}` }) : null),
          h("td", {}, h("a", { href: link(ctx.group.arn, "training", model.arn) }, label(model))),
          h("td", {}, model.recipe), h("td", {}, badge(model.status)), h("td", {}, model.trainingMode || ""),
          found.keys.map((metric) => {
            const value = model.metrics[metric];
            return h("td.num" + (value !== undefined && value === best[metric] && measured.length > 1 ? ".winner" : ""), {}, value === undefined ? "—" : value.toFixed(4));
          }));
      }), { class: "metrics" })));
}

function label(model) {
  return model.arn.includes(":recommender/") ? model.name : `${model.name} / ${model.arn.split("/").pop()}`;
}
