// The console's JSON endpoints. Actions carry the header that keeps other origins out.

const BASE = "/_emulator/console/api";

export async function get(path, params = {}) {
  const query = new URLSearchParams(params).toString();
  const answer = await fetch(`${BASE}/${path}${query ? "?" + query : ""}`);
  const body = await answer.json();
  if (!answer.ok) throw new Error(body.message || body.Message || answer.statusText);
  return body;
}

export async function act(path, body) {
  const answer = await fetch(`${BASE}/${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Emulator-Console": "1" },
    body: JSON.stringify(body),
  });
  const result = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    const code = result.__type || result.code;
    throw new Error(`${code ? code + ": " : ""}${result.message || result.Message || answer.statusText}`);
  }
  return result;
}
