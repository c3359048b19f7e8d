// urbanwatch operator console: sign-in, the status strip, live alerts, the daily review, cameras,
// zones, and for admins the detection models, accounts and the audit log.
import { initAccounts, openAccounts, openAudit, renderAccounts, renderAudit, setAccountsTz } from "/static/accounts.js";
import * as A from "/static/alerts.js";
import { api, ApiError, isServerOnline, setCsrf, setServerOnline, whenSignedOut } from "/static/api.js";
import { areas, loadAreas, visibleAreas } from "/static/areas.js";
import {
  cameras, cameraStatus, loadCameras, loadMemory, offlineCameras, renderCameras, troubledCameras,
} from "/static/cameras.js";
import { fmtTime, lang, setLang, t, translatePage } from "/static/i18n.js";
import { initModels, openModels, renderModels, setModelsTz } from "/static/models.js";
import { initReview, onReviewKey, openReview, rerenderReview, reviewUpdate, rv } from "/static/review.js";
import { initZones, openZones } from "/static/zones.js";

const $ = (sel) => document.querySelector(sel);
const RANK = { operator: 0, supervisor: 1, admin: 2 };
const VIEWS = ["alerts", "review", "cameras", "zones", "models", "accounts", "audit"];

const app = { me: null, ws: null, retry: 1000, lastId: 0, tz: "Asia/Ho_Chi_Minh", timers: [], view: "alerts" };

// ------------------------------------------------------------------ language and views
function applyLang(l) {
  setLang(l);
  for (const b of document.querySelectorAll(".lang button")) b.setAttribute("aria-pressed", String(b.dataset.lang === lang()));
  translatePage();
  setConn($("#conn").dataset.state);
  if (app.me) {
    $("#whoami").textContent = `${app.me.display_name} · ${t("role." + app.me.role)}`;
    renderCameras();
    cameraStrip();
    A.rerender();
    rerenderReview();
    if (app.view === "accounts") renderAccounts();
    if (app.view === "audit") renderAudit();
    if (app.view === "models") renderModels();
  }
}

function showView(name) {
  app.view = name;
  for (const v of VIEWS) $(`#${v}-view`).hidden = v !== name;
  for (const b of document.querySelectorAll(".tabs button")) b.setAttribute("aria-selected", String(b.dataset.view === name));
  if (name === "cameras") {
    renderCameras();
    loadMemory().catch(() => {});
  }
  if (name === "zones") openZones();
  if (name === "review") openReview();
  if (name === "accounts") openAccounts();
  if (name === "audit") openAudit();
  if (name === "models") openModels();
}

function applyRole() {
  for (const el of document.querySelectorAll("[data-role]")) {
    if (el.classList.contains("pick")) continue;
    el.hidden = RANK[app.me.role] < RANK[el.dataset.role];
  }
  A.updateBulk();
}

// ------------------------------------------------------------------ sign-in
async function signedIn(me) {
  app.me = me.user;
  A.alerts.me = cameras.me = me.user;
  setCsrf(me.csrf_token);
  $("#login-view").hidden = true;
  $("#app-view").hidden = false;
  applyLang(lang());
  applyRole();
  try {
    const info = await api("/api/info");
    app.tz = A.alerts.tz = cameras.tz = info.timezone;
    rv.dayStart = info.day_start || rv.dayStart;
    setAccountsTz(info.timezone);
    setModelsTz(info.timezone);
  } catch (e) { console.warn(e); }
  // the cameras first: the list names each incident's zone by its camera's zones
  await Promise.all([loadAreas().then(fillAreaFilter), loadCameras().catch((e) => console.warn(e))]);
  await A.load();
  api("/api/system/status").then((st) => {
    if (st.last_warning && st.media_free_percent < st.min_free_percent + 2) showWarning(st.last_warning);
  }).catch(() => {});
  app.lastId = A.alerts.maxId;
  connect();
  app.timers.push(setInterval(() => loadCameras().catch(() => {}), 5000));
}

// the live list by ward, commune or group: the caller's own, in Vietnamese order
function fillAreaFilter() {
  const sel = $("#filter-area");
  sel.replaceChildren(new Option(t("filter.allareas"), ""));
  for (const a of visibleAreas()) sel.append(new Option(a.label, a.name));
  sel.value = A.alerts.filter.area;
}

function signedOut() {
  app.me = null;
  areas.loaded = null; // the next account may see other wards
  A.alerts.filter.area = "";
  areas.byName.clear();
  for (const id of app.timers) clearInterval(id);
  app.timers = [];
  if (app.ws) {
    app.ws.onclose = null;
    app.ws.close();
  }
  serverState(true);
  $("#app-view").hidden = true;
  $("#login-view").hidden = false;
  $("#login-password").value = "";
  $("#login-username").focus();
}

async function login(e) {
  e.preventDefault();
  const err = $("#login-error");
  const button = $("#login-submit");
  err.hidden = true;
  button.disabled = true;
  button.textContent = t("login.busy");
  button.setAttribute("aria-busy", "true");
  try {
    const me = await api("/api/auth/login", {
      method: "POST", body: { username: $("#login-username").value, password: $("#login-password").value },
    });
    await signedIn(me);
  } catch (ex) {
    err.textContent = ex instanceof ApiError && ex.status === 429 ? t("login.throttled")
      : ex instanceof ApiError && ex.status === 0 ? ex.message : t("login.failed");
    err.hidden = false;
  } finally {
    button.disabled = false;
    button.textContent = t("login.submit");
    button.removeAttribute("aria-busy");
  }
}

async function logout() {
  try { await api("/api/auth/logout", { method: "POST" }); } catch (e) { console.warn(e); }
  signedOut();
}

// ------------------------------------------------------------------ status strip
function setConn(kind = "connecting") {
  const el = $("#conn");
  el.dataset.state = kind;
  el.className = `pill ${kind === "live" ? "pill-on" : "pill-off"}`;
  el.dataset.i18n = `conn.${kind}`;
  el.textContent = t(`conn.${kind}`);
}

// the server reachable or not: while it is not, say so on every page and refuse actions
function serverState(online) {
  const was = isServerOnline();
  setServerOnline(online);
  $("#strip-offline").hidden = online;
  $("#strip-offline").textContent = t("strip.offline");
  document.body.classList.toggle("server-offline", !online);
  if (was !== online) {
    renderCameras();
    cameraStrip();
  }
}

// cameras without signal: a line on every page, a badge on the camera tab, a tone when one drops
function cameraStrip({ wentOffline = false } = {}) {
  const off = isServerOnline() ? offlineCameras() : [];
  const troubled = isServerOnline() ? troubledCameras() : [];
  const strip = $("#strip-cameras");
  strip.hidden = !off.length && !troubled.length;
  const parts = [];
  if (off.length) parts.push(t("strip.cameras", { n: off.length, names: off.map((c) => c.name).join(", ") }));
  for (const c of troubled) {
    const kinds = c.problems.filter((p) => p.open).map((p) => t("problem.short." + p.kind)).join(", ");
    parts.push(t("strip.problem", { name: c.name, kinds }));
  }
  strip.textContent = parts.join(" · ");
  const badge = $("#badge-offline");
  const n = off.length + troubled.length;
  badge.hidden = !n;
  badge.textContent = String(n);
  badge.setAttribute("aria-label", strip.textContent);
  if (wentOffline && A.alerts.sound) A.beep([660, 440, 330]);
}

function handle(msg) {
  if (msg.id <= app.lastId) return; // the server never repeats; this guards page reloads
  app.lastId = msg.id;
  if (msg.type === "event.new" || msg.type === "event.updated") {
    A.upsert(msg.event, { fresh: msg.type === "event.new" });
    reviewUpdate(msg.event);
    A.countUnreviewed();
  } else if (msg.type === "camera.status") cameraStatus(msg);
  else if (msg.type === "system.warning") showWarning(msg);
}

function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/ws/events?since=${app.lastId}`);
  app.ws = ws;
  ws.onopen = () => {
    setConn("live");
    serverState(true);
    app.retry = 1000;
    loadCameras().catch(() => {});
  };
  ws.onmessage = (e) => handle(JSON.parse(e.data));
  ws.onclose = (e) => {
    setConn("offline");
    if (e.code === 4401) return signedOut();
    serverState(false);
    setTimeout(() => app.me && connect(), app.retry);
    app.retry = Math.min(app.retry * 2, 15000);
  };
}

function showWarning(w) {
  if (!w || w.code !== "low_disk") return;
  const b = $("#banner");
  b.textContent = t("banner.low_disk", { free: w.free_percent, n: w.purged_early }) + (w.still_low ? t("banner.still_low") : "");
  b.hidden = false;
}

// ------------------------------------------------------------------ start
function tick() {
  $("#clock").textContent = fmtTime(new Date().toISOString(), app.tz, true);
}

let searchTimer = null;
async function main() {
  whenSignedOut(signedOut);
  cameras.onChange = cameraStrip;
  cameras.onZones = () => { A.rerender(); rerenderReview(); };
  for (const b of document.querySelectorAll(".lang button")) b.addEventListener("click", () => applyLang(b.dataset.lang));
  for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => showView(b.dataset.view));
  $("#login-form").addEventListener("submit", login);
  $("#logout").addEventListener("click", logout);
  $("#sound").addEventListener("click", A.toggleSound);
  $("#load-more").addEventListener("click", () => A.load(false));
  for (const [id, key] of [["#filter-type", "type"], ["#filter-status", "status"], ["#filter-camera", "camera"],
    ["#filter-area", "area"], ["#filter-since", "since"], ["#filter-until", "until"]]) {
    $(id).addEventListener("change", (e) => { A.alerts.filter[key] = e.target.value; A.load(); });
  }
  $("#filter-q").addEventListener("input", (e) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => { A.alerts.filter.q = e.target.value.trim(); A.load(); }, 300);
  });
  document.addEventListener("keydown", (e) => {
    if (!app.me) return;
    if (!$("#alerts-view").hidden) A.onKey(e);
    else if (!$("#review-view").hidden) onReviewKey(e);
  });
  A.initAlerts();
  initZones();
  initReview();
  initAccounts();
  initModels();
  applyLang(lang());
  if (!A.alerts.sound) { A.alerts.sound = true; A.toggleSound(); }
  tick();
  setInterval(tick, 1000);
  try {
    await signedIn(await api("/api/auth/me"));
  } catch {
    signedOut();
  }
}

main();
