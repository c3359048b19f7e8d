// Detector models (admins): the registry newest first, which one is live (none: the configuration's),
// what each was measured to do, promotion, rollback and shadow mode with what it found. The console
// only writes the registry; the workers pick the live model up themselves.
import { actionError, api } from "/static/api.js";
import { className, fmtTime, lang, t } from "/static/i18n.js";

const $ = (sel) => document.querySelector(sel);
const SHARES = [0.1, 0.25, 0.5];
const md = { data: null, shadow: null, tz: "Asia/Ho_Chi_Minh", pending: null };

export function setModelsTz(tz) {
  md.tz = tz;
}

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function message(text, ok = false) {
  const m = $("#models-message");
  m.textContent = text;
  m.className = ok ? "ok" : "error";
}

function num(v) {
  return new Intl.NumberFormat(lang() === "vi" ? "vi-VN" : "en-GB", { maximumFractionDigits: 3 }).format(v);
}

function pct(share) {
  return `${num(Math.round(share * 1000) / 10)} %`;
}

// a word for a key when the console has one, else the key as written (data from a tool it does not know)
function word(prefix, key) {
  const text = t(prefix + key);
  return text === prefix + key ? key.replace(/_/g, " ") : text;
}

// a class in words: the detector's own ("ô tô") or the office's learned ones ("Ghế, ghế nhựa")
function classWord(name) {
  const text = className(name);
  if (text !== name) return text;
  const key = "label.class." + name;
  return t(key) === key ? name : t(key).charAt(0).toLocaleLowerCase(lang()) + t(key).slice(1);
}

function byWhom(name, username) {
  return username ? name || username : t("audit.system");
}

function fileName(path) {
  return String(path || "").split(/[\\/]/).pop();
}

function modelTitle(m) {
  return `${m.label} – ${m.name}`;
}

// ------------------------------------------------------------------ loading
export async function openModels() {
  try {
    md.data = await api("/api/models");
  } catch (e) {
    message(actionError(e));
    return;
  }
  md.shadow = null;
  if (md.data.shadow !== null) md.shadow = await api(`/api/models/${md.data.shadow}/shadow`).catch(() => null);
  renderModels();
}

// ------------------------------------------------------------------ rendering
export function renderModels() {
  if (!md.data) return;
  const { models, configured } = md.data;
  const live = models.find((m) => m.id === md.data.live);
  const shadow = models.find((m) => m.id === md.data.shadow);
  const running = $("#models-running");
  running.replaceChildren();
  running.append(live ? t("models.running_registry", { model: modelTitle(live) })
    : t("models.running_config", { file: configured.model }));
  if (shadow) running.append(el("br"), t("models.running_shadow", { model: shadow.label, share: pct(shadow.shadow_share) }));
  const back = $("#models-rollback");
  back.hidden = !live;
  if (live) back.textContent = t("models.rollback");
  $("#models-empty").hidden = models.length > 0;
  $("#models-list").replaceChildren(...models.map((m) => card(m, live)));
}

function stateWord(m) {
  return t("models.state." + m.state);
}

function card(m, live) {
  const li = el("li", { className: "model-card" });
  li.dataset.id = m.id;
  li.dataset.state = m.state;
  const head = el("div", { className: "model-head" },
    el("span", { className: "model-version", textContent: m.label }),
    el("span", { className: "model-name", textContent: m.name }),
    el("span", { className: "model-state", textContent: stateWord(m) }));
  if (m.shadow_share !== null) {
    head.append(el("span", { className: "model-shadow", textContent: t("models.in_shadow", { share: pct(m.shadow_share) }) }));
  }
  li.append(head, facts(m), ...metricTables(m.metrics));
  const cmp = m.shadow_share !== null ? md.shadow : m.metrics?.shadow;
  if (cmp && typeof cmp === "object") li.append(shadowBlock(cmp, m.shadow_share !== null));
  li.append(actions(m, live));
  return li;
}

function facts(m) {
  const dl = el("dl", { className: "facts" });
  const add = (key, value) => {
    if (value) dl.append(el("dt", { textContent: t(key) }), el("dd", { textContent: value }));
  };
  add("models.registered", `${byWhom(m.created_by_name, m.created_by)} · ${fmtTime(m.created_at, md.tz, true)}`);
  if (m.promoted_at) add("models.promoted", `${byWhom(m.promoted_by_name, m.promoted_by)} · ${fmtTime(m.promoted_at, md.tz, true)}`);
  if (m.replaced_id !== null) {
    const before = md.data.models.find((x) => x.id === m.replaced_id);
    add("models.replaced", before ? modelTitle(before) : `#${m.replaced_id}`);
  }
  add("models.classes", m.classes.map(classWord).join(" · ")); // a class may be "ghế, ghế nhựa"
  add("models.trained", trained(m.trained_from || {}));
  add("models.file", `${fileName(m.path)} · ${t("models.checksum")} ${m.sha256.slice(0, 12)}`);
  return dl;
}

// the training in one line: dataset, epochs, the model it started from
function trained(tf) {
  const parts = [];
  let ds = tf.dataset;
  if (ds && typeof ds === "object") ds = ds.name || ds.id || ds.path;
  if (ds) parts.push(t("models.dataset", { name: fileName(ds) })); // the dataset's folder, not the server's path
  if (typeof tf.epochs === "number") parts.push(t("models.epochs", { n: num(tf.epochs) }));
  const base = tf.base_model || tf.base;
  if (base) parts.push(t("models.base", { name: fileName(base) }));
  return parts.join(" · ");
}

const isNum = (v) => typeof v === "number" && Number.isFinite(v);
const isObj = (v) => v && typeof v === "object" && !Array.isArray(v);

// each evaluation as a small table: a comparison ("candidate" against "running") in two columns,
// any other set of numbers in one; only the numbers that are there
function metricTables(metrics) {
  const out = [];
  for (const [key, value] of Object.entries(metrics || {})) {
    if (key === "shadow" || !isObj(value)) continue;
    const sides = ["candidate", "running"].filter((s) => isObj(value[s]));
    const cols = sides.length ? sides.map((s) => value[s]) : [value];
    const fields = [...new Set(cols.flatMap((c) => Object.keys(c).filter((f) => isNum(c[f]))))];
    const extra = sides.length ? Object.keys(value).filter((f) => isNum(value[f])) : [];
    if (!fields.length && !extra.length) continue;
    const table = el("table", { className: "data-table metric-table" });
    table.dataset.metric = key;
    table.append(el("caption", { textContent: word("models.metric_set.", key) }));
    const hr = table.createTHead().insertRow();
    hr.append(el("th", { textContent: t("models.measure") }));
    const against = isObj(value.against) && value.against.model ? ` (${fileName(value.against.model)})` : "";
    for (const s of sides.length ? sides : ["value"]) {
      hr.append(el("th", { textContent: t("models.side." + s) + (s === "running" ? against : "") }));
    }
    const body = table.createTBody();
    for (const f of fields) {
      const row = body.insertRow();
      row.append(el("th", { textContent: word("models.metric.", f), scope: "row" }));
      for (const c of cols) row.insertCell().textContent = isNum(c[f]) ? num(c[f]) : "–";
    }
    for (const f of extra) {
      const row = body.insertRow();
      row.append(el("th", { textContent: word("models.metric.", f), scope: "row" }));
      const td = row.insertCell();
      td.colSpan = cols.length;
      td.textContent = num(value[f]);
    }
    out.push(el("div", { className: "table-wrap" }, table));
  }
  return out;
}

// shadow mode against the live model: agreed, only this one, only the live one
function shadowBlock(c, running) {
  const box = el("div", { className: "model-compare" });
  box.dataset.running = String(running);
  const span = c.since ? t("models.shadow_span", { from: fmtTime(c.since, md.tz, true), to: fmtTime(c.until, md.tz, true) }) : "";
  box.append(el("h3", { textContent: t(running ? "models.shadow_now" : "models.shadow_kept") }));
  if (span) box.append(el("p", { className: "summary", textContent: span }));
  const dl = el("dl", { className: "facts" });
  const add = (key, n) => dl.append(el("dt", { textContent: t(key) }), el("dd", { textContent: num(n ?? 0) }));
  add("models.shadow_alerts", c.shadow_alerts);
  add("models.live_events", c.live_events);
  add("models.agreed", c.agreed);
  add("models.extra", c.extra);
  add("models.missed", c.missed);
  box.append(dl);
  const r = c.missed_by_review || {};
  if (c.missed && (r.confirmed || r.dismissed)) {
    box.append(el("p", { className: "summary", textContent: t("models.missed_review",
      { confirmed: num(r.confirmed || 0), dismissed: num(r.dismissed || 0), unreviewed: num(r.unreviewed || 0) }) }));
  }
  return box;
}

function button(label, cls, onClick) {
  const b = el("button", { type: "button", className: cls, textContent: label });
  b.addEventListener("click", onClick);
  return b;
}

function actions(m, live) {
  const bar = el("div", { className: "actions" });
  if (m.state === "live") return bar;
  bar.append(button(t("models.promote"), "primary", () => askPromote(m, live)));
  if (m.shadow_share !== null) {
    bar.append(button(t("models.shadow_stop"), "dismiss", () => act(`/api/models/${m.id}/shadow`, "DELETE", undefined,
      t("models.done_shadow_stop", { model: m.label }))));
    return bar;
  }
  const share = el("select", { className: "model-share" });
  share.setAttribute("aria-label", t("models.share", { model: m.label }));
  for (const s of SHARES) share.append(new Option(t("models.share_option", { share: pct(s) }), String(s)));
  share.value = "0.25";
  bar.append(share, button(t("models.shadow_start"), "", () => act(`/api/models/${m.id}/shadow`, "POST",
    { share: Number(share.value) }, t("models.done_shadow_start", { model: m.label, share: pct(Number(share.value)) }))));
  return bar;
}

// the page shows the registry as it is now before it says what was done
async function act(path, method, body, done) {
  let said = done;
  let ok = true;
  try {
    await api(path, { method, body });
  } catch (e) {
    said = actionError(e);
    ok = false;
  }
  await openModels();
  message(said, ok);
}

// ------------------------------------------------------------------ confirmation dialog
function ask({ title, text, noteLabel, ok, needNote, run }) {
  md.pending = { needNote, run };
  $("#models-dialog-title").textContent = title;
  $("#models-dialog-text").textContent = text;
  $("#models-dialog-note-label").textContent = noteLabel;
  $("#models-dialog-note").value = "";
  $("#models-dialog-note").setAttribute("aria-required", String(needNote));
  $("#models-dialog-ok").textContent = ok;
  $("#models-dialog-error").hidden = true;
  $("#models-dialog").showModal();
  $("#models-dialog-note").focus();
}

function askPromote(m, live) {
  const current = live ? modelTitle(live) : t("models.config_model", { file: md.data.configured.model });
  ask({
    title: t("models.promote_title", { model: m.label }),
    text: t("models.promote_text", { model: modelTitle(m), current }),
    noteLabel: t("models.note_optional"),
    ok: t("models.promote"),
    needNote: false,
    run: (note) => api(`/api/models/${m.id}/promote`, { method: "POST", body: { note: note || null } })
      .then(() => t("models.done_promote", { model: m.label })),
  });
}

function askRollback() {
  const live = md.data.models.find((m) => m.id === md.data.live);
  if (!live) return;
  const before = md.data.models.find((m) => m.id === live.replaced_id);
  const next = before ? modelTitle(before) : t("models.config_model", { file: md.data.configured.model });
  ask({
    title: t("models.rollback_title"),
    text: t("models.rollback_text", { model: modelTitle(live), next }),
    noteLabel: t("models.note_required"),
    ok: t("models.rollback_do"),
    needNote: true,
    run: (note) => api("/api/models/rollback", { method: "POST", body: { note } })
      .then((r) => t("models.done_rollback", { next: r.live ? modelTitle(r.live)
        : t("models.config_model", { file: md.data.configured.model }) })),
  });
}

async function submitDialog(e) {
  e.preventDefault();
  const { needNote, run } = md.pending || {};
  if (!run) return;
  const note = $("#models-dialog-note").value.trim();
  const err = $("#models-dialog-error");
  if (needNote && !note) {
    err.textContent = t("models.need_note");
    err.hidden = false;
    return;
  }
  let done;
  try {
    done = await run(note);
  } catch (ex) {
    err.textContent = actionError(ex);
    err.hidden = false;
    return;
  }
  $("#models-dialog").close();
  md.pending = null;
  await openModels();
  message(done, true);
}

export function initModels() {
  $("#models-rollback").addEventListener("click", askRollback);
  $("#models-dialog-form").addEventListener("submit", submitDialog);
  $("#models-dialog-cancel").addEventListener("click", () => { md.pending = null; $("#models-dialog").close(); });
}
