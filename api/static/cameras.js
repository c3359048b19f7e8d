// The camera grid: status, analysis rate and the latest picture of every camera in scope.
import { areaLabel } from "/static/areas.js";
import { api } from "/static/api.js";
import { fmtTime, t } from "/static/i18n.js";

const $ = (sel) => document.querySelector(sel);

export const cameras = { list: new Map(), tz: "Asia/Ho_Chi_Minh" };

export async function loadCameras() {
  const list = await api("/api/cameras");
  cameras.list = new Map(list.map((c) => [c.id, c]));
  renderCameras();
  return list;
}

export function cameraStatus(msg) {
  const cam = cameras.list.get(msg.camera_id);
  if (!cam) return loadCameras();
  cam.state = msg.state;
  cam.state_changed_at = msg.changed_at;
  renderCameras();
}

export function renderCameras() {
  const grid = $("#camera-grid");
  let online = 0;
  const stamp = Math.floor(Date.now() / 5000); // the pictures refresh every 5 s
  for (const cam of cameras.list.values()) {
    if (cam.state === "online") online += 1;
    let card = grid.querySelector(`[data-id="${CSS.escape(cam.id)}"]`);
    if (!card) {
      card = document.createElement("article");
      card.className = "camera-card";
      card.dataset.id = cam.id;
      card.innerHTML = `<div class="frame"><img alt=""><span class="nopic"></span></div>
        <div class="cam-head"><span class="dot"></span><span class="cam-name"></span><span class="cam-state"></span></div>
        <div class="cam-sub"></div>`;
      const img = card.querySelector("img");
      img.addEventListener("error", () => { img.hidden = true; card.querySelector(".nopic").hidden = false; });
      img.addEventListener("load", () => { img.hidden = false; card.querySelector(".nopic").hidden = true; });
      grid.append(card);
    }
    card.dataset.state = cam.state;
    card.querySelector(".cam-name").textContent = cam.name;
    card.querySelector(".nopic").textContent = t("camera.nopicture");
    const since = cam.state_changed_at ? ` ${t("camera.since", { time: fmtTime(cam.state_changed_at, cameras.tz) })}` : "";
    card.querySelector(".cam-state").textContent = t("camera." + cam.state) + since;
    const fps = cam.health?.fps_processed != null ? t("camera.fps", { fps: cam.health.fps_processed }) : "";
    const shed = cam.health?.shed > 0.1 ? t("camera.shed", { p: Math.round(cam.health.shed * 100) }) : "";
    // a separate recording stream that is down: alerts still come, but their clips would not
    const rec = cam.health?.recording === "offline" ? t("camera.recordingoffline") : "";
    // the worker's writes waiting for the database, or set aside for good: alerts may be late or missing
    const writes = cam.health?.write_backlog > 0 ? t("camera.backlog", { n: cam.health.write_backlog })
      : cam.health?.write_failed > 0 ? t("camera.writefailed", { n: cam.health.write_failed }) : "";
    card.querySelector(".cam-sub").textContent = [areaLabel(cam.ward), fps, shed, rec, writes].filter(Boolean).join(" · ");
    const img = card.querySelector("img");
    const src = `/api/cameras/${encodeURIComponent(cam.id)}/frame.jpg?t=${stamp}`;
    if (!$("#cameras-view").hidden && img.getAttribute("src") !== src) img.src = src;
  }
  $("#camera-summary").textContent = t("cameras.summary", { online, total: cameras.list.size });
  const sel = $("#filter-camera");
  const chosen = sel.value;
  sel.replaceChildren(new Option(t("filter.allcameras"), ""));
  for (const cam of cameras.list.values()) sel.append(new Option(cam.name, cam.id));
  sel.value = chosen;
}
