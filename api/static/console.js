// urbanwatch operator console: live alerts over the WebSocket, cameras with their status.
import { lang, setLang, t, translatePage } from "/static/i18n.js";

const PAGE = 50;
const state = {
  tz: "Asia/Ho_Chi_Minh",
  events: new Map(), // id -> event
  cameras: new Map(), // id -> camera
  lastId: 0, // id of the last feed message received: the resume point
  offset: 0,
  total: 0,
  filter: { type: "", camera: "" },
  ws: null,
  retry: 1000,
};

const $ = (sel) => document.querySelector(sel);

async function getJSON(url) {
  const res = await fetch(url, { headers: { Accept: "application/json" } });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.json();
}

function fmtTime(iso, withDate = false) {
  if (!iso) return "–";
  const opts = { timeZone: state.tz, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false };
  if (withDate) Object.assign(opts, { year: "numeric", month: "2-digit", day: "2-digit" });
  return new Intl.DateTimeFormat(lang() === "vi" ? "vi-VN" : "en-GB", opts).format(new Date(iso));
}

function matchesFilter(ev) {
  return (!state.filter.type || ev.type === state.filter.type) &&
    (!state.filter.camera || ev.camera_id === state.filter.camera);
}

// ------------------------------------------------------------------ alerts
function renderAlert(ev, { fresh = false } = {}) {
  let li = document.querySelector(`li.alert[data-id="${ev.id}"]`);
  if (!li) {
    li = $("#alert-template").content.firstElementChild.cloneNode(true);
    li.dataset.id = ev.id;
    li.addEventListener("click", () => openDetail(ev.id));
    li.addEventListener("keydown", (e) => { if (e.key === "Enter") openDetail(ev.id); });
    const list = $("#alerts");
    // keep newest first by id (ids grow with time)
    const after = [...list.children].find((el) => Number(el.dataset.id) < ev.id);
    list.insertBefore(li, after || null);
  }
  li.dataset.type = ev.type;
  li.dataset.state = ev.state;
  li.dataset.status = ev.status;
  const img = li.querySelector(".thumb");
  img.src = ev.snapshot_annotated_url;
  img.alt = `${t("type." + ev.type)} – ${ev.camera_name}`;
  li.querySelector(".type-badge").textContent = t("type." + ev.type);
  li.querySelector(".state").textContent = `${t("state." + ev.state)} · ${t("status." + ev.status)}`;
  li.querySelector(".camera-name").textContent = ev.camera_name || ev.camera_id;
  li.querySelector(".zone").textContent = ev.zone_name;
  li.querySelector(".object").textContent = ev.class_name === "static_object"
    ? t("category." + ev.category) : `${t("category." + ev.category)} (${ev.class_name})`;
  const time = li.querySelector(".time");
  time.dateTime = ev.raised_at;
  time.textContent = fmtTime(ev.raised_at, true);
  if (fresh) {
    li.classList.add("fresh");
    setTimeout(() => li.classList.remove("fresh"), 15000);
  }
  $("#alerts-empty").hidden = $("#alerts").children.length > 0;
}

function upsertEvent(ev, opts) {
  state.events.set(ev.id, ev);
  if (matchesFilter(ev)) renderAlert(ev, opts);
}

async function loadEvents(reset = true) {
  if (reset) {
    state.offset = 0;
    $("#alerts").replaceChildren();
  }
  const q = new URLSearchParams({ limit: PAGE, offset: state.offset });
  if (state.filter.type) q.append("type", state.filter.type);
  if (state.filter.camera) q.append("camera", state.filter.camera);
  const page = await getJSON(`/api/events?${q}`);
  for (const ev of page.items) {
    upsertEvent(ev);
    state.lastId = Math.max(state.lastId, ev.id);
  }
  state.offset += page.items.length;
  state.total = page.total;
  $("#load-more").hidden = state.offset >= state.total;
  $("#alerts-empty").hidden = $("#alerts").children.length > 0;
}

// ------------------------------------------------------------------ detail
function openDetail(id) {
  const ev = state.events.get(id);
  if (!ev) return;
  $("#detail-title").textContent = `${t("type." + ev.type)} – ${ev.camera_name}`;
  $("#detail-annotated").src = ev.snapshot_annotated_url;
  $("#detail-clean").src = ev.snapshot_url;
  const owner = (ev.crop_urls || {}).owner;
  $("#detail-owner-figure").hidden = !owner;
  if (owner) $("#detail-owner").src = owner;
  const facts = [
    ["fact.id", `#${ev.id}`],
    ["fact.camera", `${ev.camera_name} (${ev.camera_id})`],
    ["fact.district", [ev.district, ev.ward].filter(Boolean).join(" / ")],
    ["fact.zone", ev.zone_name],
    ["fact.object", ev.class_name === "static_object" ? t("category." + ev.category)
      : `${t("category." + ev.category)} (${ev.class_name}, ${Math.round(ev.confidence * 100)}%)`],
    ["fact.started", fmtTime(ev.started_at, true)],
    ["fact.raised", fmtTime(ev.raised_at, true)],
    ["fact.ended", ev.ended_at ? fmtTime(ev.ended_at, true) : t("state.active")],
    ["fact.status", t("status." + ev.status)],
  ];
  const dl = $("#detail-facts");
  dl.replaceChildren();
  for (const [k, v] of facts) {
    const dt = document.createElement("dt");
    dt.textContent = t(k);
    const dd = document.createElement("dd");
    dd.textContent = v;
    dl.append(dt, dd);
  }
  $("#detail").showModal();
}

// ------------------------------------------------------------------ cameras
function renderCameras() {
  const ul = $("#cameras");
  ul.replaceChildren();
  let online = 0;
  for (const cam of state.cameras.values()) {
    if (cam.state === "online") online += 1;
    const li = document.createElement("li");
    li.className = "camera";
    li.dataset.id = cam.id;
    li.dataset.state = cam.state;
    const dot = document.createElement("span");
    dot.className = "dot";
    const name = document.createElement("div");
    name.className = "cam-name";
    name.textContent = cam.name;
    const sub = document.createElement("div");
    sub.className = "cam-sub";
    const fps = cam.health && cam.health.fps_processed != null ? t("camera.fps", { fps: cam.health.fps_processed }) : "";
    sub.textContent = [cam.district, cam.ward].filter(Boolean).join(" · ") + (fps ? ` · ${fps}` : "");
    const st = document.createElement("div");
    st.className = "cam-state";
    st.textContent = t("camera." + cam.state) +
      (cam.state_changed_at ? ` ${t("camera.since", { time: fmtTime(cam.state_changed_at) })}` : "");
    li.append(dot, name, st, sub);
    ul.append(li);
  }
  $("#camera-summary").textContent = t("cameras.summary", { online, total: state.cameras.size });
  const sel = $("#filter-camera");
  const chosen = sel.value;
  sel.replaceChildren(new Option(t("filter.all"), ""));
  for (const cam of state.cameras.values()) sel.append(new Option(cam.name, cam.id));
  sel.value = chosen;
}

async function loadCameras() {
  const cams = await getJSON("/api/cameras");
  state.cameras = new Map(cams.map((c) => [c.id, c]));
  renderCameras();
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
  if (msg.id <= state.lastId) return; // the server never repeats; this guards page reloads
  state.lastId = Math.max(state.lastId, msg.id);
  if (msg.type === "event.new" || msg.type === "event.updated") {
    upsertEvent(msg.event, { fresh: msg.type === "event.new" });
  } else if (msg.type === "camera.status") {
    const cam = state.cameras.get(msg.camera_id);
    if (cam) {
      cam.state = msg.state;
      cam.state_changed_at = msg.changed_at;
      renderCameras();
    } else {
      loadCameras();
    }
  }
}

function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/ws/events?since=${state.lastId}`);
  state.ws = ws;
  ws.onopen = () => { setConn("live"); state.retry = 1000; };
  ws.onmessage = (e) => handle(JSON.parse(e.data));
  ws.onclose = () => {
    setConn("offline");
    setTimeout(connect, state.retry);
    state.retry = Math.min(state.retry * 2, 15000);
  };
}

// ------------------------------------------------------------------ start
function applyLang(l) {
  setLang(l);
  for (const b of document.querySelectorAll(".lang button")) {
    b.setAttribute("aria-pressed", String(b.dataset.lang === lang()));
  }
  translatePage();
  renderCameras();
  for (const ev of state.events.values()) if (matchesFilter(ev)) renderAlert(ev);
}

function tick() {
  $("#clock").textContent = fmtTime(new Date().toISOString(), true);
}

async function main() {
  for (const b of document.querySelectorAll(".lang button")) b.addEventListener("click", () => applyLang(b.dataset.lang));
  $("#filter-type").addEventListener("change", (e) => { state.filter.type = e.target.value; loadEvents(); });
  $("#filter-camera").addEventListener("change", (e) => { state.filter.camera = e.target.value; loadEvents(); });
  $("#load-more").addEventListener("click", () => loadEvents(false));
  try {
    const info = await getJSON("/api/info");
    state.tz = info.timezone;
  } catch (e) { console.warn(e); }
  applyLang(lang());
  tick();
  setInterval(tick, 1000);
  await Promise.all([loadCameras(), loadEvents()]);
  connect();
  setInterval(() => loadCameras().catch(() => {}), 5000);
}

main();
