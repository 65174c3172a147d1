// The console's frame: the hash router, the navigation, the overview poll that keeps statuses live, and the
// reset button. Each page module exports render(container, context) and optionally refresh(context), stop().

import * as api from "./api.js";
import { fill, h, message } from "./dom.js";
import * as dataPage from "./data.js";
import * as metricsPage from "./metrics.js";
import * as overviewPage from "./overview.js";
import * as trainingPage from "./training.js";
import * as tryPage from "./tryit.js";

const TABS = [
  ["overview", "Overview", overviewPage.group],
  ["data", "Data", dataPage],
  ["training", "Training", trainingPage],
  ["metrics", "Metrics", metricsPage],
  ["try", "Try it", tryPage],
];
const POLL_MS = 2000;
const state = { overview: null };
let current = null;

export function link(group, tab = "overview", arg) {
  return "#/group/" + [group, tab, arg].filter(Boolean).map(encodeURIComponent).join("/");
}

export function notify(text, tone = "info") {
  const box = document.getElementById("notices") || document.body.appendChild(h("div#notices.notices"));
  box.id = "notices";
  const note = message(text, tone);
  box.append(note);
  setTimeout(() => note.remove(), tone === "error" ? 12000 : 5000);
}

export async function reload() {
  state.overview = await api.get("overview");
  renderNav();
  current?.page.refresh?.(context());
}

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  return parts[0] === "group" ? { group: parts[1], tab: parts[2] || "overview", arg: parts[3] } : { tab: "home" };
}

function context() {
  const where = route();
  const group = state.overview?.groups.find((node) => node.arn === where.group) || null;
  return { ...where, group, overview: state.overview };
}

function show() {
  current?.page.stop?.();
  const ctx = context(), main = document.getElementById("main");
  fill(main);
  let page = overviewPage.home;
  if (ctx.tab !== "home") {
    page = (TABS.find(([tab]) => tab === ctx.tab) || TABS[0])[2];
    if (!ctx.group) {
      main.append(message(`There is no dataset group ${route().group} (deleted, or reset).`, "error"),
        h("p", {}, h("a", { href: "#/" }, "All dataset groups")));
      current = null;
      renderNav();
      return;
    }
  }
  current = { page };
  page.render(main, ctx);
  renderNav();
  window.scrollTo(0, 0);
}

function renderNav() {
  const ctx = context(), nav = document.getElementById("nav");
  const groups = state.overview?.groups || [];
  fill(nav,
    h("a.nav-title" + (ctx.tab === "home" ? ".current" : ""), { href: "#/" }, "Dataset groups"),
    h("ul", {}, groups.map((group) => h("li", {},
      h("a" + (group.arn === ctx.group?.arn ? ".current-group" : ""), { href: link(group.arn) }, group.name),
      group.arn === ctx.group?.arn ? h("ul.tabs", {}, TABS.map(([tab, title]) => h("li", {},
        h("a" + (tab === ctx.tab ? ".current" : ""), { href: link(group.arn, tab), "data-tab": tab }, title))))
        : null))),
    h("p.nav-note", {}, "Served by the emulator itself; every number is read from the same store as the API."));
  const trainings = Object.keys(state.overview?.trainings || {}).length;
  document.getElementById("health").textContent = trainings ? `${trainings} training${trainings > 1 ? "s" : ""} running` : "";
}

async function resetEverything() {
  if (!confirm("Reset everything?\n\nEvery dataset group, dataset, record, model, campaign and job is forgotten, and the S3 buckets too. This cannot be undone.")) return;
  try {
    await api.act("reset", { confirm: "reset" });
    notify("Everything was reset.");
    location.hash = "#/";
    await reload();
    show();
  } catch (error) {
    notify(error.message, "error");
  }
}

async function poll() {
  if (!document.hidden) {
    try {
      await reload();
    } catch (error) {
      document.getElementById("health").textContent = "emulator not answering";
    }
  }
  setTimeout(poll, POLL_MS);
}

async function start() {
  document.getElementById("reset").addEventListener("click", resetEverything);
  window.addEventListener("hashchange", show);
  try {
    state.overview = await api.get("overview");
  } catch (error) {
    fill(document.getElementById("main"), message(`The emulator did not answer: ${error.message}`, "error"));
    return;
  }
  show();
  setTimeout(poll, POLL_MS);
}

start();
