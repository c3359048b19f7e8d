// Console texts. Vietnamese is the default; English for visitors and vendors.
export const MESSAGES = {
  vi: {
    "app.subtitle": "Giám sát trật tự đô thị",
    "conn.connecting": "Đang kết nối…",
    "conn.live": "Trực tuyến",
    "conn.offline": "Mất kết nối – đang thử lại",
    "alerts.title": "Cảnh báo trực tiếp",
    "alerts.empty": "Chưa có cảnh báo nào.",
    "alerts.more": "Xem thêm",
    "filter.type": "Loại",
    "filter.camera": "Camera",
    "filter.all": "Tất cả",
    "type.encroachment": "Lấn chiếm vỉa hè",
    "type.dumping": "Đổ rác trái phép",
    "state.active": "Đang diễn ra",
    "state.ended": "Đã kết thúc",
    "status.unreviewed": "Chưa xử lý",
    "status.confirmed": "Đã xác nhận",
    "status.dismissed": "Đã bác bỏ",
    "cameras.title": "Camera",
    "cameras.summary": "{online}/{total} trực tuyến",
    "camera.online": "Trực tuyến",
    "camera.offline": "Mất tín hiệu",
    "camera.connecting": "Đang kết nối",
    "camera.unknown": "Không rõ",
    "camera.disabled": "Tắt",
    "camera.fps": "{fps} khung/giây phân tích",
    "camera.since": "từ {time}",
    "detail.annotated": "Ảnh có chú thích",
    "detail.clean": "Ảnh gốc",
    "fact.id": "Mã sự kiện",
    "fact.camera": "Camera",
    "fact.district": "Quận / Phường",
    "fact.zone": "Khu vực",
    "fact.object": "Đối tượng",
    "fact.started": "Bắt đầu đứng yên",
    "fact.raised": "Thời điểm cảnh báo",
    "fact.ended": "Kết thúc",
    "fact.status": "Trạng thái xử lý",
    "category.vehicle": "Phương tiện",
    "category.goods": "Hàng hoá",
    "category.left_object": "Vật bị bỏ lại",
    "detail.owner": "Người/xe để lại vật",
    "toast.camera": "Camera {name}: {state}",
  },
  en: {
    "app.subtitle": "Urban order monitoring",
    "conn.connecting": "Connecting…",
    "conn.live": "Live",
    "conn.offline": "Disconnected – retrying",
    "alerts.title": "Live alerts",
    "alerts.empty": "No alerts yet.",
    "alerts.more": "Load more",
    "filter.type": "Type",
    "filter.camera": "Camera",
    "filter.all": "All",
    "type.encroachment": "Sidewalk encroachment",
    "type.dumping": "Illegal dumping",
    "state.active": "Ongoing",
    "state.ended": "Ended",
    "status.unreviewed": "Unreviewed",
    "status.confirmed": "Confirmed",
    "status.dismissed": "Dismissed",
    "cameras.title": "Cameras",
    "cameras.summary": "{online}/{total} online",
    "camera.online": "Online",
    "camera.offline": "Offline",
    "camera.connecting": "Connecting",
    "camera.unknown": "Unknown",
    "camera.disabled": "Disabled",
    "camera.fps": "{fps} fps analysed",
    "camera.since": "since {time}",
    "detail.annotated": "Annotated snapshot",
    "detail.clean": "Original snapshot",
    "fact.id": "Event id",
    "fact.camera": "Camera",
    "fact.district": "District / ward",
    "fact.zone": "Zone",
    "fact.object": "Object",
    "fact.started": "At rest since",
    "fact.raised": "Alert raised",
    "fact.ended": "Ended",
    "fact.status": "Review status",
    "category.vehicle": "Vehicle",
    "category.goods": "Goods",
    "category.left_object": "Left object",
    "detail.owner": "Who left it",
    "toast.camera": "Camera {name}: {state}",
  },
};

let current = localStorage.getItem("urbanwatch.lang") || "vi";

export function lang() {
  return current;
}

export function setLang(l) {
  current = MESSAGES[l] ? l : "vi";
  localStorage.setItem("urbanwatch.lang", current);
  document.documentElement.lang = current;
}

export function t(key, params = {}) {
  const text = MESSAGES[current][key] ?? MESSAGES.vi[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => String(params[k] ?? ""));
}

export function translatePage(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
}
