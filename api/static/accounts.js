// Accounts and the audit log (admins): who may see which wards, and who did what.
import { actionError, api } from "/static/api.js";
import { areaLabel, visibleAreas } from "/static/areas.js";
import { cameras } from "/static/cameras.js";
import { actionLabel, fmtTime, t } from "/static/i18n.js";

const $ = (sel) => document.querySelector(sel);
const ROLES = ["operator", "supervisor", "admin"];
const acc = { users: [], tz: "Asia/Ho_Chi_Minh", audit: [], auditOffset: 0 };
const AUDIT_PAGE = 100;

export function setAccountsTz(tz) {
  acc.tz = tz;
}

function cell(row, text) {
  const td = row.insertCell();
  td.textContent = text;
  return td;
}

function head(table, keys) {
  const tr = table.createTHead().insertRow();
  for (const k of keys) tr.append(Object.assign(document.createElement("th"), { textContent: t(k) }));
}

function message(text, ok = false) {
  const el = $("#account-message");
  el.textContent = text;
  el.className = ok ? "ok" : "error";
}

export async function openAccounts() {
  const sel = $("#acc-areas");
  if (!sel.options.length) for (const a of visibleAreas()) sel.append(new Option(a.label, a.name));
  try {
    acc.users = await api("/api/users");
  } catch (e) {
    message(actionError(e));
    return;
  }
  renderAccounts();
}

export function renderAccounts() {
  const table = $("#accounts-table");
  table.replaceChildren();
  head(table, ["accounts.display_name", "accounts.username", "accounts.role", "accounts.scope", "accounts.status",
    "accounts.lastlogin", ""]);
  const body = table.createTBody();
  for (const u of acc.users) {
    const row = body.insertRow();
    row.dataset.user = u.username;
    cell(row, u.display_name);
    cell(row, u.username);
    const role = document.createElement("select");
    role.setAttribute("aria-label", `${t("accounts.role")} – ${u.display_name}`);
    for (const r of ROLES) role.append(new Option(t("role." + r), r));
    role.value = u.role;
    role.addEventListener("change", () => change(u, { role: role.value }));
    row.insertCell().append(role);
    cell(row, u.city_wide ? t("accounts.citywide") : u.areas.map(areaLabel).join(", "));
    cell(row, u.active ? t("accounts.active") : t("accounts.inactive"));
    cell(row, u.last_login_at ? fmtTime(u.last_login_at, acc.tz, true) : t("accounts.never"));
    const actions = row.insertCell();
    const toggle = Object.assign(document.createElement("button"), { type: "button",
      textContent: u.active ? t("accounts.lock") : t("accounts.unlockacc") });
    toggle.addEventListener("click", () => change(u, { active: !u.active }));
    actions.append(toggle);
  }
}

async function change(u, body) {
  try {
    const updated = await api(`/api/users/${u.id}`, { method: "PATCH", body });
    acc.users = acc.users.map((x) => (x.id === u.id ? updated : x));
    message("", true);
  } catch (e) {
    message(actionError(e));
  }
  renderAccounts();
}

async function create(e) {
  e.preventDefault();
  const username = $("#acc-username").value.trim();
  const fullName = $("#acc-display").value.trim();
  if (!username || !fullName) return message(t("accounts.needname"));
  if ($("#acc-password").value.length < 10) return message(t("accounts.shortpassword"));
  const cityWide = $("#acc-citywide").checked;
  const areas = [...$("#acc-areas").selectedOptions].map((o) => o.value);
  if (!cityWide && !areas.length) return message(t("accounts.needarea"));
  const body = { username: $("#acc-username").value.trim(), display_name: $("#acc-display").value.trim(),
    password: $("#acc-password").value, role: $("#acc-role").value, city_wide: cityWide, areas };
  try {
    const u = await api("/api/users", { method: "POST", body });
    acc.users = [...acc.users, u].sort((a, b) => a.username.localeCompare(b.username));
    $("#account-form").reset();
    message(t("accounts.created", { name: u.display_name }), true);
  } catch (ex) {
    message(actionError(ex));
  }
  renderAccounts();
}

// ------------------------------------------------------------------ audit log
export async function openAudit(reset = true) {
  if (reset) {
    acc.audit = [];
    acc.auditOffset = 0;
  }
  if (!acc.users.length) acc.users = await api("/api/users").catch(() => []);
  const q = new URLSearchParams({ limit: AUDIT_PAGE, offset: acc.auditOffset });
  if ($("#audit-type").value) q.append("target_type", $("#audit-type").value);
  try {
    const page = await api(`/api/audit?${q}`);
    acc.audit.push(...page);
    acc.auditOffset += page.length;
    $("#audit-more").hidden = page.length < AUDIT_PAGE;
  } catch (e) {
    $("#audit-more").hidden = true;
    console.warn(e);
  }
  renderAudit();
}

// the target by the name staff know: an incident by number, a camera and a person by name
function targetName(a) {
  if (a.target_type === "event") return `#${a.target_id}`;
  if (a.target_type === "camera") return cameras.list.get(a.target_id)?.name || a.target_id;
  if (a.target_type === "user") return acc.users.find((u) => String(u.id) === a.target_id)?.display_name || a.target_id;
  if (a.target_type === "area") return areaLabel(a.target_id);
  if (a.target_type === "model") {
    const version = (a.after || a.before || {}).version;
    return version ? `v${version}` : a.target_id;
  }
  if (a.target_type === "suppression") {
    const ev = (a.after || a.before || {}).event_id;
    return ev ? t("audit.of_event", { id: ev }) : "";
  }
  return a.target_id;
}

// what an account change changed: locked, unlocked, the role
function changed(a) {
  if (a.action !== "user.update" || !a.before || !a.after) return "";
  const parts = [];
  if (a.before.active !== a.after.active) parts.push(t(a.after.active ? "audit.unlocked" : "audit.locked"));
  if (a.before.role !== a.after.role) parts.push(`${t("role." + a.before.role)} → ${t("role." + a.after.role)}`);
  return parts.length ? `: ${parts.join(", ")}` : "";
}

export function renderAudit() {
  const table = $("#audit-table");
  table.replaceChildren();
  head(table, ["audit.time", "audit.who", "audit.action", "audit.target", "audit.note"]);
  const body = table.createTBody();
  if (!acc.audit.length) {
    const row = body.insertRow();
    const td = cell(row, t("audit.empty"));
    td.colSpan = 5;
  }
  for (const a of acc.audit) {
    const row = body.insertRow();
    cell(row, fmtTime(a.at, acc.tz, true));
    // "system": done on the server's command line (the command itself stays in the API's record)
    const cli = a.username === "system";
    cell(row, cli ? t("audit.system") : a.display_name);
    cell(row, actionLabel(a.action, a.after) + changed(a));
    cell(row, `${t("audit." + a.target_type)} ${targetName(a)}`);
    const because = a.after?.because === "event_reviewed_again"
      ? t("audit.reviewed_again", { id: a.after.event_id, status: t("status." + a.after.status) }) : "";
    cell(row, cli ? t("audit.by_cli") : a.note || because);
  }
}

export function initAccounts() {
  $("#account-form").addEventListener("submit", create);
  $("#audit-type").addEventListener("change", (e) => { e.target.blur(); openAudit(); });
  $("#audit-more").addEventListener("click", () => openAudit(false));
}
