// A zone's schedule and its permits in the zone editor: hours per weekday, exception dates, and
// each permit's holder, use, hours, validity and area (drawn on the camera's picture).
import { t } from "/static/i18n.js";

const $ = (sel) => document.querySelector(sel);
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const USE = { trading: "goods", parking: "vehicle" };

// seven labelled inputs of spans ("07:00-12:00, 14:00-22:00"), from and to the stored form
function dayInputs(root, prefix) {
  if (!root.children.length) {
    for (const d of DAYS) {
      const label = document.createElement("label");
      label.append(Object.assign(document.createElement("span"), { className: "day" }),
        Object.assign(document.createElement("input"), { id: `${prefix}-${d}`, maxLength: 60 }));
      root.append(label);
    }
  }
  for (const d of DAYS) {
    root.querySelector(`#${prefix}-${d}`).previousElementSibling.textContent = t("day." + d);
    root.querySelector(`#${prefix}-${d}`).placeholder = t("day.hint");
  }
}

function spans(text) {
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}

function readDays(prefix) {
  return Object.fromEntries(DAYS.map((d) => [d, spans($(`#${prefix}-${d}`).value)]));
}

function fillDays(prefix, hours = {}) {
  for (const d of DAYS) $(`#${prefix}-${d}`).value = (hours[d] || []).join(", ");
}

export const pe = { zone: null, current: -1, drawing: false, onChange: () => {} };

export function fillSchedule(z) {
  pe.zone = z;
  pe.current = -1;
  pe.drawing = false;
  dayInputs($("#schedule-days"), "schedule");
  dayInputs($("#permit-days"), "permit");
  const sched = z.params.schedule;
  $("#schedule-always").checked = !sched;
  $("#schedule-days").hidden = !sched;
  fillDays("schedule", sched?.hours);
  $("#schedule-except").value = Object.entries(sched?.except || {}).map(([day, s]) => `${day} ${s.join(", ")}`.trim()).join("\n");
  $("#zone-permits").hidden = z.kind !== "sidewalk";
  renderPermits();
}

function readSchedule() {
  const z = pe.zone;
  if (!z) return;
  if ($("#schedule-always").checked) {
    delete z.params.schedule;
  } else {
    const except = {};
    for (const line of $("#schedule-except").value.split("\n").map((l) => l.trim()).filter(Boolean)) {
      const [day, ...rest] = line.split(/\s+/);
      except[day] = spans(rest.join(" "));
    }
    z.params.schedule = { hours: readDays("schedule"), except };
  }
  $("#schedule-days").hidden = $("#schedule-always").checked;
  pe.onChange();
}

function renderPermits() {
  const z = pe.zone;
  const ul = $("#permit-list");
  ul.replaceChildren();
  (z.params.permits || []).forEach((p, i) => {
    const li = document.createElement("li");
    li.textContent = `${p.number || "…"} – ${p.holder || "…"}`;
    li.className = i === pe.current ? "current" : "";
    li.addEventListener("click", () => { pe.current = i; pe.drawing = false; renderPermits(); pe.onChange(); });
    ul.append(li);
  });
  const p = (z.params.permits || [])[pe.current];
  $("#permit-form").hidden = !p;
  if (!p) return;
  $("#permit-number").value = p.number;
  $("#permit-holder").value = p.holder;
  $("#permit-address").value = p.address || "";
  $("#permit-trading").checked = p.uses.includes("goods");
  $("#permit-parking").checked = p.uses.includes("vehicle");
  fillDays("permit", p.hours?.hours);
  $("#permit-from").value = p.valid_from;
  $("#permit-to").value = p.valid_to;
  $("#permit-draw").setAttribute("aria-pressed", String(pe.drawing));
  $("#permit-draw").textContent = pe.drawing ? t("permits.drawing")
    : `${t("permits.draw")} (${p.polygon?.length ? t("permits.area", { n: p.polygon.length }) : t("permits.whole")})`;
}

function readPermit() {
  const p = (pe.zone?.params.permits || [])[pe.current];
  if (!p) return;
  p.number = $("#permit-number").value.trim();
  p.holder = $("#permit-holder").value.trim();
  p.address = $("#permit-address").value.trim() || null;
  p.uses = Object.entries(USE).filter(([k]) => $(`#permit-${k}`).checked).map(([, v]) => v);
  p.hours = { hours: readDays("permit"), except: p.hours?.except || {} };
  p.valid_from = $("#permit-from").value;
  p.valid_to = $("#permit-to").value;
  const li = $("#permit-list").children[pe.current];
  if (li) li.textContent = `${p.number || "…"} – ${p.holder || "…"}`;
  pe.onChange();
}

function newPermit() {
  const z = pe.zone;
  const year = new Date().getFullYear();
  z.params.permits = [...(z.params.permits || []), {
    number: "", holder: "", address: null, polygon: null, uses: ["goods"],
    hours: { hours: Object.fromEntries(DAYS.map((d) => [d, ["17:00-22:00"]])), except: {} },
    valid_from: `${year}-01-01`, valid_to: `${year}-12-31`,
  }];
  pe.current = z.params.permits.length - 1;
  pe.drawing = true; // its area next: on the picture
  renderPermits();
  $("#permit-number").focus();
  pe.onChange();
}

function deletePermit() {
  pe.zone.params.permits.splice(pe.current, 1);
  if (!pe.zone.params.permits.length) delete pe.zone.params.permits;
  pe.current = -1;
  pe.drawing = false;
  renderPermits();
  pe.onChange();
}

// a click on the picture while drawing a permit's area: one more corner
export function permitClick(point) {
  const p = (pe.zone?.params.permits || [])[pe.current];
  if (!pe.drawing || !p) return false;
  p.polygon = [...(p.polygon || []), point];
  renderPermits();
  pe.onChange();
  return true;
}

// the permits' areas on the picture (dashed green), the one being edited brighter
export function drawPermits(ctx, z, scale) {
  (z.params.permits || []).forEach((p, i) => {
    if (!p.polygon?.length) return;
    ctx.beginPath();
    p.polygon.forEach(([x, y], k) => (k ? ctx.lineTo(x * scale, y * scale) : ctx.moveTo(x * scale, y * scale)));
    ctx.closePath();
    ctx.setLineDash([6, 4]);
    ctx.strokeStyle = z === pe.zone && i === pe.current ? "#7dffb0" : "#2fbf71";
    ctx.lineWidth = 2;
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = "#2fbf7133";
    ctx.fill();
    ctx.fillStyle = "#fff";
    ctx.fillText(p.number, p.polygon[0][0] * scale + 4, p.polygon[0][1] * scale + 14);
  });
}

// what the zone API takes for these (the stored forms are what it accepts)
export function permitBody(z) {
  return {
    ...(z.params.schedule ? { schedule: z.params.schedule } : {}),
    ...(z.kind === "sidewalk" && z.params.permits?.length ? { permits: z.params.permits } : {}),
  };
}

export function initPermits() {
  $("#schedule-always").addEventListener("change", readSchedule);
  $("#schedule-except").addEventListener("input", readSchedule);
  $("#schedule-days").addEventListener("input", readSchedule);
  for (const id of ["#permit-number", "#permit-holder", "#permit-address", "#permit-trading", "#permit-parking",
    "#permit-from", "#permit-to"]) $(id).addEventListener("input", readPermit);
  $("#permit-days").addEventListener("input", readPermit);
  $("#permit-new").addEventListener("click", newPermit);
  $("#permit-delete").addEventListener("click", deletePermit);
  $("#permit-draw").addEventListener("click", () => {
    const p = pe.zone?.params.permits?.[pe.current];
    if (!pe.drawing && p) p.polygon = null; // drawing again starts a new area
    pe.drawing = !pe.drawing;
    renderPermits();
    pe.onChange();
  });
}
