// The reviewer's own box and class for an incident's object (labels the office can learn from):
// drawn on the clean snapshot, beside the detector's box, which is kept.
import { actionError, api } from "/static/api.js";
import { t } from "/static/i18n.js";

const $ = (sel) => document.querySelector(sel);
export const CLASSES = ["car", "motorcycle", "bicycle", "bus", "truck", "person", "stool_chair", "table", "stall_cart",
  "sign_board", "goods", "garbage_bag", "garbage_pile", "other"];
const lb = { ev: null, drawing: false, start: null, box: null, saved: () => {} };

// a box in camera pixels placed over the picture as shown
function place(el, box, ev) {
  const img = $("#detail-clean");
  const [fw, fh] = ev.frame_size || [];
  if (!box || !fw || !fh || !img.clientWidth) {
    el.hidden = true;
    return;
  }
  const sx = img.clientWidth / fw;
  const sy = img.clientHeight / fh;
  Object.assign(el.style, { left: `${box[0] * sx}px`, top: `${box[1] * sy}px`, width: `${(box[2] - box[0]) * sx}px`,
    height: `${(box[3] - box[1]) * sy}px` });
  el.hidden = false;
}

export function showLabels(ev) {
  if (lb.ev?.id !== ev.id) cancelLabel();
  lb.ev = ev;
  place($("#box-detector"), ev.bbox, ev);
  place($("#box-reviewer"), ev.review_label?.bbox, ev);
  const label = ev.review_label;
  $("#label-now").textContent = label
    ? t("label.now", { what: t("label.class." + label.class_name), by: label.by_name || label.by }) : "";
  const sel = $("#label-class");
  if (sel.options.length !== CLASSES.length || sel.dataset.lang !== t("label.class.car")) {
    const chosen = sel.value;
    sel.replaceChildren(...CLASSES.map((c) => new Option(t("label.class." + c), c)));
    sel.dataset.lang = t("label.class.car");
    sel.value = chosen || "";
  }
}

function startLabel() {
  if (!lb.ev) return;
  lb.drawing = true;
  lb.box = lb.ev.review_label?.bbox || lb.ev.bbox;
  $("#label-form").hidden = false;
  $("#label-start").hidden = true;
  $("#label-wrap").classList.add("drawing");
  $("#label-class").value = lb.ev.review_label?.class_name || "";
  $("#label-message").textContent = "";
  place($("#box-drawing"), lb.box, lb.ev);
}

export function cancelLabel() {
  lb.drawing = false;
  lb.start = null;
  $("#label-form").hidden = true;
  $("#label-start").hidden = false;
  $("#label-wrap").classList.remove("drawing");
  $("#box-drawing").hidden = true;
}

function at(e) {
  const img = $("#detail-clean");
  const r = img.getBoundingClientRect();
  const [fw, fh] = lb.ev.frame_size;
  const x = Math.min(Math.max(e.clientX - r.left, 0), r.width) * (fw / r.width);
  const y = Math.min(Math.max(e.clientY - r.top, 0), r.height) * (fh / r.height);
  return [Math.round(x), Math.round(y)];
}

function onDown(e) {
  if (!lb.drawing) return;
  e.preventDefault();
  lb.start = at(e);
}

function onMove(e) {
  if (!lb.drawing || !lb.start) return;
  const [x, y] = at(e);
  const [x0, y0] = lb.start;
  lb.box = [Math.min(x0, x), Math.min(y0, y), Math.max(x0, x), Math.max(y0, y)];
  place($("#box-drawing"), lb.box, lb.ev);
}

async function save() {
  const cls = $("#label-class").value;
  const msg = $("#label-message");
  if (!cls || !lb.box || lb.box[2] - lb.box[0] < 2 || lb.box[3] - lb.box[1] < 2) {
    msg.textContent = t("label.need");
    msg.className = "error";
    return;
  }
  try {
    const ev = await api(`/api/events/${lb.ev.id}/label`, { method: "PUT", body: { bbox: lb.box, class_name: cls } });
    cancelLabel();
    msg.textContent = t("label.saved");
    msg.className = "ok";
    lb.saved(ev);
  } catch (e) {
    msg.textContent = actionError(e);
    msg.className = "error";
  }
}

export function initLabels(saved) {
  lb.saved = saved;
  const wrap = $("#label-wrap");
  wrap.addEventListener("mousedown", onDown);
  window.addEventListener("mousemove", onMove);
  window.addEventListener("mouseup", () => { lb.start = null; });
  $("#label-start").addEventListener("click", startLabel);
  $("#label-cancel").addEventListener("click", cancelLabel);
  $("#label-save").addEventListener("click", save);
  $("#detail-clean").addEventListener("load", () => lb.ev && showLabels(lb.ev));
  window.addEventListener("resize", () => lb.ev && showLabels(lb.ev));
}
