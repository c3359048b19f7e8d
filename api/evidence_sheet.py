"""The evidence sheet for a sanction file: one A4 page that says what was seen, where, when and by
which camera, what the reviewer decided, and the SHA-256 of every evidence file, with a QR code to
the page that checks them again (`/verify/{id}`).

The page is drawn at fixed places on a canvas, not flowed: every block has a height it cannot
outgrow (long notes are cut at three lines), so the sheet is one page whatever the event holds.
Text is set in DejaVu Sans (Debian's fonts-dejavu-core), which has every Vietnamese glyph; the
PDF fonts built into reportlab have none."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np
from sqlalchemy.orm import Session

from models.areas import address, kinds_of
from models.evidence import Check
from models.media import MediaStore
from models.schema import Event, Zone
from models.types import utcnow
from models.vocabulary import TYPE_WORDS
from streams.video_file import stills

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {"Sans": "DejaVuSans.ttf", "Sans-Bold": "DejaVuSans-Bold.ttf", "Mono": "DejaVuSansMono.ttf"}
LANGS = ("vi", "en")


class SheetError(RuntimeError):
    """The sheet cannot be made on this machine (a font is missing)."""


WORDS = {
    "vi": {
        "title": "PHIẾU CHỨNG CỨ VI PHẠM TRẬT TỰ ĐÔ THỊ",
        "subtitle": "Vụ việc số {id} · lập lúc {now}",
        "act": "Hành vi vi phạm", "zone": "Khu vực", "camera": "Camera", "address": "Địa chỉ camera",
        "ward": "Phường/xã", "started": "Bắt đầu", "raised": "Cảnh báo lúc", "ended": "Kết thúc",
        "still": "đang diễn ra", "duration": "Thời lượng", "object": "Đối tượng",
        "confidence": "độ tin cậy", "review": "Kết quả xem xét", "decision": "Quyết định", "reason": "Lý do",
        "note": "Ghi chú", "reviewer": "Người xem xét", "reviewed_at": "Thời điểm xem xét",
        "snapshots": "Ảnh chụp lúc cảnh báo", "clean": "Ảnh gốc", "annotated": "Ảnh có chú thích",
        "strip": "Khung hình từ đoạn phim", "no_clip": "Không có đoạn phim cho vụ việc này.",
        "hashes": "Mã SHA-256 của các tệp chứng cứ (ghi lại khi tạo tệp, kiểm tra lại lúc lập phiếu)",
        "all_intact": "Tất cả {n} tệp nguyên vẹn.",
        "not_intact": "CẢNH BÁO: {bad} trong {n} tệp không còn nguyên vẹn (đã bị thay đổi hoặc thiếu).",
        "no_files": "Không có tệp chứng cứ nào được ghi lại.",
        "scan": "Quét để kiểm tra", "verify_at": "Kiểm tra tệp chứng cứ tại: {url}",
        "footer": "Lập bởi urbanwatch {version} · giờ địa phương {tz} · trang 1/1",
        "unreadable": "Không đọc được ảnh",
        "h": "giờ", "min": "phút", "s": "giây",
    },
    "en": {
        "title": "URBAN-ORDER VIOLATION EVIDENCE SHEET",
        "subtitle": "Incident no. {id} · made {now}",
        "act": "Violation", "zone": "Zone", "camera": "Camera", "address": "Camera address",
        "ward": "Ward/commune", "started": "Started", "raised": "Alert raised", "ended": "Ended",
        "still": "still going on", "duration": "Duration", "object": "Object",
        "confidence": "confidence", "review": "Review", "decision": "Decision", "reason": "Reason",
        "note": "Note", "reviewer": "Reviewer", "reviewed_at": "Reviewed at",
        "snapshots": "Snapshots at the alert", "clean": "Clean snapshot", "annotated": "Annotated snapshot",
        "strip": "Frames from the clip", "no_clip": "There is no clip for this incident.",
        "hashes": "SHA-256 of the evidence files (recorded when each was made, checked again for this sheet)",
        "all_intact": "All {n} files intact.",
        "not_intact": "WARNING: {bad} of {n} files are not intact (tampered or missing).",
        "no_files": "No evidence files were recorded.",
        "scan": "Scan to verify", "verify_at": "Verify the evidence files at: {url}",
        "footer": "Made by urbanwatch {version} · local time {tz} · page 1/1",
        "unreadable": "Picture unreadable",
        "h": "h", "min": "min", "s": "s",
    },
}
STATUSES = {"vi": {"unreviewed": "Chưa xử lý", "confirmed": "Đã xác nhận vi phạm", "dismissed": "Không vi phạm"},
            "en": {"unreviewed": "Not reviewed yet", "confirmed": "Violation confirmed",
                   "dismissed": "Not a violation"}}
REASONS = {"vi": {"false_detection": "Báo sai", "permitted": "Có giấy phép sử dụng tạm thời vỉa hè",
                  "duplicate": "Trùng vụ việc khác", "other": "Lý do khác"},
           "en": {"false_detection": "False detection", "permitted": "Holds a temporary sidewalk-use permit",
                  "duplicate": "Duplicate of another incident", "other": "Other reason"}}
CATEGORIES = {"vi": {"vehicle": "Phương tiện", "goods": "Hàng hoá", "left_object": "Vật bị bỏ lại"},
              "en": {"vehicle": "Vehicle", "goods": "Goods", "left_object": "Left object"}}
CLASSES_VI = {"person": "người", "bicycle": "xe đạp", "car": "ô tô", "motorcycle": "xe máy", "bus": "xe buýt",
              "truck": "xe tải", "backpack": "ba lô", "umbrella": "ô dù", "handbag": "túi xách", "suitcase": "vali",
              "bench": "ghế băng", "chair": "ghế", "dining table": "bàn", "potted plant": "chậu cây",
              "bottle": "chai", "cup": "cốc", "bowl": "bát", "static_object": "vật đứng yên"}
# what each evidence file is, and the words for its state (the verification page uses them too)
KINDS = {"vi": {"snapshot": "Ảnh gốc", "snapshot_annotated": "Ảnh có chú thích", "crop_owner": "Ảnh người để lại",
                "clip": "Đoạn phim", "metadata": "Hồ sơ dữ liệu (JSON)"},
         "en": {"snapshot": "Clean snapshot", "snapshot_annotated": "Annotated snapshot", "crop_owner": "Owner crop",
                "clip": "Clip", "metadata": "Metadata record (JSON)"}}
FILE_STATES = {"vi": {"intact": "nguyên vẹn", "modified": "đã bị thay đổi", "missing": "thiếu"},
               "en": {"intact": "intact", "modified": "tampered", "missing": "missing"}}


def local_time(t: datetime | None, tz: str, lang: str) -> str:
    if t is None:
        return "—"
    lt = t.astimezone(ZoneInfo(tz))
    offset = lt.strftime("%z")
    zone = f"UTC{offset[:3]}:{offset[3:]}"
    return f"{lt:%H:%M:%S} {'ngày ' if lang == 'vi' else ''}{lt:%d/%m/%Y} ({zone})"


def duration(seconds: float, lang: str) -> str:
    w = WORDS[lang]
    s = max(0, int(round(seconds)))
    h, m, s = s // 3600, s % 3600 // 60, s % 60
    parts = ([f"{h} {w['h']}"] if h else []) + ([f"{m} {w['min']}"] if h or m else []) + [f"{s} {w['s']}"]
    return " ".join(parts)


@dataclass(frozen=True)
class Picture:
    caption: str
    image: np.ndarray | None  # BGR; None: the file is missing or unreadable


@dataclass(frozen=True)
class Sheet:
    """Everything the page says, in words already: rendering only places it."""

    lang: str
    event_id: int
    made: str
    timezone: str
    facts: list[tuple[str, str]]
    review: list[tuple[str, str]]
    snapshots: list[Picture]
    strip: list[Picture]
    checks: list[Check]
    verify_url: str
    version: str


def read_picture(path: Path | None, caption: str) -> Picture:
    data = np.fromfile(path, np.uint8) if path is not None and path.is_file() else None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data is not None and data.size else None
    return Picture(caption, image)


STRIP_FRAMES = 4


def zone_label(session: Session, event: Event) -> str:
    """The zone's display name (`label` in its parameters), else its name."""
    zone = session.get(Zone, event.zone_id) if event.zone_id else None
    return ((zone.params or {}).get("label") if zone else None) or event.zone_name


def build(session: Session, event: Event, checks: list[Check], media: MediaStore, *, city: str, timezone: str,
          verify_url: str, version: str, lang: str = "vi",
          redact: Callable[[np.ndarray, str], np.ndarray] | None = None) -> Sheet:
    """The sheet's words and pictures for one event, read now; `redact(image, kind)` blurs the
    bystanders in each picture (kind "snapshot" or "frame")."""
    w, tz = WORDS[lang], timezone
    cam = event.camera
    what = CATEGORIES[lang].get(event.category, event.category)
    cls = CLASSES_VI.get(event.class_name, event.class_name) if lang == "vi" else event.class_name
    end = event.ended_at
    lasted = ((end or event.raised_at) - event.started_at).total_seconds()
    facts = [
        (w["act"], TYPE_WORDS[lang].get(event.type, event.type)),
        (w["object"], f"{what} ({cls}), {w['confidence']} {event.confidence:.0%}"),
        (w["zone"], zone_label(session, event)),
        (w["camera"], f"{cam.name} ({cam.id})" if cam else event.camera_id),
        (w["address"], (cam.address if cam else None) or "—"),
        (w["ward"], address(event.ward, kinds_of(session, [event.ward]).get(event.ward), city)),
        (w["started"], local_time(event.started_at, tz, lang)),
        (w["raised"], local_time(event.raised_at, tz, lang)),
        (w["ended"], local_time(end, tz, lang) if end else w["still"]),
        (w["duration"], duration(lasted, lang) + ("" if end else f" ({w['still']})")),
    ]
    reviewer = event.reviewer
    review = [
        (w["decision"], STATUSES[lang].get(event.status, event.status)),
        (w["reason"], REASONS[lang].get(event.review_reason, event.review_reason) if event.review_reason else "—"),
        (w["note"], event.review_note or "—"),
        (w["reviewer"], f"{reviewer.display_name} ({reviewer.username})" if reviewer else "—"),
        (w["reviewed_at"], local_time(event.reviewed_at, tz, lang)),
    ]

    def file_of(rel: str | None) -> Path | None:
        try:
            return media.path(rel) if rel else None
        except ValueError:
            return None

    snapshots = [read_picture(file_of(event.snapshot), w["clean"]),
                 read_picture(file_of(event.snapshot_annotated), w["annotated"])]
    if redact is not None:
        snapshots = [Picture(p.caption, None if p.image is None else redact(p.image, "snapshot")) for p in snapshots]
    strip = []
    clip = file_of(event.clip)
    if clip is not None and clip.is_file():
        try:
            frames = stills(str(clip), STRIP_FRAMES)
        except Exception:  # noqa: BLE001 - an unreadable clip leaves the strip out, not the sheet
            frames = []
        start = event.clip_started_at
        for t, image in frames:
            when = local_time(start + timedelta(seconds=t), tz, lang).split(" (")[0] if start else f"{t:.1f} s"
            strip.append(Picture(when, image if redact is None else redact(image, "frame")))
    return Sheet(lang, event.id, local_time(utcnow(), tz, lang), tz, facts, review, snapshots, strip, checks,
                 verify_url, version)


# ---------------------------------------------------------------------------- drawing
A4_W, A4_H = 595.28, 841.89
M = 36.0  # margin
W = A4_W - 2 * M
SNAP_H, STRIP_H = 150.0, 78.0  # the pictures' heights when the text leaves room for them
HEADING, MAX_FILES = 22.0, 7
RED, GREY, GREEN = (0.75, 0.05, 0.05), (0.35, 0.35, 0.35), (0.05, 0.45, 0.15)


def register_fonts() -> None:
    """DejaVu Sans into reportlab, once; a clear error where Debian's font package is missing."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    missing = [f for f in FONTS.values() if not (FONT_DIR / f).is_file()]
    if missing:
        raise SheetError(f"the evidence sheet needs the DejaVu fonts ({', '.join(missing)} not in {FONT_DIR}): "
                         "install Debian's fonts-dejavu-core (scripts/system-packages.sh)")
    if "Sans" in pdfmetrics.getRegisteredFontNames():
        return
    for name, file in FONTS.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / file)))


def _jpeg(image: np.ndarray, max_w: int):
    """A picture at about 200 dpi of its printed width: sharp on paper, a small file."""
    from reportlab.lib.utils import ImageReader

    h, w = image.shape[:2]
    if w > max_w:
        image = cv2.resize(image, (max_w, max(1, round(h * max_w / w))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return ImageReader(io.BytesIO(buf.tobytes()))


def _lines(text: str, font: str, size: float, width: float, most: int) -> list[str]:
    from reportlab.lib.utils import simpleSplit

    lines = []
    for para in (text or "—").splitlines() or ["—"]:
        lines += simpleSplit(para, font, size, width) or [""]
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][: max(0, len(lines[-1]) - 2)] + " …"
    return lines


class _Page:
    def __init__(self, canvas):
        self.c = canvas
        self.y = A4_H - M

    def text(self, x: float, y: float, s: str, font="Sans", size=9.0, color=(0, 0, 0)) -> None:
        self.c.setFillColorRGB(*color)
        self.c.setFont(font, size)
        self.c.drawString(x, y, s)

    def heading(self, s: str) -> None:  # HEADING points in all
        self.y -= 16
        self.text(M, self.y, s, "Sans-Bold", 10)
        self.c.setStrokeColorRGB(0.6, 0.6, 0.6)
        self.c.setLineWidth(0.5)
        self.c.line(M, self.y - 3, M + W, self.y - 3)
        self.y -= 6

    def rows(self, rows: list[tuple[str, str]], width: float, label_w: float = 112, most: int = 2) -> None:
        for label, value in rows:
            lines = _lines(value, "Sans", 9, width - label_w, most)
            self.y -= 12
            self.text(M, self.y, label, "Sans", 8.5, GREY)
            for i, line in enumerate(lines):
                if i:
                    self.y -= 11
                self.text(M + label_w, self.y, line)

    def picture(self, p: Picture, x: float, top: float, w: float, h: float, unreadable: str, caption_size=7.5):
        """The picture fitted into the box (its proportions kept), its caption under it."""
        self.c.setStrokeColorRGB(0.75, 0.75, 0.75)
        self.c.setLineWidth(0.5)
        self.c.rect(x, top - h, w, h)
        if p.image is None:
            self.text(x + 6, top - h / 2, unreadable, "Sans", 8, RED)
        else:
            ih, iw = p.image.shape[:2]
            scale = min(w / iw, h / ih)
            dw, dh = iw * scale, ih * scale
            self.c.drawImage(_jpeg(p.image, round(w * 3)), x + (w - dw) / 2, top - h + (h - dh) / 2, dw, dh)
        self.text(x, top - h - 9, p.caption, "Sans", caption_size, GREY)

    def qr(self, url: str, x: float, top: float, size: float) -> None:
        """The QR code as vector squares (sharp at any print size), with its 4-module quiet zone."""
        import segno

        qr = segno.make(url, error="m", micro=False)
        matrix = qr.matrix
        n = len(matrix) + 8
        unit = size / n
        self.c.setFillColorRGB(1, 1, 1)
        self.c.rect(x, top - size, size, size, stroke=0, fill=1)
        self.c.setFillColorRGB(0, 0, 0)
        for r, row in enumerate(matrix):
            col = 0
            while col < len(row):
                if row[col]:
                    start = col
                    while col < len(row) and row[col]:
                        col += 1
                    self.c.rect(x + (start + 4) * unit, top - (r + 5) * unit, (col - start) * unit, unit,
                                stroke=0, fill=1)
                else:
                    col += 1


def render(sheet: Sheet) -> bytes:
    """The sheet as a one-page A4 PDF."""
    from reportlab.pdfgen.canvas import Canvas

    register_fonts()
    w = WORDS[sheet.lang]
    out = io.BytesIO()
    c = Canvas(out, pagesize=(A4_W, A4_H), pageCompression=1)
    c.setTitle(f"{w['title']} – {sheet.event_id}")
    c.setAuthor("urbanwatch")
    c.setSubject(sheet.verify_url)
    page = _Page(c)

    qr_size = 96.0
    page.qr(sheet.verify_url, M + W - qr_size, A4_H - M + 6, qr_size)
    page.text(M + W - qr_size + 8, A4_H - M - qr_size + 2, w["scan"], "Sans", 7, GREY)
    left_w = W - qr_size - 12

    page.y -= 10
    page.text(M, page.y, w["title"], "Sans-Bold", 13)
    page.y -= 14
    page.text(M, page.y, w["subtitle"].format(id=sheet.event_id, now=sheet.made), "Sans", 8.5, GREY)
    page.y -= 4
    page.rows(sheet.facts, left_w)

    page.heading(w["review"])
    page.rows(sheet.review[:2], W)
    page.rows(sheet.review[2:3], W, most=3)
    page.rows(sheet.review[3:], W)

    # the pictures take what the text above and the hashes below leave (long notes shrink them)
    files = sheet.checks[:MAX_FILES]
    below = HEADING + 19 * len(files) + 13 + (M + 24)
    frames = 22 + 4 + 10 if sheet.strip else 22 + 12
    room = page.y - below - frames - (22 + 4 + 12)
    scale = max(0.3, min(1.0, room / (SNAP_H + (STRIP_H if sheet.strip else 0))))
    page.heading(w["snapshots"])
    box_w, box_h = (W - 10) / 2, SNAP_H * scale
    top = page.y - 4
    for i, p in enumerate(sheet.snapshots[:2]):
        page.picture(p, M + i * (box_w + 10), top, box_w, box_h, w["unreadable"])
    page.y = top - box_h - 12

    page.heading(w["strip"])
    if sheet.strip:
        n = len(sheet.strip)
        gap = 6.0
        fw, fh = (W - gap * (n - 1)) / n, STRIP_H * scale
        top = page.y - 4
        for i, p in enumerate(sheet.strip):
            page.picture(p, M + i * (fw + gap), top, fw, fh, w["unreadable"], 7)
        page.y = top - fh - 10
    else:
        page.y -= 12
        page.text(M, page.y, w["no_clip"], "Sans", 8.5, GREY)

    page.heading(w["hashes"])
    bad = sum(1 for ch in sheet.checks if ch.status != "intact")
    states = FILE_STATES[sheet.lang]
    for ch in files:
        page.y -= 11
        page.text(M, page.y, KINDS[sheet.lang].get(ch.kind, ch.kind), "Sans", 8)
        page.text(M + 104, page.y, ch.expected, "Mono", 7.2)
        ok = ch.status == "intact"
        page.text(M + 395, page.y, states[ch.status], "Sans-Bold", 8, GREEN if ok else RED)
        page.y -= 8
        page.text(M + 104, page.y, f"{Path(ch.path).name} · {ch.size:,} B", "Sans", 6.5, GREY)
    page.y -= 13
    if not sheet.checks:
        page.text(M, page.y, w["no_files"], "Sans-Bold", 8.5, RED)
    elif bad:
        page.text(M, page.y, w["not_intact"].format(bad=bad, n=len(sheet.checks)), "Sans-Bold", 8.5, RED)
    else:
        page.text(M, page.y, w["all_intact"].format(n=len(sheet.checks)), "Sans-Bold", 8.5, GREEN)

    page.text(M, M + 10, w["verify_at"].format(url=sheet.verify_url), "Sans", 7.5)
    page.text(M, M, w["footer"].format(version=sheet.version, tz=sheet.timezone), "Sans", 7, GREY)
    c.showPage()
    c.save()
    return out.getvalue()
