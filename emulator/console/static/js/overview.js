// Overview: every dataset group (home), and one group's resources with live statuses, failure reasons,
// copyable ARNs and the actions (stop a training, delete a resource).

import * as api from "./api.js";
import { badge, copyable, copyArn, duration, fill, h, number, section, shortArn, statusCell, table, when } from "./dom.js";
import { link, notify, reload } from "./main.js";

export const kids = (node, kind) => (node?.children || []).filter((child) => child.kind === kind);
const latest = (nodes) => nodes.reduce((last, node) => (!last || node.created > last.created ? node : last), null);

export const home = {
  render(container, ctx) {
    container.append(h("div.page", {}, h("h1", {}, "Dataset groups"), h("div#home")));
    this.refresh(ctx);
  },
  refresh(ctx) {
    const box = document.getElementById("home");
    if (!box) return;
    const { groups, schemas, trainings } = ctx.overview;
    fill(box,
      section("Dataset groups",
        groups.length ? null : h("p.hint", {}, "No dataset group yet. Create one with boto3 (CreateDatasetGroup) against this endpoint; it appears here within two seconds."),
        table(["Name", "Domain", "Status", "Datasets", "Solutions", "Campaigns / recommenders", "Created", "ARN"],
          groups.map((group) => h("tr", { "data-arn": group.arn },
            h("td", {}, h("a.strong", { href: link(group.arn) }, group.name)),
            h("td", {}, group.record.domain || "Custom"),
            h("td", {}, statusCell({ ...group.record, status: group.status })),
            h("td", {}, kids(group, "dataset").length),
            h("td", {}, kids(group, "solution").length),
            h("td", {}, kids(group, "solution").flatMap((s) => kids(s, "campaign")).length + kids(group, "recommender").length),
            h("td", {}, when(group.created)),
            h("td", {}, copyArn(group.arn)))), { class: "groups" })),
      Object.keys(trainings).length ? section("Trainings in progress", table(["Model", "Elapsed", "Latest log line"],
        Object.entries(trainings).map(([arn, entry]) => h("tr", {}, h("td", {}, h("code", {}, shortArn(arn))),
          h("td", {}, duration(entry.elapsedSeconds)), h("td", {}, h("code", {}, entry.lastMessage)))))) : null,
      section("Schemas", table(["Name", "Domain", "Fields", "Created", "ARN", ""],
        schemas.map((schema) => h("tr", {},
          h("td", {}, schema.name), h("td", {}, schema.record.domain || "Custom"),
          h("td", {}, schemaFields(schema.record.schema)), h("td", {}, when(schema.created)),
          h("td", {}, copyArn(schema.arn)), h("td", {}, deleteButton(schema)))))));
  },
};

export const group = {
  render(container, ctx) {
    container.append(h("div.page", {}, h("div#group")));
    this.refresh(ctx);
  },
  refresh(ctx) {
    const box = document.getElementById("group");
    if (!box || !ctx.group) return;
    const g = ctx.group, trainings = ctx.overview.trainings;
    fill(box,
      h("div.page-head", {}, h("h1", {}, g.name), badge(g.status), h("span.domain", {}, g.record.domain || "Custom dataset group")),
      h("div.summary", {}, copyable(g.arn), g.record.failureReason ? h("div.failure", {}, g.record.failureReason) : null,
        h("span.muted", {}, `Created ${when(g.created)} · region ${g.region}`), deleteButton(g, "Delete dataset group")),
      datasets(g, schemaTexts(ctx.overview)), solutions(g, trainings), campaigns(g), recommenders(g, trainings),
      filters(g), trackers(g), batchJobs(g), others(g));
  },
};

function datasets(g, schemas) {
  return section("Datasets", table(["Type", "Name", "Status", "Schema fields", "Records", "Last import", "ARN", ""],
    kids(g, "dataset").map((dataset) => {
      const imports = kids(dataset, "dataset-import-job"), last = latest(imports);
      return h("tr", { "data-arn": dataset.arn },
        h("td", {}, h("a.strong", { href: link(g.arn, "data", dataset.arn) }, dataset.record.datasetType)),
        h("td", {}, dataset.name),
        h("td", {}, statusCell({ ...dataset.record, status: dataset.status })),
        h("td", {}, schemaFields(schemas[dataset.record.schemaArn])),
        h("td.num", {}, number(dataset.rows ?? 0)),
        h("td", { class: "import" }, last ? [h("div", {}, last.name, " "), statusCell({ ...last.record, status: last.status }),
          h("div.muted", {}, `${imports.length} import${imports.length === 1 ? "" : "s"} · ${when(last.created)}`)] : "No import yet"),
        h("td", {}, copyArn(dataset.arn)),
        h("td", {}, deleteButton(dataset)));
    })),
  exportJobs(g));
}

function exportJobs(g) {
  const jobs = kids(g, "dataset").flatMap((dataset) => kids(dataset, "dataset-export-job"));
  const deletions = kids(g, "data-deletion-job");
  if (!jobs.length && !deletions.length) return null;
  return h("div", {}, h("h3", {}, "Export and data deletion jobs"), table(["Job", "Kind", "Status", "Created", "ARN"],
    [...jobs, ...deletions].map((job) => h("tr", {}, h("td", {}, job.name), h("td", {}, job.kind),
      h("td", {}, statusCell({ ...job.record, status: job.status })), h("td", {}, when(job.created)),
      h("td", {}, copyArn(job.arn))))));
}

function solutions(g, trainings) {
  const rows = [];
  for (const solution of kids(g, "solution")) {
    const recipe = solution.record.recipeArn ? solution.record.recipeArn.split("/").pop()
      : "AutoML" + (solution.record.autoMLResult ? ` → ${solution.record.autoMLResult.bestRecipeArn.split("/").pop()}` : "");
    rows.push(h("tr.solution", { "data-arn": solution.arn },
      h("td", {}, h("strong", {}, solution.name)),
      h("td", {}, recipe, solution.record.performHPO ? h("span.tag", {}, "HPO") : null,
        solution.record.performAutoTraining === false ? null : h("span.tag", {}, "auto training")),
      h("td", {}, statusCell({ ...solution.record, status: solution.status })),
      h("td", {}, `${kids(solution, "solution-version").length} version(s)`), h("td", {}),
      h("td", {}, copyArn(solution.arn)), h("td", {}, deleteButton(solution))));
    for (const version of kids(solution, "solution-version").sort((a, b) => b.created - a.created)) {
      const live = trainings[version.arn];
      rows.push(h("tr.version", { "data-arn": version.arn },
        h("td", {}, "↳ ", h("a", { href: link(g.arn, "training", version.arn) }, version.arn.split("/").pop())),
        h("td", {}, `${version.record.trainingMode || "FULL"} · ${version.record.trainingType || "MANUAL"}`),
        h("td", {}, statusCell({ ...version.record, status: version.status }),
          live ? h("div.muted", {}, h("code", {}, live.lastMessage)) : null),
        h("td", {}, version.record.trainingHours !== undefined ? `trained in ${duration(version.record.trainingHours * 3600)}`
          : live ? `training for ${duration(live.elapsedSeconds)}` : ""),
        h("td", {}, h("a", { href: link(g.arn, "training", version.arn) }, "curves"), " · ",
          h("a", { href: link(g.arn, "metrics") }, "metrics")),
        h("td", {}, copyArn(version.arn)),
        h("td", {}, ["CREATE PENDING", "CREATE IN_PROGRESS"].includes(version.status) ? stopButton(version) : null)));
    }
  }
  return section("Solutions and versions", table(["Solution / version", "Recipe / mode", "Status", "Versions / time", "", "ARN", ""], rows));
}

function campaigns(g) {
  const all = kids(g, "solution").flatMap((solution) => kids(solution, "campaign"));
  return section("Campaigns", table(["Name", "Status", "Solution version", "Recipe", "Min TPS", "Exploration", "ARN", ""],
    all.map((campaign) => {
      const config = campaign.record.campaignConfig;
      return h("tr", { "data-arn": campaign.arn },
        h("td", {}, h("strong", {}, campaign.name)),
        h("td", {}, statusCell({ ...campaign.record, status: campaign.status }),
          campaign.record.latestCampaignUpdate ? h("div.muted", {}, `update: ${campaign.record.latestCampaignUpdate.status}`) : null),
        h("td", {}, h("code", {}, (campaign.record.solutionVersionArn || "").split(":").pop())),
        h("td", {}, campaign.serving?.recipe || "—"),
        h("td.num", {}, campaign.record.minProvisionedTPS ?? "—"),
        h("td", {}, exploration(config)),
        h("td", {}, copyArn(campaign.arn)),
        h("td", {}, campaign.status === "ACTIVE" && campaign.serving?.operation
          ? h("a.button", { href: link(g.arn, "try", campaign.arn) }, "Test") : null, " ", deleteButton(campaign)));
    })));
}

function recommenders(g, trainings) {
  const all = kids(g, "recommender");
  if (!all.length && !g.record.domain) return null;
  return section("Recommenders", table(["Name", "Use case", "Status", "Exploration", "Model", "ARN", ""],
    all.map((recommender) => h("tr", { "data-arn": recommender.arn },
      h("td", {}, h("strong", {}, recommender.name)),
      h("td", {}, recommender.record.recipeArn.split("/").pop()),
      h("td", {}, statusCell({ ...recommender.record, status: recommender.status }),
        trainings[recommender.arn] ? h("div.muted", {}, h("code", {}, trainings[recommender.arn].lastMessage)) : null),
      h("td", {}, exploration(recommender.record.recommenderConfig)),
      h("td", {}, h("a", { href: link(g.arn, "training", recommender.arn) }, "training"), " · ",
        h("a", { href: link(g.arn, "metrics") }, "metrics")),
      h("td", {}, copyArn(recommender.arn)),
      h("td", {}, recommender.status === "ACTIVE" ? h("a.button", { href: link(g.arn, "try", recommender.arn) }, "Test") : null,
        " ", deleteButton(recommender))))));
}

function exploration(config) {
  const explore = config?.itemExplorationConfig;
  return explore ? Object.entries(explore).map(([key, value]) => `${key} ${value}`).join(", ") : "—";
}

function filters(g) {
  return section("Filters", table(["Name", "Expression", "Status", "ARN", ""],
    kids(g, "filter").map((filter) => h("tr", { "data-arn": filter.arn },
      h("td", {}, h("strong", {}, filter.name)), h("td", {}, h("code", {}, filter.record.filterExpression)),
      h("td", {}, statusCell({ ...filter.record, status: filter.status })),
      h("td", {}, copyArn(filter.arn)), h("td", {}, deleteButton(filter))))));
}

function trackers(g) {
  return section("Event trackers", table(["Name", "Tracking ID", "Status", "ARN", ""],
    kids(g, "event-tracker").map((tracker) => h("tr", { "data-arn": tracker.arn },
      h("td", {}, h("strong", {}, tracker.name)), h("td", {}, h("code", {}, tracker.record.trackingId)),
      h("td", {}, statusCell({ ...tracker.record, status: tracker.status })),
      h("td", {}, copyArn(tracker.arn)), h("td", {}, deleteButton(tracker))))));
}

function batchJobs(g) {
  const jobs = kids(g, "solution").flatMap((solution) => kids(solution, "solution-version"))
    .flatMap((version) => [...kids(version, "batch-inference-job"), ...kids(version, "batch-segment-job")]);
  if (!jobs.length) return null;
  return section("Batch inference and segment jobs", table(["Name", "Kind", "Status", "Input → output", "Created", "ARN"],
    jobs.map((job) => h("tr", { "data-arn": job.arn }, h("td", {}, h("strong", {}, job.name)), h("td", {}, job.kind),
      h("td", {}, statusCell({ ...job.record, status: job.status })),
      h("td", {}, h("code", {}, job.record.jobInput?.s3DataSource?.path || ""), " → ",
        h("code", {}, job.record.jobOutput?.s3DataDestination?.path || "")),
      h("td", {}, when(job.created)), h("td", {}, copyArn(job.arn))))));
}

function others(g) {
  const attributions = kids(g, "metric-attribution");
  if (!attributions.length) return null;
  return section("Metric attributions", table(["Name", "Status", "ARN", ""],
    attributions.map((node) => h("tr", {}, h("td", {}, node.name), h("td", {}, statusCell({ ...node.record, status: node.status })),
      h("td", {}, copyArn(node.arn)), h("td", {}, deleteButton(node))))));
}

export function schemaTexts(overview) {
  return Object.fromEntries(overview.schemas.map((schema) => [schema.arn, schema.record.schema]));
}

function schemaFields(text) {
  if (!text) return "—";
  try {
    const fields = JSON.parse(text).fields || [];
    return h("span.fields", { title: fields.map((field) => `${field.name}: ${JSON.stringify(field.type)}`).join("\n") },
      fields.map((field) => field.name).join(", "));
  } catch {
    return "—";
  }
}

export function deleteButton(node, text = "Delete") {
  return h("button.danger.small", { type: "button", "data-action": "delete", onclick: async () => {
    if (!confirm(`Delete ${node.kind} ${node.name}?\n\n${node.arn}`)) return;
    try {
      await api.act("delete", { arn: node.arn });
      notify(`Deleting ${node.kind} ${node.name}.`);
    } catch (error) {
      notify(error.message, "error");
    }
    await reload();
  } }, text);
}

function stopButton(node) {
  return h("button.small", { type: "button", "data-action": "stop", onclick: async () => {
    if (!confirm(`Stop training ${node.arn.split("/").pop()}?`)) return;
    try {
      await api.act("stop", { arn: node.arn });
      notify("Stopping the training.");
    } catch (error) {
      notify(error.message, "error");
    }
    await reload();
  } }, "Stop training");
}
