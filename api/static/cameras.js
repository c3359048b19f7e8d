// The camera grid: status, the latest picture (marked when it is old) and, for admins, the
// analysis figures; and the cameras without signal, which every page shows in the status strip.
import { areaLabel } from "/static/areas.js";
import { actionError, api, isServerOnline } from "/static/api.js";
import { fmtTime, t } from "/static/i18n.js";

const $ = (sel) => document.querySelector(sel);
const STALE_S = 15; // a picture older than this is marked: the camera is not what it shows

export const cameras = { list: new Map(), tz: "Asia/Ho_Chi_Minh", me: null, onChange: () => {}, onZones: () => {},
  zonesSeen: "", memory: new Map() };

export async function loadCameras() {
  const list = await api("/api/cameras");
  cameras.list = new Map(list.map((c) => [c.id, c]));
  renderCameras();
  cameras.onChange();
  // zones drawn or renamed since: what shows their names is drawn again
  const zones = JSON.stringify(list.map((c) => [c.id, c.zones.map((z) => [z.name, z.params?.label])]));
  if (zones !== cameras.zonesSeen) cameras.onZones();
  cameras.zonesSeen = zones;
  return list;
}

// an incident in a zone this console has not heard of yet (drawn a moment ago): ask again
export function knowsZone(cameraId, zoneName) {
  return Boolean(cameras.list.get(cameraId)?.zones?.some((z) => z.name === zoneName));
}

export function cameraStatus(msg) {
  const cam = cameras.list.get(msg.camera_id);
  if (!cam) return loadCameras();
  const wasOffline = cam.state === "offline";
  cam.state = msg.state;
  cam.state_changed_at = msg.changed_at;
  if (msg.detail) cam.health = { ...cam.health, error: msg.detail };
  renderCameras();
  cameras.onChange({ wentOffline: msg.state === "offline" && !wasOffline });
}

export function offlineCameras() {
  return [...cameras.list.values()].filter((c) => c.state === "offline");
}

// cameras that send a picture that cannot be trusted: covered, out of focus, turned, frozen
export function troubledCameras() {
  return [...cameras.list.values()].filter((c) => c.state !== "offline" && (c.problems || []).some((p) => p.open));
}

async function acceptView(cam, problem, button) {
  button.disabled = true;
  try {
    await api(`/api/cameras/${encodeURIComponent(cam.id)}/problems/${problem.id}/accept`, { method: "POST" });
    await loadCameras();
  } catch (e) {
    button.disabled = false;
    button.nextElementSibling.textContent = actionError(e);
  }
}

// what supervisors taught the camera: false detections held back at that place (hard negatives)
function renderMemory(card, cam) {
  const box = card.querySelector(".cam-memory");
  const list = cameras.memory.get(cam.id) || [];
  box.hidden = !list.length;
  box.querySelector("summary").textContent = t("memory.title", { n: list.length });
  const ul = box.querySelector("ul");
  ul.replaceChildren();
  for (const s of list) {
    const li = document.createElement("li");
    li.dataset.id = s.id;
    li.append(t("memory.item", { zone: zoneLabel(cam.id, s.zone), what: t("category." + s.category),
      by: s.created_by_name || s.created_by || "–", until: fmtTime(s.expires_at, cameras.tz, true), hits: s.hits }));
    if (["supervisor", "admin"].includes(cameras.me?.role)) {
      const b = Object.assign(document.createElement("button"), { type: "button", textContent: t("memory.remove") });
      b.addEventListener("click", async () => {
        b.disabled = true;
        try {
          await api(`/api/cameras/${encodeURIComponent(cam.id)}/suppressions/${s.id}`, { method: "DELETE" });
          await loadMemory();
        } catch (e) {
          b.disabled = false;
          li.append(Object.assign(document.createElement("span"), { className: "error", textContent: ` ${actionError(e)}` }));
        }
      });
      li.append(" ", b);
    }
    ul.append(li);
  }
}

// the suppressions of every camera in scope (the camera page shows them)
export async function loadMemory() {
  const ids = [...cameras.list.keys()];
  const lists = await Promise.all(ids.map((id) => api(`/api/cameras/${encodeURIComponent(id)}/suppressions`)
    .catch(() => [])));
  cameras.memory = new Map(ids.map((id, i) => [id, lists[i]]));
  renderCameras();
}

function renderProblems(card, cam) {
  const box = card.querySelector(".cam-problems");
  const open = (cam.problems || []).filter((p) => p.open);
  box.hidden = !open.length;
  box.replaceChildren();
  for (const pr of open) {
    const item = document.createElement("div");
    item.className = "problem";
    item.dataset.kind = pr.kind;
    item.append(Object.assign(document.createElement("strong"), {
      textContent: t("problem." + pr.kind, { time: fmtTime(pr.started_at, cameras.tz) }) }));
    const pics = document.createElement("div");
    pics.className = "problem-pictures";
    for (const [url, key] of [[pr.before_url, "problem.before"], [pr.after_url, "problem.after"]]) {
      if (!url) continue;
      const fig = document.createElement("figure");
      fig.append(Object.assign(document.createElement("img"), { src: url, alt: t(key) }),
        Object.assign(document.createElement("figcaption"), { textContent: t(key) }));
      pics.append(fig);
    }
    item.append(pics);
    if (pr.kind === "moved") item.append(Object.assign(document.createElement("p"), { textContent: t("problem.paused") }));
    if (isAdmin() && pr.kind === "moved") {
      const b = Object.assign(document.createElement("button"), { type: "button", textContent: t("problem.accept") });
      b.addEventListener("click", () => acceptView(cam, pr, b));
      item.append(b, Object.assign(document.createElement("span"), { className: "error" }));
    }
    box.append(item);
  }
}

// a zone as staff know it: its display name, or its code made readable
export function zoneLabel(cameraId, zoneName) {
  const zone = cameras.list.get(cameraId)?.zones?.find((z) => z.name === zoneName);
  return zone?.params?.label || (zoneName || "").replace(/_/g, " ");
}

// a map of the place watched (OpenStreetMap: no key, no tracking by a vendor)
export function mapUrl(cam) {
  if (!cam?.location) return null;
  const [lat, lon] = cam.location;
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=18/${lat}/${lon}`;
}

// what a connection error means, for the people watching (the message itself is technical English)
export function errorKind(text) {
  const kinds = [["refused", /refused|unreachable|no route|errno 11[13]/i], ["timeout", /timed? ?out/i],
    ["auth", /401|unauthori[sz]ed|authenticat/i], ["path", /404|not found/i], ["ended", /stream ended|end of file|eof/i],
    ["data", /invalid data|decod|corrupt/i]];
  return (kinds.find(([, re]) => re.test(text)) || ["other"])[0];
}

function isAdmin() {
  return cameras.me?.role === "admin";
}

export function renderCameras() {
  const grid = $("#camera-grid");
  const server = isServerOnline();
  let online = 0;
  const stamp = Math.floor(Date.now() / 5000); // the pictures refresh every 5 s
  for (const cam of cameras.list.values()) {
    if (cam.state === "online") online += 1;
    let card = grid.querySelector(`[data-id="${CSS.escape(cam.id)}"]`);
    if (!card) {
      card = document.createElement("article");
      card.className = "camera-card";
      card.dataset.id = cam.id;
      card.innerHTML = `<div class="frame"><img alt=""><span class="nopic"></span><span class="stale" hidden></span></div>
        <div class="cam-head"><span class="dot"></span><span class="cam-name"></span><span class="cam-state"></span></div>
        <div class="cam-sub"></div><div class="cam-address"><span></span> <a target="_blank" rel="noopener"></a></div>
        <div class="cam-error" hidden></div><div class="cam-problems" hidden></div>
        <details class="cam-memory" hidden><summary></summary><ul></ul></details>`;
      const img = card.querySelector("img");
      img.addEventListener("error", () => { img.hidden = true; card.querySelector(".nopic").hidden = false; });
      img.addEventListener("load", () => { img.hidden = false; card.querySelector(".nopic").hidden = true; });
      grid.append(card);
    }
    // with the server unreachable nothing is known about any camera: no green dots
    const state = server ? cam.state : "unknown";
    card.dataset.state = state;
    card.querySelector(".cam-name").textContent = cam.name;
    card.querySelector(".nopic").textContent = t("camera.nopicture");
    const since = server && cam.state_changed_at ? ` ${t("camera.since", { time: fmtTime(cam.state_changed_at, cameras.tz) })}` : "";
    card.querySelector(".cam-state").textContent = server ? t("camera." + cam.state) + since : t("camera.server_offline");
    const h = cam.health || {};
    const parts = [areaLabel(cam.ward)];
    if (isAdmin() && cam.state === "online") {
      // analysis figures are for whoever sizes the machines, not for the people watching
      if (h.fps_processed != null) parts.push(t("camera.fps", { fps: h.fps_processed }));
      if (h.shed > 0.1) parts.push(t("camera.shed", { p: Math.round(h.shed * 100) }));
      // which machine serves it (camera leases move cameras between machines), and with which model
      const host = workerHost(h.worker);
      if (host) parts.push(t("camera.worker", { host }));
      const model = h.detector && h.detector.model;
      if (model && model.version) parts.push(t("camera.model", { model: model.version }));
    }
    // a separate recording stream that is down: alerts still come, but their clips would not
    if (h.recording === "offline") parts.push(t("camera.recordingoffline"));
    // the worker's writes waiting for the database, or set aside for good: alerts may be late or missing
    if (h.write_backlog > 0) parts.push(t("camera.backlog", { n: h.write_backlog }));
    else if (h.write_failed > 0) parts.push(t("camera.writefailed", { n: h.write_failed }));
    card.querySelector(".cam-sub").textContent = parts.filter(Boolean).join(" · ");
    const addr = card.querySelector(".cam-address");
    addr.hidden = !cam.address && !cam.location;
    addr.querySelector("span").textContent = cam.address || "";
    const link = addr.querySelector("a");
    link.hidden = !cam.location;
    if (cam.location) {
      link.href = mapUrl(cam);
      link.textContent = t("detail.map");
    }
    const err = card.querySelector(".cam-error");
    err.hidden = !(server && cam.state === "offline" && h.error);
    err.replaceChildren();
    if (!err.hidden) {
      err.append(t("camera.error", { error: t("camerror." + errorKind(h.error)) }));
      if (isAdmin()) {
        // the technical message, folded away: for whoever fixes the camera or the network
        const more = document.createElement("details");
        more.append(Object.assign(document.createElement("summary"), { textContent: t("camera.technical") }),
          Object.assign(document.createElement("code"), { textContent: h.error }));
        err.append(more);
      }
    }
    renderProblems(card, cam);
    renderMemory(card, cam);
    card.dataset.problem = (cam.problems || []).some((p) => p.open) ? "yes" : "";
    const last = h.last_frame_at ? h.last_frame_at * 1000 : null;
    const stale = card.querySelector(".stale");
    stale.hidden = !(last && (!server || cam.state !== "online" || Date.now() - last > STALE_S * 1000));
    if (!stale.hidden) stale.textContent = t("camera.stale", { time: fmtTime(new Date(last).toISOString(), cameras.tz) });
    const img = card.querySelector("img");
    const src = `/api/cameras/${encodeURIComponent(cam.id)}/frame.jpg?t=${stamp}`;
    if (server && !$("#cameras-view").hidden && img.getAttribute("src") !== src) img.src = src;
  }
  $("#camera-summary").textContent = server ? t("cameras.summary", { online, total: cameras.list.size })
    : t("camera.server_offline");
  const sel = $("#filter-camera");
  const chosen = sel.value;
  sel.replaceChildren(new Option(t("filter.allcameras"), ""));
  for (const cam of cameras.list.values()) sel.append(new Option(cam.name, cam.id));
  sel.value = chosen;
}

// "worker-2 (host:pid:2:ab12cd)" -> "host #2", where cameras are leased; "" on one machine (nothing to tell)
function workerHost(name) {
  const m = /^worker-(\d+) \(([^:]+):/.exec(name || "");
  return m ? `${m[2]} #${m[1]}` : "";
}
