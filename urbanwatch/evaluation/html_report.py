"""`urbanwatch eval --report DIR`: one HTML page to look at every alert, miss and false alert.

Each entry is the analysed frame (at the alert; for a miss, nearest its due time) with the zones,
the annotated box (green) and the alert's box (red) drawn, cropped around the boxes, with a
thumbnail of the whole frame. The page needs nothing but its folder: images are files beside it,
styles inline, and every text from a ground-truth file is escaped."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from .ground_truth import GroundTruth, GtEvent
from .runner import ClipResult
from .scoring import Alert, iou

# BGR
GT_COLOR = (60, 200, 60)
ALERT_COLOR = (40, 40, 230)
OTHER_COLOR = (0, 165, 255)  # a nearby alert or event that did not match
ZONE_COLORS = {"sidewalk": (0, 200, 255), "no_dumping": (255, 128, 0)}
THUMB_W = 400
CROP_MIN = 240  # crops smaller than this (long side) are enlarged, up to 3x


@dataclass
class Entry:
    kind: str  # "alert", "miss" or "false alert"
    t: float
    image_key: str
    boxes: list[tuple[str, tuple, tuple[int, int, int]]]  # label, xyxy, BGR
    caption: list[str] = field(default_factory=list)


def _closest(candidates: list[tuple[str, tuple, float]], box, due: float | None = None):
    """The candidate (label, bbox, t) overlapping `box` most, then nearest in time."""
    best = max(candidates, key=lambda c: (iou(box, c[1]), -abs(c[2] - due) if due is not None else 0), default=None)
    return best, (iou(box, best[1]) if best else 0.0)


def entries(r: ClipResult) -> list[Entry]:
    gt, out = r.gt, []
    events = {e.id: e for e in gt.events}
    matched_alerts = {m["alert"] for m in r.score.matches}
    matched_events = {m["event"] for m in r.score.matches}
    for m in r.score.matches:
        e, a = events[m["event"]], r.alerts[m["alert"]]
        out.append(Entry("alert", a.t, f"alert:{m['alert']}",
                         [(f"GT {e.id}", e.bbox, GT_COLOR), ("alert", a.bbox, ALERT_COLOR)],
                         [f"{e.type} · event {e.id}", f"alert at {a.t:.1f} s, due {gt.due(e):.1f} s",
                          f"lag {m['lag_s']:+.1f} s · IoU {m['iou']:.2f}"]))
    for e in gt.events:
        if e.id not in matched_events:
            out.append(_miss(gt, e, r.alerts))
    for ai, a in enumerate(r.alerts):
        if ai not in matched_alerts:
            out.append(_false(gt, ai, a))
    return sorted(out, key=lambda x: x.t)


def _miss(gt: GroundTruth, e: GtEvent, alerts: list[Alert]) -> Entry:
    due = gt.due(e)
    same = [(f"alert {a.t:.1f} s", a.bbox, a.t) for a in alerts if a.type == e.type]
    near, ov = _closest(same, e.bbox, due)
    boxes = [(f"GT {e.id}", e.bbox, GT_COLOR)]
    caption = [f"{e.type} · event {e.id}", f"due {due:.1f} s, no matching alert"]
    if near and ov > 0:
        boxes.append((near[0], near[1], OTHER_COLOR))
        caption.append(f"nearest {e.type} alert: {near[2]:.1f} s (lag {near[2] - due:+.1f} s), IoU {ov:.2f}")
    else:
        caption.append(f"no {e.type} alert overlaps the box")
    return Entry("miss", due, f"due:{e.id}", boxes, caption)


def _false(gt: GroundTruth, ai: int, a: Alert) -> Entry:
    same = [(f"GT {e.id}", e.bbox, gt.due(e)) for e in gt.events if e.type == a.type]
    near, ov = _closest(same, a.bbox, a.t)
    boxes = [("alert", a.bbox, ALERT_COLOR)]
    caption = [f"{a.type} · alert at {a.t:.1f} s"]
    if gt.negative:
        caption.append("negative clip: any alert is false")
    elif near and ov > 0:
        boxes.append((near[0], near[1], GT_COLOR))
        caption.append(f"best {near[0]}: IoU {ov:.2f}, lag {a.t - near[2]:+.1f} s")
    else:
        caption.append(f"overlaps no {a.type} event")
    return Entry("false alert", a.t, f"alert:{ai}", boxes, caption)


def _draw(image: np.ndarray, gt: GroundTruth, boxes) -> np.ndarray:
    img = image.copy()
    th = max(1, round(min(img.shape[:2]) / 300))
    for z in gt.zones:
        cv2.polylines(img, [np.int32(np.round(z.polygon))], True, ZONE_COLORS[z.kind], th, cv2.LINE_AA)
    for label, box, color in boxes:
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        cv2.rectangle(img, (x1, y1), (x2, y2), color, th + 1)
        text = label.encode("ascii", "replace").decode()  # Hershey fonts have no other letters
        cv2.putText(img, text, (x1, max(12, y1 - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.4 * th, color, th, cv2.LINE_AA)
    return img


def _crop(img: np.ndarray, boxes) -> np.ndarray:
    h, w = img.shape[:2]
    b = np.array([box for _, box, _ in boxes], dtype=float)
    x1, y1 = b[:, 0].min(), b[:, 1].min()
    x2, y2 = b[:, 2].max(), b[:, 3].max()
    margin = max(32.0, 0.6 * max(x2 - x1, y2 - y1))
    x1, y1 = int(max(0, x1 - margin)), int(max(0, y1 - margin - 16))  # room for the labels
    x2, y2 = int(min(w, x2 + margin)), int(min(h, y2 + margin))
    crop = img[y1:max(y2, y1 + 1), x1:max(x2, x1 + 1)]
    k = min(3.0, CROP_MIN / max(crop.shape[:2]))
    return cv2.resize(crop, None, fx=k, fy=k, interpolation=cv2.INTER_LINEAR) if k > 1 else crop


def _thumb(img: np.ndarray) -> np.ndarray:
    k = THUMB_W / img.shape[1]
    return cv2.resize(img, None, fx=k, fy=k, interpolation=cv2.INTER_AREA) if k < 1 else img


def _jpeg(path: Path, img: np.ndarray) -> None:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise OSError(f"cannot encode {path.name}")
    path.write_bytes(buf.tobytes())


def _score_line(r: ClipResult) -> str:
    s = r.score
    f1 = "–" if s.f1 is None else f"{s.f1:.2f}"
    what = "negative clip" if r.gt.negative else f"{len(r.gt.events)} events"
    return f"{what} · {len(r.alerts)} alerts · TP {s.tp} · FP {s.fp} · FN {s.fn} · F1 {f1}"


STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccc}
.meta,.score{color:#555}.cards{display:flex;flex-wrap:wrap;gap:1em}
figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:.6em;max-width:420px}
figure img{display:block;max-width:400px;margin-bottom:.4em}
figcaption div{font-size:.88em}.kind{font-weight:bold;text-transform:uppercase;font-size:.8em}
.alert .kind{color:#1a7f37}.miss .kind{color:#b35900}.false .kind{color:#c62828}
.legend span{display:inline-block;margin-right:1.2em}.none{color:#888;font-style:italic}
"""


def write_report(results: list[ClipResult], out_dir: Path, title: str = "urbanwatch eval", meta: str = "") -> Path:
    """Writes index.html and its JPEGs into out_dir; returns the page's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    esc = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(title)}</title>",
             f"<style>{STYLE}</style></head><body><h1>{esc(title)}</h1>",
             f"<p class='meta'>{esc(meta)}</p>" if meta else "",
             "<p class='legend'><span style='color:#3cc83c'>■ annotated box</span>"
             "<span style='color:#e62828'>■ alert box</span><span style='color:#ffa500'>■ nearest other</span>"
             "<span style='color:#ffc800'>▭ sidewalk zone</span>"
             "<span style='color:#0080ff'>▭ no_dumping zone</span></p>"]
    for ci, r in enumerate(results):
        parts.append(f"<section><h2>{esc(r.gt.name)}</h2><p class='score'>{esc(_score_line(r))}</p>")
        items = entries(r)
        if not items:
            parts.append("<p class='none'>no alerts, no misses</p>")
        parts.append("<div class='cards'>")
        for n, e in enumerate(items):
            imgs = ""
            image = r.images.get(e.image_key)
            if image is not None:
                drawn = _draw(image, r.gt, e.boxes)
                crop, thumb = f"c{ci:02d}_{n:03d}_crop.jpg", f"c{ci:02d}_{n:03d}_frame.jpg"
                _jpeg(out_dir / crop, _crop(drawn, e.boxes))
                _jpeg(out_dir / thumb, _thumb(drawn))
                at = r.image_t.get(e.image_key)
                alt = f"{r.gt.name} {e.kind} at {at:.1f} s" if at is not None else e.kind
                imgs = (f"<img src='{crop}' alt='{esc(alt, quote=True)}'>"
                        f"<img src='{thumb}' alt='whole frame'>")
                if at is not None:
                    e.caption.append(f"frame shown: {at:.2f} s")
            lines = "".join(f"<div>{esc(c)}</div>" for c in [r.gt.name, *e.caption])
            parts.append(f"<figure class='{e.kind.split()[0]}'>{imgs}<figcaption>"
                         f"<span class='kind'>{esc(e.kind)}</span>{lines}</figcaption></figure>")
        parts.append("</div></section>")
    parts.append("</body></html>")
    page = out_dir / "index.html"
    page.write_text("\n".join(parts), encoding="utf-8")
    return page
