// urbanwatch operator console: sign-in, live alerts and review, camera grid, zone editor.
import { api, ApiError, setCsrf, whenSignedOut } from "/static/api.js";
import * as A from "/static/alerts.js";
import { areas, loadAreas, visibleAreas } from "/static/areas.js";
import { cameras, cameraStatus, loadCameras, renderCameras } from "/static/cameras.js";
import { fmtTime, lang, setLang, t, translatePage } from "/static/i18n.js";
import { initReview, onReviewKey, openReview } from "/static/review.js";
import { initZones, openZones } from "/static/zones.js";

const $ = (sel) => document.querySelector(sel);
const RANK = { operator: 0, supervisor: 1, admin: 2 };

const app = { me: null, ws: null, retry: 1000, lastId: 0, tz: "Asia/Ho_Chi_Minh", timers: [] };

// ------------------------------------------------------------------ language and views
function applyLang(l) {
  setLang(l);
  for (const b of document.querySelectorAll(".lang button")) b.setAttribute("aria-pressed", String(b.dataset.lang === lang()));
  translatePage();
  if (app.me) {
    $("#whoami").textContent = `${app.me.display_name} · ${t("role." + app.me.role)}`;
    renderCameras();
    A.rerender();
  }
}

function showView(name) {
  for (const v of ["alerts", "review", "cameras", "zones"]) $(`#${v}-view`).hidden = v !== name;
  for (const b of document.querySelectorAll(".tabs button")) b.setAttribute("aria-selected", String(b.dataset.view === name));
  if (name === "cameras") renderCameras();
  if (name === "zones") openZones();
  if (name === "review") openReview();
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
  A.alerts.me = me.user;
  setCsrf(me.csrf_token);
  $("#login-view").hidden = true;
  $("#app-view").hidden = false;
  applyLang(lang());
  applyRole();
  try {
    const info = await api("/api/info");
    app.tz = A.alerts.tz = cameras.tz = info.timezone;
  } catch (e) { console.warn(e); }
  await Promise.all([loadAreas().then(fillAreaFilter), loadCameras(), A.load()]);
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
  $("#app-view").hidden = true;
  $("#login-view").hidden = false;
  $("#login-password").value = "";
  $("#login-username").focus();
}

async function login(e) {
  e.preventDefault();
  const err = $("#login-error");
  err.hidden = true;
  try {
    const me = await api("/api/auth/login", {
      method: "POST", body: { username: $("#login-username").value, password: $("#login-password").value },
    });
    await signedIn(me);
  } catch (ex) {
    err.textContent = ex instanceof ApiError && ex.status === 429 ? t("login.throttled") : t("login.failed");
    err.hidden = false;
  }
}

async function logout() {
  try { await api("/api/auth/logout", { method: "POST" }); } catch (e) { console.warn(e); }
  signedOut();
}

// ------------------------------------------------------------------ live feed
function setConn(kind) {
  const el = $("#conn");
  el.dataset.state = kind;
  el.className = `pill ${kind === "live" ? "pill-on" : "pill-off"}`;
  el.dataset.i18n = `conn.${kind}`;
  el.textContent = t(`conn.${kind}`);
}

function handle(msg) {
  if (msg.id <= app.lastId) return; // the server never repeats; this guards page reloads
  app.lastId = msg.id;
  if (msg.type === "event.new" || msg.type === "event.updated") A.upsert(msg.event, { fresh: msg.type === "event.new" });
  else if (msg.type === "camera.status") cameraStatus(msg);
  else if (msg.type === "system.warning") showWarning(msg);
}

function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/ws/events?since=${app.lastId}`);
  app.ws = ws;
  ws.onopen = () => { setConn("live"); app.retry = 1000; };
  ws.onmessage = (e) => handle(JSON.parse(e.data));
  ws.onclose = (e) => {
    setConn("offline");
    if (e.code === 4401) return signedOut();
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

async function main() {
  whenSignedOut(signedOut);
  for (const b of document.querySelectorAll(".lang button")) b.addEventListener("click", () => applyLang(b.dataset.lang));
  for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => showView(b.dataset.view));
  $("#login-form").addEventListener("submit", login);
  $("#logout").addEventListener("click", logout);
  $("#sound").addEventListener("click", A.toggleSound);
  $("#load-more").addEventListener("click", () => A.load(false));
  for (const [id, key] of [["#filter-type", "type"], ["#filter-status", "status"], ["#filter-camera", "camera"],
    ["#filter-area", "area"]]) {
    $(id).addEventListener("change", (e) => { A.alerts.filter[key] = e.target.value; A.load(); });
  }
  $("#act-ack").addEventListener("click", () => A.acknowledge());
  $("#act-confirm").addEventListener("click", () => A.startReview("confirm"));
  $("#act-dismiss").addEventListener("click", () => A.startReview("dismiss"));
  $("#review-form").addEventListener("submit", (e) => { e.preventDefault(); A.submitReview(); });
  $("#review-cancel").addEventListener("click", A.cancelReview);
  $("#bulk-confirm").addEventListener("click", () => A.startReview("confirm", [...A.alerts.picked]));
  $("#bulk-dismiss").addEventListener("click", () => A.startReview("dismiss", [...A.alerts.picked]));
  $("#bulk-clear").addEventListener("click", A.clearPicked);
  document.addEventListener("keydown", (e) => {
    if (!app.me) return;
    if (!$("#alerts-view").hidden) A.onKey(e);
    else if (!$("#review-view").hidden) onReviewKey(e);
  });
  initZones();
  initReview();
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
