// Training: a solution version's or recommender's curves (training loss and validation NDCG@25 per epoch), live
// while it trains (epochs, elapsed, what is left at most) and kept with the version once it is done; HPO trials
// and AutoML's candidate recipes with their scores; the tuned hyperparameters; the training log.

import * as api from "./api.js";
import { lineChart } from "./charts.js";
import { badge, copyable, duration, fill, h, message, number, section, table } from "./dom.js";
import { link } from "./main.js";
import { kids } from "./overview.js";

const LIVE_MS = 1000;
let timer = null;

export function models(group) {
  const versions = kids(group, "solution").flatMap((solution) => kids(solution, "solution-version")
    .map((version) => ({ node: version, title: `${solution.name} / ${version.arn.split("/").pop()}` })));
  const recommenders = kids(group, "recommender").map((node) => ({ node, title: `recommender ${node.name}` }));
  return [...versions, ...recommenders].sort((a, b) => b.node.created - a.node.created);
}

export function render(container, ctx) {
  const all = models(ctx.group);
  const chosen = all.find((model) => model.node.arn === ctx.arg)
    || all.find((model) => ctx.overview.trainings[model.node.arn]) || all[0];
  const page = h("div.page", {}, h("div.page-head", {}, h("h1", {}, `${ctx.group.name}: training`)));
  container.append(page);
  if (!chosen) {
    page.append(message("Nothing trained in this dataset group yet: create a solution and a solution version (or a recommender)."));
    return;
  }
  page.append(h("label.picker", {}, "Model ", h("select#model", { onchange: (event) => (location.hash = link(ctx.group.arn, "training", event.target.value)) },
    all.map((model) => h("option", { value: model.node.arn, selected: model === chosen }, `${model.title} — ${model.node.status}`)))),
  h("div#curves", {}, h("p.loading", {}, "Loading…")));
  follow(chosen.node.arn);
}

export function stop() {
  clearTimeout(timer);
}

function follow(arn) {
  clearTimeout(timer);
  const tick = async () => {
    const box = document.getElementById("curves");
    if (!box) return;
    let found;
    try {
      found = await api.get("training", { arn });
    } catch (error) {
      fill(box, message(error.message, "error"));
      return;
    }
    show(box, found);
    const settled = ["ACTIVE", "CREATE FAILED", "CREATE STOPPED", "INACTIVE"].includes(found.status) && !found.training;
    if (!settled) timer = setTimeout(tick, LIVE_MS);
  };
  tick();
}

function show(box, found) {
  const points = found.epochs, last = points[points.length - 1];
  const record = found.record;
  fill(box,
    h("div.summary", {}, badge(found.status), copyable(found.arn),
      record.failureReason ? h("div.failure", {}, record.failureReason) : null),
    h("div.cards", {},
      card("Epochs", last ? `${last.epoch} of at most ${found.maxEpochs}` : "—", "epochs"),
      card(found.training ? "Elapsed" : "Training time", found.training ? duration(found.elapsedSeconds)
        : record.trainingHours !== undefined ? duration(record.trainingHours * 3600) : "—", "elapsed"),
      found.training ? card("Left, at most", found.secondsLeft === null ? "—" : `${duration(found.secondsLeft)} (${found.epochsLeft} epochs)`, "left") : null,
      card("Best validation NDCG@25", points.length ? number(Math.max(...points.map((p) => p.ndcg ?? 0))) : "—", "best")),
    found.training ? h("p.hint", {}, "Training stops early when validation NDCG@25 stops improving, or at the time budget "
      + `(${duration(found.budgetSeconds)}), so what is left is an upper bound.`) : null,
    h("div.two", {},
      section("Training loss per epoch", h("div", { "data-curve": "loss" }, lineChart([{ name: "training loss", points: points.map((p) => [p.epoch, p.loss]) }],
        { xLabel: "epoch", yLabel: "loss", integerX: true, zero: false, empty: found.training ? "Waiting for the first epoch…" : "This recipe does not train in epochs (see the log below)." }))),
      section("Validation NDCG@25 per epoch", h("div", { "data-curve": "ndcg" }, lineChart([{ name: "validation NDCG@25", points: points.map((p) => [p.epoch, p.ndcg]), color: "#2ea597" }],
        { xLabel: "epoch", yLabel: "NDCG@25", integerX: true, empty: found.training ? "Waiting for the first epoch…" : "No epochs." })))),
    trials(found), candidates(found), tuned(record),
    section("Training log", h("pre.log", {}, found.log.length ? found.log.join("\n") : "(no log lines)")));
}

function trials(found) {
  if (!found.trials.length) return null;
  const best = found.trials.reduce((top, trial) => (trial.score ?? -1) > (top?.score ?? -1) ? trial : top, null);
  return section(`HPO: ${found.trials.length} trial(s)${found.trials[0].of ? ` of ${found.trials[0].of}` : ""}`,
    h("div.two", {},
      table(["Trial", "Hyperparameters", "Score", "Time", ""], found.trials.map((trial) => h("tr" + (trial === best ? ".best" : ""), {},
        h("td", {}, trial.number), h("td", {}, h("code", {}, trial.settings || "running…")),
        h("td.num", {}, number(trial.score)), h("td", {}, trial.seconds ? duration(trial.seconds) : ""),
        h("td", {}, trial.stoppedEarly ? "stopped early (successive halving)" : trial === best ? "best" : "")))),
      lineChart(found.trials.map((trial) => ({ name: `trial ${trial.number}`, points: trial.epochs.map((p) => [p.epoch, p.ndcg]) })),
        { xLabel: "epoch", yLabel: "validation NDCG@25", integerX: true, width: 440, empty: "No epoch curves (this recipe trains in one pass)." })));
}

function candidates(found) {
  if (!found.candidates.length) return null;
  return section("AutoML: candidate recipes", table(["Recipe", "Metric", "Score", "Time"],
    found.candidates.map((candidate) => h("tr", {}, h("td", {}, candidate.recipe), h("td", {}, candidate.metric || "running…"),
      h("td.num", {}, number(candidate.score)), h("td", {}, candidate.seconds ? duration(candidate.seconds) : "")))));
}

function tuned(record) {
  const params = record.tunedHPOParams?.algorithmHyperParameters;
  if (!params) return null;
  return section("Tuned hyperparameters", table(["Hyperparameter", "Value"],
    Object.entries(params).map(([name, value]) => h("tr", {}, h("td", {}, h("code", {}, name)), h("td", {}, value)))));
}

function card(title, value, key) {
  return h("div.card", { "data-card": key }, h("div.card-value", {}, value), h("div.card-title", {}, title));
}
