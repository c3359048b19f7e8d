// The live alerts page: the list on the left, the selected incident in the middle, the decision
// bar always in view; bulk decisions on the picked incidents say how many they change.
import { areaLabel, inArea } from "/static/areas.js";
import { api } from "/static/api.js";
import { cameras, knowsZone, loadCameras, mapUrl, zoneLabel } from "/static/cameras.js";
import { DecisionBar } from "/static/decision.js";
import { cancelLabel, initLabels, showLabels } from "/static/labels.js";
import { actionLabel, className, fmtTime, lang, t } from "/static/i18n.js";

const PAGE = 50;
const $ = (sel) => document.querySelector(sel);

export const alerts = {
  tz: "Asia/Ho_Chi_Minh",
  me: null,
  events: new Map(), // id -> event
  selected: null, // event id shown in the detail panel
  picked: new Set(), // ids ticked for bulk review
  found: new Set(), // what the search found (live alerts outside it are not shown while searching)
  offset: 0,
  total: 0,
  unreviewed: null,
  loading: false,
  failed: null,
  filter: { type: "", status: "", camera: "", area: "", q: "", since: "", until: "" },
  sound: localStorage.getItem("urbanwatch.sound") !== "off",
  maxId: 0,
  bar: null,
};

function can(role) {
  const rank = { operator: 0, supervisor: 1, admin: 2 };
  return alerts.me && rank[alerts.me.role] >= rank[role];
}

// an admin hands out the original files: with a reason, which the server records
function originalExport(e) {
  e.preventDefault();
  const reason = $("#original-reason").value.trim();
  if (alerts.selected == null || reason.length < 5) return;
  const q = new URLSearchParams({ mode: "original", reason });
  window.location.href = `/api/events/${alerts.selected}/evidence.zip?${q}`;
  $("#original-reason").value = "";
}

export function initAlerts() {
  $("#original-form").addEventListener("submit", originalExport);
  initLabels((ev) => upsert(ev));
  $("#detail-print").addEventListener("click", () => window.print());
  alerts.bar = new DecisionBar($("#decision"), {
    ack: "act-ack", confirm: "act-confirm", dismiss: "act-dismiss", form: "review-form", reason: "review-reason",
    note: "review-note", error: "review-error", submit: "review-submit", cancel: "review-cancel",
  }, { me: () => alerts.me, saved });
  $("#detail .back").addEventListener("click", () => {
    $("#alerts-view").classList.remove("has-selection");
    document.querySelector(`li.alert[data-id="${alerts.selected}"]`)?.focus();
  });
  $("#bulk-confirm").addEventListener("click", () => startBulk("confirm"));
  $("#bulk-dismiss").addEventListener("click", () => startBulk("dismiss"));
  $("#bulk-clear").addEventListener("click", clearPicked);
}

function saved(events) {
  const bulk = alerts.bar.bulk;
  for (const ev of events) upsert(ev);
  if (bulk) {
    alerts.picked.clear();
    endBulk();
    rerender();
    notice(t("decision.saved", { n: events.length }));
  }
  countUnreviewed();
  // the keys go on where the decision was made: the list
  document.querySelector(`li.alert[data-id="${alerts.selected}"]`)?.focus({ preventScroll: true });
}

const dayFormat = { tz: null, format: null };
function localDate(iso) {
  if (dayFormat.tz !== alerts.tz) {
    Object.assign(dayFormat, { tz: alerts.tz, format: new Intl.DateTimeFormat("en-CA", { timeZone: alerts.tz }) });
  }
  return dayFormat.format.format(new Date(iso)); // YYYY-MM-DD
}

function matches(ev) {
  const f = alerts.filter;
  // search and dates are the server's to judge; a live event outside the dates is not shown
  const day = (f.since || f.until) && ev.raised_at ? localDate(ev.raised_at) : "";
  return (!f.type || ev.type === f.type) && (!f.status || ev.status === f.status) &&
    (!f.camera || ev.camera_id === f.camera) && (!f.area || inArea(ev.ward, f.area)) &&
    (!f.since || day >= f.since) && (!f.until || day <= f.until) && (!f.q || alerts.found.has(ev.id));
}

// the permit an incident breaches (a licensed vendor outside their hours or use), in words
export function permitText(ev, long = false) {
  const p = ev.details?.evidence?.permit;
  if (!p) return null;
  const why = t("permit.why." + p.why);
  return long ? `${p.number} – ${p.holder}${p.address ? `, ${p.address}` : ""}: ${why}` : t("permit.badge", { why });
}

export function objectText(ev) {
  return ev.class_name === "static_object" ? t("category." + ev.category)
    : `${t("category." + ev.category)} (${className(ev.class_name)})`;
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
    li.addEventListener("click", (e) => { if (!e.target.classList.contains("pick")) select(ev.id, { open: true }); });
    li.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && e.target === li) { e.preventDefault(); select(ev.id, { open: true }); }
    });
    li.querySelector(".pick").addEventListener("change", (e) => pick(ev.id, e.target.checked));
    const list = $("#alerts");
    const after = [...list.children].find((el) => Number(el.dataset.id) < ev.id);
    list.insertBefore(li, after || null);
  }
  li.dataset.type = ev.type;
  li.dataset.state = ev.state;
  li.dataset.status = ev.status;
  const selected = alerts.selected === ev.id;
  li.classList.toggle("selected", selected);
  li.setAttribute("aria-current", selected ? "true" : "false");
  const box = li.querySelector(".pick");
  box.hidden = !can("supervisor");
  box.checked = alerts.picked.has(ev.id);
  box.setAttribute("aria-label", `${t("aria.pick")} #${ev.id}`);
  li.classList.toggle("no-pick", !can("supervisor"));
  const img = li.querySelector(".thumb");
  if (img.getAttribute("src") !== ev.snapshot_annotated_url) img.src = ev.snapshot_annotated_url;
  img.alt = `${t("type." + ev.type)} – ${ev.camera_name}`;
  li.querySelector(".type-badge").textContent = t("type." + ev.type);
  const ack = ev.status === "unreviewed" && ev.acknowledged_at ? ` · ${t("status.acknowledged")}` : "";
  li.querySelector(".status-badge").textContent = `${t("status." + ev.status)}${ack} · ${t("state." + ev.state)}`;
  const permit = permitText(ev);
  li.querySelector(".permit-badge").hidden = !permit;
  li.querySelector(".permit-badge").textContent = permit || "";
  li.querySelector(".camera-name").textContent = ev.camera_name || ev.camera_id;
  li.querySelector(".zone").textContent = zoneLabel(ev.camera_id, ev.zone_name);
  li.querySelector(".object").textContent = objectText(ev);
  const time = li.querySelector(".time");
  time.dateTime = ev.raised_at;
  time.textContent = fmtTime(ev.raised_at, alerts.tz, true);
  if (fresh) {
    li.classList.add("fresh");
    setTimeout(() => li.classList.remove("fresh"), 15000);
  }
  showEmpty();
}

function filtered() {
  const f = alerts.filter;
  return Boolean(f.type || f.status || f.camera || f.area || f.q || f.since || f.until);
}

// loading, nothing at all, nothing for these filters, or the list failed: each says which
function showEmpty() {
  const empty = $("#alerts-empty");
  const none = $("#alerts").children.length === 0;
  empty.hidden = !alerts.loading && !alerts.failed && !none;
  empty.textContent = alerts.loading ? t("list.loading") : alerts.failed ? t("list.failed", { error: alerts.failed })
    : filtered() ? t("list.noresults") : t("alerts.empty");
}

export function upsert(ev, { fresh = false } = {}) {
  alerts.events.set(ev.id, ev);
  alerts.maxId = Math.max(alerts.maxId, ev.id);
  renderAlert(ev, { fresh });
  if (fresh && !knowsZone(ev.camera_id, ev.zone_name)) loadCameras().catch(() => {});
  if (alerts.selected === ev.id) showDetail(ev.id);
  if (alerts.bar?.bulk && alerts.picked.has(ev.id)) alerts.bar.show(pickedEvents(), { bulk: true });
  if (fresh) cue(ev);
}

function query(extra = {}) {
  const q = new URLSearchParams(extra);
  const f = alerts.filter;
  for (const k of ["type", "status", "camera", "area", "q"]) if (f[k]) q.append(k, f[k]);
  if (f.since) q.append("since", `${f.since}T00:00:00`);
  if (f.until) {
    const d = new Date(`${f.until}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + 1);
    q.append("until", `${d.toISOString().slice(0, 10)}T00:00:00`);
  }
  return q;
}

export async function load(reset = true) {
  const f = alerts.filter;
  if (f.since && f.until && f.since > f.until) {
    $("#alerts").replaceChildren();
    alerts.failed = null;
    $("#alerts-empty").hidden = false;
    $("#alerts-empty").textContent = t("filter.badrange");
    return;
  }
  if (reset) {
    alerts.offset = 0;
    alerts.found = new Set();
    $("#alerts").replaceChildren();
  }
  alerts.loading = true;
  alerts.failed = null;
  showEmpty();
  try {
    const page = await api(`/api/events?${query({ limit: PAGE, offset: alerts.offset })}`);
    for (const ev of page.items) alerts.found.add(ev.id);
    for (const ev of page.items) upsert(ev);
    alerts.offset += page.items.length;
    alerts.total = page.total;
    $("#load-more").hidden = alerts.offset >= alerts.total;
  } catch (e) {
    alerts.failed = e.message;
  } finally {
    alerts.loading = false;
    showEmpty();
  }
  countUnreviewed();
}

// how many incidents wait for a decision: on the tab and above the list
let counting = null;
export function countUnreviewed() {
  clearTimeout(counting);
  counting = setTimeout(async () => {
    try {
      const all = await api(`/api/events?${query({ limit: 1 })}`);
      const q = query({ limit: 1 });
      q.delete("status");
      q.append("status", "unreviewed");
      const open = await api(`/api/events?${q}`);
      alerts.unreviewed = open.total;
      $("#alerts-count").textContent = t("alerts.count", { unreviewed: open.total, total: all.total });
      const badge = $("#badge-unreviewed");
      badge.hidden = !open.total;
      badge.textContent = String(open.total);
      badge.setAttribute("aria-label", t("alerts.count", { unreviewed: open.total, total: all.total }));
    } catch (e) {
      console.warn(e);
    }
  }, 300);
}

export function rerender() {
  for (const ev of alerts.events.values()) renderAlert(ev);
  if (alerts.selected) showDetail(alerts.selected);
  updateBulk();
  $("#alerts-keys").textContent = t(can("supervisor") ? "alerts.keys" : "alerts.keys_operator");
  if (alerts.unreviewed != null) countUnreviewed();
}

// ------------------------------------------------------------------ new-alert cue
let audio;
export function beep(freqs = [880, 1175]) {
  try {
    audio = audio || new AudioContext();
    const now = audio.currentTime;
    for (const [i, f] of freqs.entries()) {
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

// a short message in the status strip (an action refused, a bulk decision saved)
let noticeTimer = null;
export function notice(text) {
  const el = $("#notice");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { el.hidden = true; }, 8000);
}

// ------------------------------------------------------------------ detail
export async function select(id, { open = false } = {}) {
  if (id == null) return;
  alerts.selected = id;
  if (alerts.bar.bulk && !alerts.picked.size) endBulk();
  for (const li of document.querySelectorAll("li.alert")) {
    const on = Number(li.dataset.id) === id;
    li.classList.toggle("selected", on);
    li.setAttribute("aria-current", on ? "true" : "false");
  }
  const li = document.querySelector(`li.alert[data-id="${id}"]`);
  li?.scrollIntoView({ block: "nearest" });
  if (open) $("#alerts-view").classList.add("has-selection"); // narrow screens: the detail replaces the list
  if (!alerts.bar.bulk) alerts.bar.show([alerts.events.get(id)].filter(Boolean));
  showDetail(id);
}

async function showDetail(id) {
  const ev = alerts.events.get(id);
  if (!ev) return;
  $("#detail-empty").hidden = true;
  $("#detail-body").hidden = false;
  $("#detail-title").textContent = `#${ev.id} ${t("type." + ev.type)} – ${ev.camera_name}`;
  $("#detail-annotated").src = ev.snapshot_annotated_url;
  $("#detail-annotated").alt = t("detail.annotated");
  $("#detail-clean").src = ev.snapshot_url;
  $("#detail-clean").alt = t("detail.clean");
  const owner = (ev.crop_urls || {}).owner;
  $("#detail-owner-figure").hidden = !owner;
  if (owner) $("#detail-owner").src = owner;
  $("#detail-evidence").href = `/api/events/${ev.id}/evidence.zip`;
  $("#detail-report").href = `/api/events/${ev.id}/report.pdf?lang=${lang()}`;
  showClip($("#detail-clip"), $("#detail-recording"), ev);
  showLabels(ev);
  if (!alerts.bar.bulk) alerts.bar.show([ev]);
  const cam = cameras.list.get(ev.camera_id);
  const map = mapUrl(cam);
  $("#detail-map").hidden = !map;
  if (map) $("#detail-map").href = map;
  const facts = [
    ["fact.camera", ev.camera_name],
    ...(cam?.address ? [["camera.address", cam.address]] : []),
    ["fact.ward", areaLabel(ev.ward)],
    ["fact.zone", zoneLabel(ev.camera_id, ev.zone_name)],
    ["fact.object", objectText(ev)],
    ...(permitText(ev) ? [["permit.fact", permitText(ev, true)]] : []),
    ["fact.started", fmtTime(ev.started_at, alerts.tz, true)],
    ["fact.raised", fmtTime(ev.raised_at, alerts.tz, true)],
    ["fact.ended", ev.ended_at ? fmtTime(ev.ended_at, alerts.tz, true) : t("state.active")],
    ["fact.status", t("status." + ev.status) + (ev.review_reason ? ` – ${t("reason." + ev.review_reason)}` : "")],
  ];
  if (ev.reviewed_by) {
    facts.push(["fact.reviewed", `${ev.reviewed_by_name || ev.reviewed_by}, ${fmtTime(ev.reviewed_at, alerts.tz, true)}`]);
  }
  if (ev.review_note) facts.push(["review.note", ev.review_note]);
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
    renderTimeline($("#detail-timeline"), timeline);
  } catch (e) {
    console.warn(e);
  }
}

export function renderTimeline(ol, timeline) {
  ol.replaceChildren();
  for (const item of timeline) {
    const li = document.createElement("li");
    const who = item.by ? ` – ${item.by_name || item.by}` : "";
    const note = item.note ? `: ${item.note}` : "";
    const label = item.kind === "event.updated" ? `${t("tl.event.updated")}: ${t("state." + item.state)}`
      : actionLabel(item.kind, item.after);
    li.textContent = `${fmtTime(item.at, alerts.tz)} ${label}${who}${note}`;
    ol.append(li);
  }
}

// the clip, and whether it is still being written: a finished clip is loaded again (its length
// grew) unless someone is watching it right now
export function showClip(video, badge, ev) {
  video.hidden = !ev.clip_url;
  badge.hidden = !["recording", "failed"].includes(ev.clip_state);
  badge.textContent = ev.clip_state === "failed" ? t("detail.recording_failed") : t("detail.recording");
  badge.dataset.state = ev.clip_state;
  if (!ev.clip_url) return;
  const src = `${ev.clip_url}?v=${ev.clip_state}`;
  if (video.getAttribute("src") === src) return;
  if (video.dataset.event === String(ev.id) && !video.paused) {
    video.addEventListener("pause", () => showClip(video, badge, ev), { once: true });
    return;
  }
  const at = video.dataset.event === String(ev.id) ? video.currentTime : 0;
  video.dataset.event = String(ev.id);
  video.src = src;
  if (at) video.addEventListener("loadedmetadata", () => { video.currentTime = at; }, { once: true });
}

// ------------------------------------------------------------------ picking and bulk
function pickedEvents() {
  return [...alerts.picked].map((id) => alerts.events.get(id)).filter(Boolean);
}

// the picked incidents decided together: the bar alone (no one incident's pictures), beside the
// list on a desk and under it on a phone, where the selection stays in view
function startBulk(decision) {
  if (!alerts.picked.size) return;
  alerts.bar.show(pickedEvents(), { bulk: true });
  $("#alerts-view").classList.add("bulk-mode");
  $("#alerts-view").classList.remove("has-selection");
  $("#detail-empty").hidden = true;
  $("#detail-body").hidden = false;
  alerts.bar.start(decision);
}

function endBulk() {
  $("#alerts-view").classList.remove("bulk-mode");
  const ev = alerts.events.get(alerts.selected);
  alerts.bar.show([ev].filter(Boolean));
  if (!ev) {
    $("#detail-empty").hidden = false;
    $("#detail-body").hidden = true;
  }
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
  $("#bulk-confirm").textContent = t("action.confirm_selected", { n });
  $("#bulk-dismiss").textContent = t("action.dismiss_selected", { n });
  if (alerts.bar?.bulk) {
    if (n) alerts.bar.show(pickedEvents(), { bulk: true });
    else endBulk();
  }
}

export function clearPicked() {
  alerts.picked.clear();
  if (alerts.bar.bulk) endBulk();
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
  else if (e.key === "Enter" && alerts.selected != null && !e.target.closest("button, a")) select(alerts.selected, { open: true });
  else if (alerts.selected != null && alerts.bar.onKey(key)) { /* A, C, D */ }
  else if (key === "x" && alerts.selected && can("supervisor")) {
    pick(alerts.selected, !alerts.picked.has(alerts.selected));
    renderAlert(alerts.events.get(alerts.selected));
  } else if (e.key === "Escape") {
    alerts.bar.cancel();
    cancelLabel();
  }
  else return;
  e.preventDefault();
}
