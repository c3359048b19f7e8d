// The alert feed and the review of one event: acknowledge, confirm, dismiss (also in bulk).
import { areaLabel, inArea } from "/static/areas.js";
import { api, ApiError } from "/static/api.js";
import { fmtTime, t } from "/static/i18n.js";

const PAGE = 50;
const $ = (sel) => document.querySelector(sel);

export const alerts = {
  tz: "Asia/Ho_Chi_Minh",
  me: null,
  events: new Map(), // id -> event
  selected: null, // event id shown in the detail panel
  picked: new Set(), // ids ticked for bulk review
  offset: 0,
  total: 0,
  filter: { type: "", status: "", camera: "", area: "" },
  sound: localStorage.getItem("urbanwatch.sound") !== "off",
  maxId: 0,
};

function can(role) {
  const rank = { operator: 0, supervisor: 1, admin: 2 };
  return alerts.me && rank[alerts.me.role] >= rank[role];
}

function matches(ev) {
  const f = alerts.filter;
  return (!f.type || ev.type === f.type) && (!f.status || ev.status === f.status) &&
    (!f.camera || ev.camera_id === f.camera) && (!f.area || inArea(ev.ward, f.area));
}

function objectText(ev) {
  return ev.class_name === "static_object" ? t("category." + ev.category)
    : `${t("category." + ev.category)} (${ev.class_name})`;
}

// ------------------------------------------------------------------ list
export function renderAlert(ev, { fresh = false } = {}) {
  let li = document.querySelector(`li.alert[data-id="${ev.id}"]`);
  if (!matches(ev)) {
    li?.remove();
    return;
  }
  if (!li) {
    li = $("#alert-template").content.firstElementChild.cloneNode(true);
    li.dataset.id = ev.id;
    li.addEventListener("click", (e) => { if (!e.target.classList.contains("pick")) select(ev.id); });
    li.querySelector(".pick").addEventListener("change", (e) => pick(ev.id, e.target.checked));
    const list = $("#alerts");
    const after = [...list.children].find((el) => Number(el.dataset.id) < ev.id);
    list.insertBefore(li, after || null);
  }
  li.dataset.type = ev.type;
  li.dataset.state = ev.state;
  li.dataset.status = ev.status;
  li.classList.toggle("selected", alerts.selected === ev.id);
  li.querySelector(".pick").hidden = !can("supervisor");
  li.querySelector(".pick").checked = alerts.picked.has(ev.id);
  const img = li.querySelector(".thumb");
  if (img.getAttribute("src") !== ev.snapshot_annotated_url) img.src = ev.snapshot_annotated_url;
  img.alt = `${t("type." + ev.type)} – ${ev.camera_name}`;
  li.querySelector(".type-badge").textContent = t("type." + ev.type);
  const ack = ev.status === "unreviewed" && ev.acknowledged_at ? ` · ${t("status.acknowledged")}` : "";
  li.querySelector(".status-badge").textContent = `${t("status." + ev.status)}${ack} · ${t("state." + ev.state)}`;
  li.querySelector(".camera-name").textContent = ev.camera_name || ev.camera_id;
  li.querySelector(".zone").textContent = ev.zone_name;
  li.querySelector(".object").textContent = objectText(ev);
  const time = li.querySelector(".time");
  time.dateTime = ev.raised_at;
  time.textContent = fmtTime(ev.raised_at, alerts.tz, true);
  if (fresh) {
    li.classList.add("fresh");
    setTimeout(() => li.classList.remove("fresh"), 15000);
  }
  $("#alerts-empty").hidden = $("#alerts").children.length > 0;
}

export function upsert(ev, { fresh = false } = {}) {
  alerts.events.set(ev.id, ev);
  alerts.maxId = Math.max(alerts.maxId, ev.id);
  renderAlert(ev, { fresh });
  if (alerts.selected === ev.id) showDetail(ev.id);
  if (fresh) cue(ev);
}

export async function load(reset = true) {
  if (reset) {
    alerts.offset = 0;
    $("#alerts").replaceChildren();
  }
  const q = new URLSearchParams({ limit: PAGE, offset: alerts.offset });
  for (const [k, v] of Object.entries(alerts.filter)) if (v) q.append(k, v);
  const page = await api(`/api/events?${q}`);
  for (const ev of page.items) upsert(ev);
  alerts.offset += page.items.length;
  alerts.total = page.total;
  $("#load-more").hidden = alerts.offset >= alerts.total;
  $("#alerts-empty").hidden = $("#alerts").children.length > 0;
}

export function rerender() {
  for (const ev of alerts.events.values()) renderAlert(ev);
  if (alerts.selected) showDetail(alerts.selected);
  updateBulk();
}

// ------------------------------------------------------------------ new-alert cue
let audio;
function beep() {
  try {
    audio = audio || new AudioContext();
    const now = audio.currentTime;
    for (const [i, f] of [880, 1175].entries()) {
      const o = audio.createOscillator();
      const g = audio.createGain();
      o.frequency.value = f;
      g.gain.setValueAtTime(0.0001, now + i * 0.18);
      g.gain.exponentialRampToValueAtTime(0.25, now + i * 0.18 + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.18 + 0.16);
      o.connect(g).connect(audio.destination);
      o.start(now + i * 0.18);
      o.stop(now + i * 0.18 + 0.17);
    }
  } catch (e) {
    console.warn("no sound", e);
  }
}

let unseen = 0;
function cue(ev) {
  if (alerts.sound) beep();
  if (document.hidden) {
    unseen += 1;
    document.title = `(${unseen}) urbanwatch – ${t("type." + ev.type)}`;
  }
}
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) {
    unseen = 0;
    document.title = "urbanwatch";
  }
});

export function toggleSound() {
  alerts.sound = !alerts.sound;
  localStorage.setItem("urbanwatch.sound", alerts.sound ? "on" : "off");
  $("#sound").setAttribute("aria-pressed", String(alerts.sound));
}

// ------------------------------------------------------------------ detail
export async function select(id) {
  alerts.selected = id;
  for (const li of document.querySelectorAll("li.alert")) li.classList.toggle("selected", Number(li.dataset.id) === id);
  document.querySelector(`li.alert[data-id="${id}"]`)?.scrollIntoView({ block: "nearest" });
  showDetail(id);
}

async function showDetail(id) {
  const ev = alerts.events.get(id);
  if (!ev) return;
  $("#detail-empty").hidden = true;
  $("#detail-body").hidden = false;
  $("#detail-title").textContent = `#${ev.id} ${t("type." + ev.type)} – ${ev.camera_name}`;
  $("#detail-annotated").src = ev.snapshot_annotated_url;
  $("#detail-clean").src = ev.snapshot_url;
  const owner = (ev.crop_urls || {}).owner;
  $("#detail-owner-figure").hidden = !owner;
  if (owner) $("#detail-owner").src = owner;
  $("#detail-evidence").href = `/api/events/${ev.id}/evidence.zip`;
  const clip = $("#detail-clip");
  clip.hidden = !ev.clip_url;
  if (ev.clip_url && clip.getAttribute("src") !== ev.clip_url) clip.src = ev.clip_url;
  $("#act-ack").hidden = Boolean(ev.acknowledged_at);
  for (const b of ["#act-confirm", "#act-dismiss"]) $(b).hidden = !can("supervisor");
  const facts = [
    ["fact.camera", `${ev.camera_name} (${ev.camera_id})`],
    ["fact.ward", areaLabel(ev.ward)],
    ["fact.zone", ev.zone_name],
    ["fact.object", objectText(ev)],
    ["fact.started", fmtTime(ev.started_at, alerts.tz, true)],
    ["fact.raised", fmtTime(ev.raised_at, alerts.tz, true)],
    ["fact.ended", ev.ended_at ? fmtTime(ev.ended_at, alerts.tz, true) : t("state.active")],
    ["fact.status", t("status." + ev.status) + (ev.review_reason ? ` – ${t("reason." + ev.review_reason)}` : "")],
  ];
  if (ev.reviewed_by) facts.push(["fact.reviewed", `${ev.reviewed_by}, ${fmtTime(ev.reviewed_at, alerts.tz, true)}`]);
  const dl = $("#detail-facts");
  dl.replaceChildren();
  for (const [k, v] of facts) {
    const dt = document.createElement("dt");
    dt.textContent = t(k);
    const dd = document.createElement("dd");
    dd.textContent = v;
    dl.append(dt, dd);
  }
  try {
    const { timeline } = await api(`/api/events/${id}/timeline`);
    if (alerts.selected !== id) return;
    const ol = $("#detail-timeline");
    ol.replaceChildren();
    for (const item of timeline) {
      const li = document.createElement("li");
      const who = item.by ? ` – ${item.by}` : "";
      const extra = item.after?.review_reason ? ` (${t("reason." + item.after.review_reason)})` : "";
      const note = item.note ? `: ${item.note}` : "";
      const label = item.kind === "event.updated" ? `${t("tl.event.updated")}: ${t("state." + item.state)}` : t("tl." + item.kind);
      li.textContent = `${fmtTime(item.at, alerts.tz)} ${label}${extra}${who}${note}`;
      ol.append(li);
    }
  } catch (e) {
    console.warn(e);
  }
}

// ------------------------------------------------------------------ actions
let pendingDecision = null;

export async function acknowledge(id = alerts.selected) {
  if (!id) return;
  upsert(await api(`/api/events/${id}/ack`, { method: "POST" }));
}

export function startReview(decision, ids = null) {
  if (!can("supervisor") || (!ids && !alerts.selected)) return;
  pendingDecision = { decision, ids };
  const form = $("#review-form");
  form.hidden = false;
  form.dataset.decision = decision;
  $("#review-error").hidden = true;
  $("#review-submit").textContent = t(decision === "confirm" ? "action.do_confirm" : "action.do_dismiss");
  $("#review-reason").value = "";
  $("#review-note").value = "";
  (decision === "dismiss" ? $("#review-reason") : $("#review-note")).focus();
}

export async function submitReview() {
  if (!pendingDecision) return;
  const reason = $("#review-reason").value || null;
  const note = $("#review-note").value.trim() || null;
  const { decision, ids } = pendingDecision;
  if (decision === "dismiss" && !reason) {
    showReviewError(t("review.need_reason"));
    return;
  }
  try {
    if (ids) {
      const res = await api("/api/events/review", { method: "POST", body: { ids, decision, reason, note } });
      for (const ev of res.items) upsert(ev);
      alerts.picked.clear();
      updateBulk();
      rerender();
    } else {
      upsert(await api(`/api/events/${alerts.selected}/review`, { method: "POST", body: { decision, reason, note } }));
    }
    cancelReview();
  } catch (e) {
    showReviewError(e instanceof ApiError && e.status === 403 ? t("error.forbidden") : e.message);
  }
}

function showReviewError(text) {
  $("#review-error").textContent = text;
  $("#review-error").hidden = false;
}

export function cancelReview() {
  pendingDecision = null;
  $("#review-form").hidden = true;
}

function pick(id, on) {
  if (on) alerts.picked.add(id);
  else alerts.picked.delete(id);
  updateBulk();
}

export function updateBulk() {
  const n = alerts.picked.size;
  $("#bulk").hidden = n === 0 || !can("supervisor");
  $("#bulk-count").textContent = t("alerts.selected", { n });
}

export function clearPicked() {
  alerts.picked.clear();
  rerender();
}

// ------------------------------------------------------------------ keyboard
export function onKey(e) {
  if (e.target.closest("input, textarea, select") || e.ctrlKey || e.metaKey || e.altKey) return;
  const items = [...document.querySelectorAll("li.alert")].map((li) => Number(li.dataset.id));
  const i = items.indexOf(alerts.selected);
  const key = e.key.toLowerCase();
  if (key === "j" || e.key === "ArrowDown") select(items[Math.min(items.length - 1, i + 1)] ?? items[0]);
  else if (key === "k" || e.key === "ArrowUp") select(items[Math.max(0, i - 1)] ?? items[0]);
  else if (key === "a") acknowledge();
  else if (key === "c") startReview("confirm");
  else if (key === "d") startReview("dismiss");
  else if (key === "x" && alerts.selected && can("supervisor")) {
    pick(alerts.selected, !alerts.picked.has(alerts.selected));
    renderAlert(alerts.events.get(alerts.selected));
  } else if (e.key === "Escape") cancelReview();
  else return;
  e.preventDefault();
}
