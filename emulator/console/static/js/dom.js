// Small helpers for building the page: elements, tables, badges, times, copyable ARNs.

// h("div#id.class1.class2", {attribute: value, onclick: handler}, ...children)
export function h(tag, attrs = {}, ...children) {
  const [nameAndId, ...classes] = tag.split(".");
  const [name, id] = nameAndId.split("#");
  const el = document.createElement(name);
  if (id) el.id = id;
  if (classes.length) el.className = classes.join(" ");
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function table(headers, rows, attrs = {}) {
  return h("table", attrs,
    h("thead", {}, h("tr", {}, headers.map((title) => h("th", {}, title)))),
    h("tbody", {}, rows.length ? rows : h("tr", {}, h("td.empty", { colspan: headers.length }, "None yet"))));
}

export function section(title, ...children) {
  return h("section.panel", {}, h("h2", {}, title), ...children);
}

const GOOD = ["ACTIVE", "COMPLETED"], BAD = ["CREATE FAILED", "FAILED", "DELETE FAILED"];

export function badge(status) {
  if (!status) return h("span.badge", {}, "—");
  const tone = GOOD.includes(status) ? "good" : BAD.includes(status) ? "bad"
    : status === "INACTIVE" || status === "CREATE STOPPED" ? "idle" : "busy";
  return h(`span.badge.${tone}`, { "data-status": status }, status);
}

export function statusCell(record) {
  return h("div.status", {}, badge(record.status),
    record.failureReason ? h("div.failure", { title: "failureReason" }, record.failureReason) : null);
}

export function copyable(arn) {
  const button = h("button.copy", { title: "Copy ARN", type: "button", onclick: () => copy(arn, button) }, "Copy");
  return h("span.arn", {}, h("code", {}, arn), button);
}

// a compact button for tables: the ARN shows on hover and goes to the clipboard on click
export function copyArn(arn) {
  const button = h("button.copy", { title: arn, type: "button", "data-arn": arn, onclick: () => copy(arn, button, "Copy ARN") }, "Copy ARN");
  return button;
}

async function copy(text, button, label = "Copy") {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = h("textarea", {}, text);
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  button.textContent = "Copied";
  setTimeout(() => (button.textContent = label), 1200);
}

export function when(seconds) {
  if (!seconds) return "—";
  return new Date(seconds * 1000).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min ${Math.round(seconds % 60)} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function number(value, digits = 4) {
  if (value === null || value === undefined) return "—";
  return Number.isInteger(value) ? value.toLocaleString() : value.toFixed(digits);
}

export function shortArn(arn) {
  return arn.split(":").slice(5).join(":");
}

export function message(text, tone = "info") {
  return h(`div.message.${tone}`, { role: tone === "error" ? "alert" : "status" }, text);
}

// replaceChildren that skips null, false and undefined, and flattens arrays, as h() does
export function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false)
    .map((child) => (child instanceof Node ? child : String(child))));
  return el;
}
