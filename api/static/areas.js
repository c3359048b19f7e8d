// The city's wards, communes and groups as the console shows them: "Phường Bến Thành", searched
// without diacritics ("ben thanh"), listed in Vietnamese order.
import { api } from "/static/api.js";

export const areas = { city: "", byName: new Map(), loaded: null };
const PREFIX = { ward: "Phường", commune: "Xã", special_zone: "Đặc khu" };
const collator = new Intl.Collator("vi", { sensitivity: "base" });

export function fold(text) {
  return (text || "").replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
    .toLowerCase().replace(/\s+/g, " ").trim();
}

// every word of the query starts a word of the name: "ben th" finds "Bến Thành"
export function matches(query, text) {
  const words = fold(text).split(" ");
  return fold(query).split(" ").filter(Boolean).every((q) => words.some((w) => w.startsWith(q)));
}

export const viCompare = (a, b) => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);

export function areaLabel(name) {
  const a = areas.byName.get(name);
  return a ? a.label : name || "";
}

export function loadAreas() {
  areas.loaded ??= api("/api/areas").then((data) => {
    areas.city = data.city;
    for (const a of data.items) areas.byName.set(a.name, { ...a, label: PREFIX[a.kind] ? `${PREFIX[a.kind]} ${a.name}` : a.name });
  });
  return areas.loaded;
}

// a ward is in an area: the ward itself, or a group that holds it
export function inArea(ward, area) {
  return ward === area || Boolean(areas.byName.get(area)?.members.includes(ward));
}

// the areas the caller can filter on: their own wards and groups (everything, city-wide)
export function visibleAreas(query = "") {
  return [...areas.byName.values()]
    .filter((a) => a.visible && (!query || matches(query, a.name) || matches(query, a.label)))
    .sort((a, b) => (a.kind === "group") - (b.kind === "group") || viCompare(a.name, b.name));
}
