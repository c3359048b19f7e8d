"""The office's own training set, from its reviewed incidents, in the Ultralytics YOLO format:
images/{train,val}/*.jpg, labels/{train,val}/*.txt (class cx cy w h, normalised), data.yaml and a
dataset card (README.md).

- Positives: confirmed incidents, and those dismissed for a reason other than a false detection
  (the object was real: permitted, duplicate). Their box and class are the reviewer's
  (`review_label`) where there is one, else the detector's mapped to the office's classes.
- Backgrounds: incidents dismissed as false detections (an empty label file: "nothing here").
- Pictures: the clean snapshot, and up to `frames` frames of the clip taken while the object stood
  there (after it came to rest, before the alert ended): the same object, other light and traffic.
- Split by camera and local day, never by picture: every picture of one incident (and of one
  camera's day) is in the same split, so validation measures new days, not neighbouring frames.
- `blur`: redacted as evidence handed out is (api/redaction.py): the heads and plates of people and
  vehicles that are not the incident's subject blurred; clip frames keep only the subject sharp.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np
from sqlalchemy import select

from api.redaction import picture_redactor
from models import Database
from models.media import MediaStore
from models.schema import Event
from models.vocabulary import DismissReason, LabelClass, ReviewStatus
from streams.video_file import stills

CLASSES = [c.value for c in LabelClass]  # YOLO class ids, in this order
DETECTOR_TO_LABEL = {"car": "car", "motorcycle": "motorcycle", "bicycle": "bicycle", "bus": "bus", "truck": "truck",
                     "person": "person", "chair": "stool_chair", "bench": "stool_chair", "dining table": "table",
                     "suitcase": "goods", "backpack": "garbage_bag", "handbag": "garbage_bag"}
VAL_SHARE = 5  # one camera-day in five goes to validation


@dataclass
class Card:
    images: Counter = field(default_factory=Counter)  # split -> images
    backgrounds: Counter = field(default_factory=Counter)
    classes: Counter = field(default_factory=Counter)  # (split, class) -> boxes
    cameras: Counter = field(default_factory=Counter)  # camera -> images
    first: datetime | None = None
    last: datetime | None = None


def label_of(e: Event) -> tuple[str, list[float]]:
    """The object's class (the office's) and box (camera pixels): the reviewer's, else the detector's."""
    if e.review_label:
        return e.review_label["class_name"], list(e.review_label["bbox"])
    if e.class_name in DETECTOR_TO_LABEL:
        return DETECTOR_TO_LABEL[e.class_name], list(e.bbox)
    return ("garbage_bag" if e.type == "dumping" else "goods"), list(e.bbox)


def split_of(camera_id: str, day: str) -> str:
    key = hashlib.sha256(f"{camera_id}/{day}".encode()).digest()[0]
    return "val" if key % VAL_SHARE == 0 else "train"


def _yolo_line(cls: str, box: list[float], w: int, h: int, fw: int, fh: int) -> str:
    sx, sy = w / fw, h / fh
    x1, y1, x2, y2 = box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy
    return (f"{CLASSES.index(cls)} {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} {(x2 - x1) / w:.6f} "
            f"{(y2 - y1) / h:.6f}")


def _clip_frames(e: Event, media: MediaStore, n: int) -> list[np.ndarray]:
    """Up to n frames of the clip from when the object stood there (after `started_at`)."""
    if not n or not e.clip or e.clip_started_at is None or e.media_purged_at is not None:
        return []
    path = media.path(e.clip)
    if not path.is_file():
        return []
    end = e.ended_at or e.clip_ended_at or e.raised_at
    frames = [img for t, img in stills(str(path), 3 * n)
              if e.started_at <= e.clip_started_at + timedelta(seconds=t) <= end]
    step = max(1, len(frames) // n) if frames else 1
    return frames[::step][:n]


def export_dataset(db: Database, media: MediaStore, out: Path, timezone: str, *, since: datetime | None = None,
                   until: datetime | None = None, frames: int = 2, blur: bool = False,
                   progress: Callable[[int, int], None] | None = None) -> Card:
    """Writes the dataset under `out` (which must not hold one already) and returns its card."""
    tz = ZoneInfo(timezone)
    for split in ("train", "val"):
        (out / "images" / split).mkdir(parents=True, exist_ok=True)
        (out / "labels" / split).mkdir(parents=True, exist_ok=True)
    card = Card()
    with db.session() as s:
        q = select(Event).where(Event.status != ReviewStatus.UNREVIEWED).order_by(Event.raised_at, Event.id)
        if since is not None:
            q = q.where(Event.raised_at >= since)
        if until is not None:
            q = q.where(Event.raised_at < until)
        events = list(s.scalars(q))
        for i, e in enumerate(events):
            if progress:
                progress(i, len(events))
            if e.media_purged_at is not None or not e.snapshot:
                continue
            snap = cv2.imdecode(np.fromfile(media.path(e.snapshot), np.uint8), cv2.IMREAD_COLOR) \
                if media.path(e.snapshot).is_file() else None
            if snap is None:
                continue
            background = e.status == ReviewStatus.DISMISSED and e.review_reason == DismissReason.FALSE_DETECTION
            cls, box = label_of(e)
            split = split_of(e.camera_id, e.raised_at.astimezone(tz).date().isoformat())
            # the snapshot is the alert's frame (its bystanders are known); clip frames are other moments
            pictures = [(snap, "snapshot")] + [(f, "frame") for f in _clip_frames(e, media, frames)]
            redactor = picture_redactor(e) if blur else None
            for k, (image, kind) in enumerate(pictures):
                if redactor is not None:
                    image = redactor(image, kind)
                name = f"{e.camera_id}-{e.id}-{k}"
                cv2.imwrite(str(out / "images" / split / f"{name}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 92])
                h, w = image.shape[:2]
                line = "" if background else _yolo_line(cls, box, w, h, e.frame_width or w, e.frame_height or h)
                (out / "labels" / split / f"{name}.txt").write_text(line + ("\n" if line else ""))
                card.images[split] += 1
                card.cameras[e.camera_id] += 1
                if background:
                    card.backgrounds[split] += 1
                else:
                    card.classes[(split, cls)] += 1
            card.first = min(card.first or e.raised_at, e.raised_at)
            card.last = max(card.last or e.raised_at, e.raised_at)
    _write_card(out, card, timezone, blur)
    return card


def _write_card(out: Path, card: Card, timezone: str, blur: bool) -> None:
    names = "\n".join(f"  {i}: {c}" for i, c in enumerate(CLASSES))
    (out / "data.yaml").write_text(f"path: {out.resolve()}\ntrain: images/train\nval: images/val\nnames:\n{names}\n")
    tz = ZoneInfo(timezone)
    period = (f"{card.first.astimezone(tz):%Y-%m-%d} – {card.last.astimezone(tz):%Y-%m-%d}" if card.first else "–")
    rows = "\n".join(f"| {c} | {card.classes[('train', c)]} | {card.classes[('val', c)]} |" for c in CLASSES
                     if card.classes[("train", c)] or card.classes[("val", c)])
    cams = "\n".join(f"| {cam} | {n} |" for cam, n in sorted(card.cameras.items()))
    (out / "README.md").write_text(f"""# urbanwatch dataset

Exported {datetime.now(tz):%Y-%m-%d %H:%M %Z} from the office's reviewed incidents, {period} ({timezone}).
Split by camera and local day (never one incident in both).
Faces and plates of bystanders blurred: {"yes" if blur else "no"}.

| split | images | backgrounds (dismissed as false detections) |
|---|---|---|
| train | {card.images['train']} | {card.backgrounds['train']} |
| val | {card.images['val']} | {card.backgrounds['val']} |

| class | train boxes | val boxes |
|---|---|---|
{rows or "| – | 0 | 0 |"}

| camera | images |
|---|---|
{cams or "| – | 0 |"}
""")
