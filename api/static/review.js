// The nightly review: a chosen day's incidents by ward and camera, clips inline, the digest; for
// city-wide accounts, the city overview.
import { api } from "/static/api.js";
import { alerts, upsert } from "/static/alerts.js";
import { areaLabel, areas, viCompare, visibleAreas } from "/static/areas.js";
import { fmtTime, t } from "/static/i18n.js";

const $ = (sel) => document.querySelector(sel);
const TYPE_COLORS = { encroachment: "#ffb020", dumping: "#3d8bfd" };
const rv = { day: null, items: [], current: -1 };

function localDay(offsetDays) {
  const d = new Date(Date.now() + offsetDays * 86400000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: alerts.tz }).format(d); // YYYY-MM-DD
}

function nextDay(day) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
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
  if (!$("#review-date").value) $("#review-date").value = localDay(-1); // last night, by default
  fillAreas($("#review-area-search").value);
  await loadDay();
}

async function loadDay() {
  rv.day = $("#review-date").value;
  const q = new URLSearchParams({ since: `${rv.day}T00:00:00`, until: `${nextDay(rv.day)}T00:00:00`, limit: 500 });
  for (const [id, key] of [["#review-area", "area"], ["#review-type", "type"], ["#review-status", "status"]]) {
    if ($(id).value) q.append(key, $(id).value);
  }
  const items = [];
  for (let offset = 0; ; offset += 500) {
    q.set("offset", offset);
    const page = await api(`/api/events?${q}`);
    items.push(...page.items);
    if (items.length >= page.total || !page.items.length) break;
  }
  // by ward (Vietnamese order), then camera, then time of day
  items.sort((a, b) => viCompare(a.ward, b.ward) || viCompare(a.camera_name, b.camera_name)
    || a.raised_at.localeCompare(b.raised_at));
  rv.items = items;
  rv.current = -1;
  $("#review-csv").href = `/api/digest.csv?${params()}`;
  renderList();
  renderDigest(await api(`/api/digest?${params()}`));
  renderOverview(alerts.me?.city_wide ? await api(`/api/digest/overview?date=${rv.day}&days=7`) : null);
  $("#review-item").replaceChildren(Object.assign(document.createElement("p"), { className: "empty", textContent: t("review.pick") }));
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
    row.dataset.status = ev.status;
    row.textContent = `${fmtTime(ev.raised_at, alerts.tz)} · ${t("type." + ev.type)} · ${ev.zone_name} · ${t("status." + ev.status)}`;
    row.addEventListener("click", () => pick(i));
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
  const width = 360;
  const row = Object.assign(document.createElement("div"), { className: "bar" });
  row.append(Object.assign(document.createElement("span"), { className: "bar-label", textContent: label }));
  const chart = svg("svg", { width: width + 40, height: 14, role: "img", "aria-label": `${label}: ${total}` });
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
  for (const d of data.wards) {
    const card = document.createElement("article");
    card.className = "digest-card";
    const rate = d.confirmation_rate == null ? "–" : `${Math.round(d.confirmation_rate * 100)}%`;
    const types = Object.entries(d.by_type).map(([k, n]) => `${t("type." + k)}: ${n}`).join(" · ");
    const cams = Object.values(d.by_camera);
    const max = Math.max(1, ...cams.map((c) => c.total));
    card.innerHTML = `<h2></h2><p class="digest-line"></p><p class="digest-line"></p>
      <h3>${t("review.by_camera")}</h3><div class="bars"></div>
      <h3>${t("review.repeats")}</h3><ul class="repeats"></ul>`;
    card.querySelector(".bars").append(...cams.map((c) => bar(c.name, c.by_type, max)));
    card.querySelector("h2").textContent = `${d.label} – ${t("review.events", { n: d.events })}`;
    const lines = card.querySelectorAll(".digest-line");
    lines[0].textContent = types;
    lines[1].textContent = `${t("review.rate")}: ${rate} (${t("status.confirmed")} ${d.by_status.confirmed || 0}, ${t("status.dismissed")} ${d.by_status.dismissed || 0}, ${t("status.unreviewed")} ${d.by_status.unreviewed || 0})`;
    const ul = card.querySelector(".repeats");
    for (const r of d.repeat_locations) {
      ul.append(Object.assign(document.createElement("li"), { textContent: t("review.repeat", { camera: r.camera_name, zone: r.zone, n: r.count }) }));
    }
    if (!d.repeat_locations.length) ul.append(Object.assign(document.createElement("li"), { textContent: "–" }));
    root.append(card);
  }
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
  most.textContent = `${t("overview.most")}: ` + (data.most_repeats.map((w) => `${w.label} (${w.repeat_locations})`).join(", ") || "–");
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
    for (const v of [w.label, w.events, rate, w.repeat_locations]) row.insertCell().textContent = String(v);
    row.dataset.ward = w.ward;
  }
  root.append(table);
}

function pick(i) {
  if (i < 0 || i >= rv.items.length) return;
  rv.current = i;
  const ev = rv.items[i];
  for (const row of document.querySelectorAll(".review-row")) row.classList.toggle("current", Number(row.dataset.index) === i);
  document.querySelector(`.review-row[data-index="${i}"]`)?.scrollIntoView({ block: "nearest" });
  const box = $("#review-item");
  box.replaceChildren();
  const h = document.createElement("h2");
  h.textContent = `#${ev.id} ${t("type." + ev.type)} – ${ev.camera_name} · ${fmtTime(ev.raised_at, alerts.tz, true)}`;
  box.append(h);
  if (ev.clip_url) {
    const video = document.createElement("video");
    video.controls = true;
    video.preload = "metadata";
    video.src = ev.clip_url;
    video.id = "review-clip";
    box.append(video);
  } else {
    box.append(Object.assign(document.createElement("p"), { className: "empty", textContent: t("review.noclip") }));
  }
  const img = document.createElement("img");
  img.src = ev.snapshot_annotated_url;
  img.alt = "";
  img.className = "review-snapshot";
  box.append(img);
  const status = document.createElement("p");
  status.textContent = `${t("fact.status")}: ${t("status." + ev.status)}${ev.reviewed_by ? ` – ${ev.reviewed_by}` : ""}`;
  box.append(status);
  const link = Object.assign(document.createElement("a"), { href: `/api/events/${ev.id}/evidence.zip`, textContent: t("detail.evidence") });
  link.setAttribute("download", "");
  box.append(link);
  if (["supervisor", "admin"].includes(alerts.me?.role)) {
    const form = document.createElement("div");
    form.className = "actions";
    form.innerHTML = `<button type="button" class="confirm" id="rv-confirm"></button>
      <select id="rv-reason"><option value=""></option></select>
      <button type="button" class="dismiss" id="rv-dismiss"></button>`;
    form.querySelector("#rv-confirm").textContent = t("action.confirm");
    form.querySelector("#rv-dismiss").textContent = t("action.dismiss");
    const sel = form.querySelector("#rv-reason");
    sel.options[0].textContent = t("review.reason");
    for (const r of ["false_detection", "permitted", "duplicate", "other"]) sel.append(new Option(t("reason." + r), r));
    form.querySelector("#rv-confirm").addEventListener("click", () => decide("confirm"));
    form.querySelector("#rv-dismiss").addEventListener("click", () => decide("dismiss"));
    box.append(form);
  }
}

async function decide(decision) {
  const ev = rv.items[rv.current];
  if (!ev || !["supervisor", "admin"].includes(alerts.me?.role)) return;
  let reason = null;
  if (decision === "dismiss") {
    reason = $("#rv-reason")?.value || null;
    if (!reason) {
      $("#rv-reason")?.focus(); // choose why first, then D again
      return;
    }
  }
  const updated = await api(`/api/events/${ev.id}/review`, { method: "POST", body: { decision, reason } });
  rv.items[rv.current] = updated;
  upsert(updated);
  renderList();
  pick(rv.current);
}

export function onReviewKey(e) {
  if (e.target.closest("input, textarea, select") || e.ctrlKey || e.metaKey || e.altKey) return;
  const key = e.key.toLowerCase();
  if (key === "j" || e.key === "ArrowDown") pick(rv.current + 1);
  else if (key === "k" || e.key === "ArrowUp") pick(Math.max(0, rv.current - 1));
  else if (e.key === " ") {
    const v = $("#review-clip");
    if (v) v.paused ? v.play() : v.pause();
  } else if (key === "c") decide("confirm");
  else if (key === "d") decide("dismiss");
  else return;
  e.preventDefault();
}

export function initReview() {
  for (const id of ["#review-date", "#review-area", "#review-type", "#review-status"]) {
    $(id).addEventListener("change", loadDay);
  }
  $("#review-area-search").addEventListener("input", (e) => {
    if (fillAreas(e.target.value)) loadDay();
  });
}
