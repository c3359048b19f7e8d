// Talking to the urbanwatch API: JSON, the CSRF header on changes, sign-in state, and what to tell
// staff when the server cannot be reached (never "Failed to fetch").
import { t } from "/static/i18n.js";

let csrf = null;
let onSignedOut = () => {};
let serverOnline = true;

export function setCsrf(token) {
  csrf = token;
}

export function whenSignedOut(fn) {
  onSignedOut = fn;
}

// the live connection's view of the server: while it is down, changes are refused here with a
// message instead of being sent into the void
export function setServerOnline(on) {
  serverOnline = on;
}

export function isServerOnline() {
  return serverOnline;
}

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
    this.status = status;
    this.detail = detail;
  }
}

export async function api(path, { method = "GET", body } = {}) {
  if (method !== "GET" && !serverOnline) throw new ApiError(0, t("error.offline"));
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, t("error.network"));
  }
  if (res.status === 401 && !path.startsWith("/api/auth/login")) onSignedOut();
  const data = res.headers.get("content-type")?.includes("json") ? await res.json().catch(() => null) : null;
  if (!res.ok) throw new ApiError(res.status, data?.detail ?? res.statusText);
  return data;
}

// one sentence for staff about an action that failed, in their language
export function actionError(e) {
  if (!(e instanceof ApiError)) return t("error.network");
  if (e.status === 0) return e.message;
  if (e.status === 403) return t("error.forbidden");
  if (e.status === 404) return t("error.notfound");
  if (e.status === 409 || e.status === 422) {
    const detail = Array.isArray(e.detail) ? e.detail.join("; ") : e.message;
    return t("error.invalid", { detail });
  }
  return t("error.server", { status: e.status });
}
