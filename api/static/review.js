// The daily review: the incidents of one office day (from day_start to the next day's), by ward
// and camera, with the same workspace and decision bar as the alerts page; each ward's digest
// follows the decisions; for city-wide accounts, the city overview.
import { api } from "/static/api.js";
import { alerts, objectText, permitText, renderTimeline, showClip, upsert } from "/static/alerts.js";
import { areaLabel, areas, viCompare, visibleAreas } from "/static/areas.js";
import { zoneLabel } from "/static/cameras.js";
import { DecisionBar } from "/static/decision.js";
import { fmtClock, fmtTime, lang, t } from "/static/i18n.js";

const $ = (sel) => document.querySelector(sel);
const TYPE_COLORS = { encroachment: "#ffb020", dumping: "#3d8bfd" };
export const rv = { day: null, items: [], current: -1, dayStart: "06:00", bar: null, digest: null, overview: null };

function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

// the office day now: before day_start (03:12 with a 06:00 start) it is still the day before
export function officeDay(now = new Date()) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: alerts.tz, hour12: false, year: "numeric",
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }).formatToParts(now);
  const get = (type) => parts.find((p) => p.type === type).value;
  const day = `${get("year")}-${get("month")}-${get("day")}`;
  const hm = `${get("hour").replace("24", "00")}:${get("minute")}`;
  return hm < rv.dayStart ? addDays(day, -1) : day;
}

function params() {
  const q = new URLSearchParams({ date: rv.day });
  const area = $("#review-area").value;
  if (area) q.append("area", area);
  return q;
}

// the area choice, narrowed by what is typed: diacritics and case do not matter ("ben thanh")
function fillAreas(query = "") {
  const sel = $("#review-area");
  const chosen = sel.value;
  const found = visibleAreas(query);
  sel.replaceChildren(new Option(t("filter.allareas"), ""));
  for (const a of found) sel.append(new Option(a.label, a.name));
  if (query && found.length === 1) sel.value = found[0].name;
  else sel.value = found.some((a) => a.name === chosen) ? chosen : "";
  return sel.value !== chosen;
}

export async function openReview() {
  if (!$("#review-date").value) $("#review-date").value = officeDay();
  fillAreas($("#review-area-search").value);
  await loadDay();
}

async function loadDay() {
  rv.day = $("#review-date").value;
  const since = `${rv.day}T${rv.dayStart}:00`;
  const until = `${addDays(rv.day, 1)}T${rv.dayStart}:00`;
  const words = (day) => day.split("-").reverse().join("/");
  $("#review-span").textContent = t("review.span", { day: words(rv.day), from: `${rv.dayStart} ${words(rv.day)}`,
    to: `${rv.dayStart} ${words(addDays(rv.day, 1))}` });
  const q = new URLSearchParams({ since, until, limit: 500 });
  for (const [id, key] of [["#review-area", "area"], ["#review-type", "type"], ["#review-status", "status"]]) {
    if ($(id).value) q.append(key, $(id).value);
  }
  const root = $("#review-list");
  root.replaceChildren(Object.assign(document.createElement("p"), { className: "empty", textContent: t("list.loading") }));
  const items = [];
  try {
    for (let offset = 0; ; offset += 500) {
      q.set("offset", offset);
      const page = await api(`/api/events?${q}`);
      items.push(...page.items);
      if (items.length >= page.total || !page.items.length) break;
    }
  } catch (e) {
    root.replaceChildren(Object.assign(document.createElement("p"), { className: "empty error", textContent: t("list.failed", { error: e.message }) }));
    return;
  }
  // by ward (Vietnamese order), then camera, then time of day
  items.sort((a, b) => viCompare(a.ward, b.ward) || viCompare(a.camera_name, b.camera_name)
    || a.raised_at.localeCompare(b.raised_at));
  rv.items = items;
  rv.current = -1;
  $("#review-csv").href = `/api/digest.csv?${params()}&lang=${lang()}`;
  renderList();
  rv.bar.show([]);
  $("#review-item").replaceChildren(Object.assign(document.createElement("p"), { className: "empty", textContent: t("review.pick") }));
  await refreshDigest();
}

export async function refreshDigest() {
  if (!rv.day) return;
  try {
    rv.digest = await api(`/api/digest?${params()}`);
    rv.overview = alerts.me?.city_wide ? await api(`/api/digest/overview?date=${rv.day}&days=7`) : null;
  } catch (e) {
    console.warn(e);
  }
  renderDigest(rv.digest);
  renderOverview(rv.overview);
}

function rowText(ev) {
  return `${fmtClock(ev.raised_at, alerts.tz)} · ${t("type." + ev.type)} · ${zoneLabel(ev.camera_id, ev.zone_name)} · ${t("status." + ev.status)}`;
}

function renderList() {
  const root = $("#review-list");
  root.replaceChildren();
  if (!rv.items.length) {
    root.append(Object.assign(document.createElement("p"), { className: "empty", textContent: t("review.none") }));
    return;
  }
  let ward = null;
  let camera = null;
  rv.items.forEach((ev, i) => {
    if (ev.ward !== ward) {
      ward = ev.ward;
      camera = null;
      root.append(Object.assign(document.createElement("h2"), { textContent: areaLabel(ward) }));
    }
    if (ev.camera_id !== camera) {
      camera = ev.camera_id;
      root.append(Object.assign(document.createElement("h3"), { textContent: ev.camera_name }));
    }
    const row = document.createElement("button");
    row.type = "button";
    row.className = "review-row";
    row.dataset.index = i;
    row.dataset.id = ev.id;
    row.dataset.status = ev.status;
    row.textContent = rowText(ev);
    row.classList.toggle("current", i === rv.current);
    row.setAttribute("aria-current", i === rv.current ? "true" : "false");
    row.addEventListener("click", () => pick(i, { open: true }));
    root.append(row);
  });
}

const SVG = "http://www.w3.org/2000/svg";

function svg(name, attrs, text) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// one camera's bar, built as elements: a camera name is text wherever it goes, never markup
function bar(label, counts, max) {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const width = 300;
  const row = Object.assign(document.createElement("div"), { className: "bar" });
  row.append(Object.assign(document.createElement("span"), { className: "bar-label", textContent: label }));
  const chart = svg("svg", { viewBox: `0 0 ${width + 40} 14`, preserveAspectRatio: "xMinYMid meet", role: "img",
    "aria-label": `${label}: ${total}` });
  let x = 0;
  for (const [type, n] of Object.entries(counts)) {
    const w = (n / max) * width;
    const rect = svg("rect", { x, y: 0, width: w, height: 14, fill: TYPE_COLORS[type] || "#999" });
    rect.append(svg("title", {}, `${t("type." + type)}: ${n}`));
    chart.append(rect);
    x += w;
  }
  chart.append(svg("text", { x: x + 6, y: 12 }, String(total)));
  row.append(chart);
  return row;
}

function renderDigest(data) {
  const root = $("#digest");
  root.replaceChildren();
  if (!data) return;
  let total = 0;
  for (const d of data.wards) {
    total += d.events;
    const card = document.createElement("article");
    card.className = "digest-card";
    const rate = d.confirmation_rate == null ? "–" : `${Math.round(d.confirmation_rate * 100)}%`;
    const types = Object.entries(d.by_type).map(([k, n]) => `${t("type." + k)}: ${n}`).join(" · ");
    const cams = Object.values(d.by_camera);
    const max = Math.max(1, ...cams.map((c) => c.total));
    card.innerHTML = `<h2></h2><p class="digest-line"></p><p class="digest-line"></p><p class="digest-line permits"></p>
      <h3 class="by-camera"></h3><div class="bars"></div><h3 class="repeats-title"></h3><ul class="repeats"></ul>`;
    card.querySelector(".by-camera").textContent = t("review.by_camera");
    card.querySelector(".repeats-title").textContent = t("review.repeats");
    card.querySelector(".bars").append(...cams.map((c) => bar(c.name, c.by_type, max)));
    card.querySelector("h2").textContent = `${areaLabel(d.ward)} – ${t("review.events", { n: d.events })}`;
    const lines = card.querySelectorAll(".digest-line");
    lines[0].textContent = types;
    lines[1].textContent = `${t("review.rate")}: ${rate} (${t("status.confirmed")} ${d.by_status.confirmed || 0}, ${t("status.dismissed")} ${d.by_status.dismissed || 0}, ${t("status.unreviewed")} ${d.by_status.unreviewed || 0})`;
    lines[2].hidden = !d.permit_violations;
    lines[2].textContent = t("review.permits", { n: d.permit_violations || 0 });
    const ul = card.querySelector(".repeats");
    for (const r of d.repeat_locations) {
      const zone = zoneLabel(r.camera_id, r.zone);
      ul.append(Object.assign(document.createElement("li"), { textContent: t("review.repeat", { camera: r.camera_name, zone, n: r.count }) }));
    }
    if (!d.repeat_locations.length) ul.append(Object.assign(document.createElement("li"), { textContent: "–" }));
    root.append(card);
  }
  $("#digest-summary").textContent = `${t("review.digest")} · ${t("review.events", { n: total })}`;
}

// the city at a glance: every ward's week, and where violations keep coming back
function renderOverview(data) {
  const root = $("#overview");
  root.hidden = !data;
  root.replaceChildren();
  if (!data) return;
  const h = document.createElement("h2");
  h.textContent = `${data.city || areas.city} · ${t("overview.title", { from: data.from, to: data.to })}`;
  root.append(h);
  if (!data.wards.length) {
    root.append(Object.assign(document.createElement("p"), { className: "empty", textContent: t("overview.none") }));
    return;
  }
  const most = document.createElement("p");
  most.className = "overview-most";
  most.textContent = `${t("overview.most")}: ` + (data.most_repeats.map((w) => `${areaLabel(w.ward)} (${w.repeat_locations})`).join(", ") || "–");
  root.append(most);
  const table = document.createElement("table");
  table.className = "overview-table";
  const head = table.createTHead().insertRow();
  for (const k of ["overview.ward", "overview.events", "overview.rate", "overview.repeats"]) {
    head.append(Object.assign(document.createElement("th"), { textContent: t(k) }));
  }
  const body = table.createTBody();
  for (const w of data.wards) {
    const row = body.insertRow();
    const rate = w.confirmation_rate == null ? "–" : `${Math.round(w.confirmation_rate * 100)}%`;
    for (const v of [areaLabel(w.ward), w.events, rate, w.repeat_locations]) row.insertCell().textContent = String(v);
    row.dataset.ward = w.ward;
  }
  root.append(table);
}

function pick(i, { open = false } = {}) {
  if (i < 0 || i >= rv.items.length) return;
  rv.current = i;
  const ev = rv.items[i];
  for (const row of document.querySelectorAll(".review-row")) {
    const on = Number(row.dataset.index) === i;
    row.classList.toggle("current", on);
    row.setAttribute("aria-current", on ? "true" : "false");
  }
  document.querySelector(`.review-row[data-index="${i}"]`)?.scrollIntoView({ block: "nearest" });
  if (open) $("#review-view").classList.add("has-selection");
  rv.bar.show([ev]);
  renderItem(ev);
}

function renderItem(ev) {
  const box = $("#review-item");
  let video = $("#review-clip");
  const same = box.dataset.event === String(ev.id);
  if (!same) {
    box.replaceChildren();
    box.dataset.event = String(ev.id);
    const head = document.createElement("div");
    head.className = "detail-head";
    const back = Object.assign(document.createElement("button"), { type: "button", className: "back", textContent: t("action.back") });
    back.addEventListener("click", () => $("#review-view").classList.remove("has-selection"));
    head.append(back, Object.assign(document.createElement("h2"), { id: "review-title" }));
    const recording = Object.assign(document.createElement("p"), { className: "recording", id: "review-recording" });
    video = document.createElement("video");
    video.controls = true;
    video.preload = "metadata";
    video.id = "review-clip";
    const noclip = Object.assign(document.createElement("p"), { className: "empty", id: "review-noclip" });
    const img = Object.assign(document.createElement("img"), { className: "review-snapshot", id: "review-snapshot" });
    const facts = Object.assign(document.createElement("dl"), { className: "facts", id: "review-facts" });
    const link = Object.assign(document.createElement("a"), { href: `/api/events/${ev.id}/evidence.zip`, id: "review-evidence" });
    link.setAttribute("download", "");
    const report = Object.assign(document.createElement("a"), { id: "review-report", target: "_blank", rel: "noopener" });
    const links = Object.assign(document.createElement("p"), { className: "links" });
    links.append(link, report);
    const tl = Object.assign(document.createElement("ol"), { className: "timeline", id: "review-timeline" });
    box.append(head, recording, video, noclip, img, links, facts, tl);
  }
  $("#review-title").textContent = `#${ev.id} ${t("type." + ev.type)} – ${ev.camera_name} · ${fmtTime(ev.raised_at, alerts.tz, true)}`;
  showClip(video, $("#review-recording"), ev);
  $("#review-noclip").hidden = Boolean(ev.clip_url);
  $("#review-noclip").textContent = t("review.noclip");
  $("#review-snapshot").src = ev.snapshot_annotated_url;
  $("#review-snapshot").alt = t("detail.annotated");
  $("#review-evidence").textContent = t("detail.evidence");
  $("#review-report").textContent = t("detail.report");
  $("#review-report").href = `/api/events/${ev.id}/report.pdf?lang=${lang()}`;
  const dl = $("#review-facts");
  dl.replaceChildren();
  const facts = [["fact.zone", zoneLabel(ev.camera_id, ev.zone_name)], ["fact.object", objectText(ev)],
    ...(permitText(ev) ? [["permit.fact", permitText(ev, true)]] : []),
    ["fact.status", t("status." + ev.status) + (ev.review_reason ? ` – ${t("reason." + ev.review_reason)}` : "")]];
  if (ev.reviewed_by) facts.push(["fact.reviewed", `${ev.reviewed_by_name || ev.reviewed_by}, ${fmtTime(ev.reviewed_at, alerts.tz, true)}`]);
  if (ev.review_note) facts.push(["review.note", ev.review_note]);
  for (const [k, v] of facts) dl.append(Object.assign(document.createElement("dt"), { textContent: t(k) }),
    Object.assign(document.createElement("dd"), { textContent: v }));
  api(`/api/events/${ev.id}/timeline`).then(({ timeline }) => {
    if (rv.items[rv.current]?.id === ev.id) renderTimeline($("#review-timeline"), timeline);
  }).catch((e) => console.warn(e));
}

// an incident changed (here, on another console, or its clip finished): the row, the item, the digest
export function reviewUpdate(ev) {
  const i = rv.items.findIndex((x) => x.id === ev.id);
  if (i < 0) return;
  rv.items[i] = ev;
  const row = document.querySelector(`.review-row[data-index="${i}"]`);
  if (row) {
    row.dataset.status = ev.status;
    row.textContent = rowText(ev);
  }
  if (i === rv.current) {
    rv.bar.show([ev]);
    renderItem(ev);
  }
  clearTimeout(rv.digestTimer);
  rv.digestTimer = setTimeout(refreshDigest, 500);
}

export function rerenderReview() {
  if ($("#review-view").hidden || !rv.day) return;
  renderList();
  renderDigest(rv.digest);
  renderOverview(rv.overview);
  if (rv.current >= 0) {
    rv.bar.show([rv.items[rv.current]]);
    renderItem(rv.items[rv.current]);
  } else {
    rv.bar.render();
  }
  $("#review-csv").href = `/api/digest.csv?${params()}&lang=${lang()}`;
}

export function onReviewKey(e) {
  if (e.target.closest("input, textarea, select") || e.ctrlKey || e.metaKey || e.altKey) return;
  const key = e.key.toLowerCase();
  if (key === "j" || e.key === "ArrowDown") pick(rv.current + 1);
  else if (key === "k" || e.key === "ArrowUp") pick(Math.max(0, rv.current - 1));
  else if (e.key === "Enter" && rv.current >= 0 && !e.target.closest("button, a")) pick(rv.current, { open: true });
  else if (e.key === " ") {
    const v = $("#review-clip");
    if (v) v.paused ? v.play() : v.pause();
  } else if (rv.current >= 0 && ["a", "c", "d"].includes(key)) {
    if (!$("#review-view").classList.contains("has-selection")) pick(rv.current, { open: true });
    rv.bar.onKey(key);
  }
  else if (e.key === "Escape") rv.bar.cancel();
  else return;
  e.preventDefault();
}

export function initReview() {
  rv.bar = new DecisionBar($("#rv-decision"), {
    ack: "rv-ack", confirm: "rv-confirm", dismiss: "rv-dismiss", form: "rv-form", reason: "rv-reason",
    note: "rv-note", error: "rv-error", submit: "rv-submit", cancel: "rv-cancel",
  }, {
    me: () => alerts.me,
    saved: (events) => {
      for (const ev of events) { upsert(ev); reviewUpdate(ev); }
      document.querySelector(`.review-row[data-index="${rv.current}"]`)?.focus({ preventScroll: true });
    },
  });
  for (const id of ["#review-date", "#review-area", "#review-type", "#review-status"]) {
    // the choice made, the keys go back to the list (J/K would otherwise type into the field)
    $(id).addEventListener("change", (e) => { e.target.blur(); loadDay(); });
  }
  $("#review-area-search").addEventListener("input", (e) => {
    if (fillAreas(e.target.value)) loadDay();
  });
}
