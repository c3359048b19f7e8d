// The zone editor (admins): draw polygons on the camera's current picture; workers apply them live.
import { actionError, api, ApiError } from "/static/api.js";
import { t } from "/static/i18n.js";
import { cameras } from "/static/cameras.js";
import { drawPermits, fillSchedule, initPermits, pe, permitBody, permitClick } from "/static/permits.js";

const $ = (sel) => document.querySelector(sel);
const COLORS = { sidewalk: "#ffb020", no_dumping: "#3d8bfd" };

const ed = {
  camera: null, // camera object
  zones: [], // {name, kind, polygon: [[x,y]...] in camera pixels, params, closed}
  current: -1, // index of the zone being edited
  image: null,
  scale: 1, // canvas pixels per camera pixel
  drag: null, // {zone, point}
};

export async function openZones() {
  const sel = $("#zone-camera");
  const chosen = sel.value;
  sel.replaceChildren();
  for (const cam of cameras.list.values()) sel.append(new Option(cam.name, cam.id));
  if (chosen && cameras.list.has(chosen)) sel.value = chosen;
  await loadCamera(sel.value);
}

async function loadCamera(id) {
  if (!id) return;
  const cam = await api(`/api/cameras/${encodeURIComponent(id)}`);
  ed.camera = cam;
  ed.zones = cam.zones.map((z) => ({ name: z.name, kind: z.kind, polygon: z.polygon.map((p) => [...p]),
    params: { ...z.params }, closed: true }));
  ed.current = ed.zones.length ? 0 : -1;
  $("#zone-message").textContent = "";
  const w = cam.width || 1280;
  const h = cam.height || 720;
  const canvas = $("#zone-canvas");
  canvas.width = Math.min(960, w);
  canvas.height = Math.round((canvas.width * h) / w);
  ed.scale = canvas.width / w;
  ed.image = await new Promise((resolve) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => resolve(null);
    img.src = `/api/cameras/${encodeURIComponent(id)}/frame.jpg?t=${Date.now()}`;
  });
  if (!ed.image) $("#zone-message").textContent = t("zones.nopicture");
  renderList();
  fillForm();
  draw();
}

function draw() {
  const canvas = $("#zone-canvas");
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#222";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (ed.image) ctx.drawImage(ed.image, 0, 0, canvas.width, canvas.height);
  ed.zones.forEach((z, i) => {
    const pts = z.polygon.map(([x, y]) => [x * ed.scale, y * ed.scale]);
    if (!pts.length) return;
    ctx.beginPath();
    pts.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    if (z.closed) ctx.closePath();
    ctx.strokeStyle = COLORS[z.kind] || "#fff";
    ctx.lineWidth = i === ed.current ? 3 : 2;
    ctx.fillStyle = (COLORS[z.kind] || "#fff") + "33";
    if (z.closed) ctx.fill();
    ctx.stroke();
    if (i === ed.current) {
      for (const [x, y] of pts) {
        ctx.beginPath();
        ctx.arc(x, y, 5, 0, Math.PI * 2);
        ctx.fillStyle = "#fff";
        ctx.fill();
      }
    }
    ctx.fillStyle = "#fff";
    ctx.font = "14px DejaVu Sans, sans-serif";
    ctx.fillText(z.params.label || z.name, pts[0][0] + 6, pts[0][1] - 6);
    if (z.kind === "sidewalk") drawPermits(ctx, z, ed.scale);
  });
}

function renderList() {
  const ul = $("#zone-list");
  ul.replaceChildren();
  ed.zones.forEach((z, i) => {
    const li = document.createElement("li");
    li.textContent = `${z.params.label || z.name.replace(/_/g, " ")} – ${t("kind." + z.kind)}`;
    li.className = i === ed.current ? "current" : "";
    li.addEventListener("click", () => { ed.current = i; renderList(); fillForm(); draw(); });
    ul.append(li);
  });
}

function fillForm() {
  const z = ed.zones[ed.current];
  $("#zone-form").hidden = !z;
  if (!z) return;
  $("#zone-name").value = z.name;
  $("#zone-label").value = z.params.label || "";
  $("#zone-kind").value = z.kind;
  $("#zone-dwell").value = z.params.dwell_s ?? 300;
  $("#zone-unattended").value = z.params.unattended_s ?? 60;
  $("#zone-dwell-label").hidden = z.kind !== "sidewalk";
  $("#zone-unattended-label").hidden = z.kind !== "no_dumping";
  fillSchedule(z);
}

function readForm() {
  const z = ed.zones[ed.current];
  if (!z) return;
  z.name = $("#zone-name").value.trim();
  z.kind = $("#zone-kind").value;
  const label = $("#zone-label").value.trim();
  const { schedule, permits } = z.params; // edited in their own part of the form
  z.params = z.kind === "sidewalk"
    ? { dwell_s: Number($("#zone-dwell").value) || 300, objects: z.params.objects }
    : { unattended_s: Number($("#zone-unattended").value) || 60 };
  if (label) z.params.label = label;
  if (schedule) z.params.schedule = schedule;
  if (permits && z.kind === "sidewalk") z.params.permits = permits;
  $("#zone-permits").hidden = z.kind !== "sidewalk";
  $("#zone-dwell-label").hidden = z.kind !== "sidewalk";
  $("#zone-unattended-label").hidden = z.kind !== "no_dumping";
  renderList();
  draw();
}

function at(e) {
  const r = $("#zone-canvas").getBoundingClientRect();
  const sx = $("#zone-canvas").width / r.width;
  return [((e.clientX - r.left) * sx) / ed.scale, ((e.clientY - r.top) * sx) / ed.scale];
}

function near(p, q) {
  return Math.hypot((p[0] - q[0]) * ed.scale, (p[1] - q[1]) * ed.scale) < 9;
}

function onDown(e) {
  const p = at(e);
  const z = ed.zones[ed.current];
  if (!z) return;
  if (permitClick(p.map(Math.round))) return; // drawing a permit's area
  const hit = z.polygon.findIndex((q) => near(p, q));
  if (!z.closed && hit === 0 && z.polygon.length >= 3) {
    z.closed = true; // clicking the first point closes the polygon
  } else if (hit >= 0) {
    ed.drag = { point: hit };
  } else if (!z.closed) {
    z.polygon.push(p.map(Math.round));
  }
  draw();
}

function onMove(e) {
  if (!ed.drag) return;
  const z = ed.zones[ed.current];
  z.polygon[ed.drag.point] = at(e).map(Math.round);
  draw();
}

function newZone() {
  const n = ed.zones.length + 1;
  ed.zones.push({ name: `zone_${n}`, kind: "sidewalk", polygon: [], params: { dwell_s: 300 }, closed: false });
  ed.current = ed.zones.length - 1;
  renderList();
  fillForm();
  draw();
  $("#zone-name").focus();
}

function deleteZone() {
  ed.zones.splice(ed.current, 1);
  ed.current = Math.min(ed.current, ed.zones.length - 1);
  renderList();
  fillForm();
  draw();
}

async function save() {
  const open = ed.zones.find((z) => !z.closed);
  const body = ed.zones.map((z) => ({
    name: z.name, kind: z.kind, polygon: z.polygon, ...(z.params.label ? { label: z.params.label } : {}),
    ...permitBody(z),
    ...(z.kind === "sidewalk" ? { dwell_s: z.params.dwell_s, objects: z.params.objects } : { unattended_s: z.params.unattended_s }),
  }));
  const repeated = ed.zones.find((z) => {
    const numbers = (z.params.permits || []).map((p) => p.number.trim());
    return numbers.some((n, i) => !n || numbers.indexOf(n) !== i);
  });
  try {
    if (open) throw new Error(`${open.name}: ${t("zones.hint")}`);
    if (repeated) throw new Error(t("permits.repeated", { zone: repeated.params.label || repeated.name }));
    const cam = await api(`/api/cameras/${encodeURIComponent(ed.camera.id)}/zones`, { method: "PUT", body });
    cameras.list.set(cam.id, { ...cameras.list.get(cam.id), ...cam });
    $("#zone-message").textContent = t("zones.saved");
    $("#zone-message").className = "ok";
  } catch (e) {
    const detail = e instanceof ApiError ? actionError(e) : e.message;
    $("#zone-message").textContent = detail;
    $("#zone-message").className = "error";
  }
}

export function initZones() {
  initPermits();
  pe.onChange = draw;
  const canvas = $("#zone-canvas");
  canvas.addEventListener("mousedown", onDown);
  canvas.addEventListener("mousemove", onMove);
  window.addEventListener("mouseup", () => { ed.drag = null; });
  $("#zone-camera").addEventListener("change", (e) => loadCamera(e.target.value));
  $("#zone-new").addEventListener("click", newZone);
  $("#zone-delete").addEventListener("click", deleteZone);
  $("#zone-save").addEventListener("click", save);
  for (const id of ["#zone-name", "#zone-label", "#zone-kind", "#zone-dwell", "#zone-unattended"]) {
    $(id).addEventListener("input", readForm);
  }
}
