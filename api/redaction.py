"""Evidence that leaves the system, redacted (vision/redaction.py says what is blurred and its
limits): pictures, the clip, the evidence sheet's frames. The stored originals are never changed;
handing one out is for admins, with a reason, and audited."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from models.schema import Event
from vision.redaction import Box, keep_region, redact

REDACTED_KINDS = ("snapshot", "snapshot_annotated", "clip")  # the owner's crop is the subject: kept
JPEG_QUALITY = 90


def subject_boxes(e: Event) -> list[Box]:
    """The incident's own boxes, camera pixels: the object (the vehicle, the stall, the bag) and,
    for a left object, the owner as seen when it was put down."""
    boxes = [tuple(e.bbox)]
    owner = ((e.details or {}).get("evidence") or {}).get("owner_box")
    if owner:
        boxes.append(tuple(owner))
    return boxes


def seen_of(e: Event) -> list[tuple[str, Box]] | None:
    """The people and vehicles the detector saw in the alert's frame (camera pixels); None for an
    event stored before they were kept (then everything outside the subject is blurred)."""
    seen = (e.details or {}).get("seen")
    return None if seen is None else [(s["category"], tuple(s["box"])) for s in seen]


def _scaled(boxes, sx: float, sy: float):
    return [_scale(b, sx, sy) for b in boxes]


def _scale(b, sx: float, sy: float) -> Box:
    return b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy


def picture_redactor(e: Event) -> Callable[[np.ndarray, str], np.ndarray]:
    """Redacts a picture of this event: `kind` "snapshot" (the alert's frame: bystanders' heads and
    plates) or "frame" (any other moment: everything outside the subject)."""
    fw, fh = e.frame_width or 0, e.frame_height or 0

    def apply(image: np.ndarray, kind: str) -> np.ndarray:
        h, w = image.shape[:2]
        sx, sy = (w / fw, h / fh) if fw and fh else (1.0, 1.0)
        keep = _scaled(subject_boxes(e), sx, sy)
        seen = seen_of(e) if kind == "snapshot" else None
        return redact(image, None if seen is None else [(c, _scale(b, sx, sy)) for c, b in seen], keep)

    return apply


def redacted_jpeg(path: Path, e: Event) -> bytes | None:
    """A stored snapshot, redacted, as JPEG bytes (None when it cannot be read)."""
    image = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return None
    ok, buf = cv2.imencode(".jpg", picture_redactor(e)(image, "snapshot"), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    return buf.tobytes() if ok else None


def redacted_clip(src: Path, dst: Path, e: Event, timeout_s: float = 300.0) -> None:
    """The clip with everything outside the subject's region blurred in every frame (people move:
    the boxes of one frame do not hold for the others), encoded again with ffmpeg."""
    cap = cv2.VideoCapture(str(src))
    w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    cap.release()
    if not w or not h:
        raise ValueError(f"{src.name}: not a readable video")
    fw, fh = e.frame_width or w, e.frame_height or h
    x, y, kw, kh = keep_region(_scaled(subject_boxes(e), w / fw, h / fh), w, h)
    graph = (f"[0:v]split[a][b];[a]scale=iw/8:ih/8,boxblur=3,scale={w}:{h}[blurred];"
             f"[b]crop={kw}:{kh}:{x}:{y}[kept];[blurred][kept]overlay={x}:{y},format=yuv420p[out]")
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(src), "-filter_complex", graph,
           "-map", "[out]", "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-movflags", "+faststart",
           str(dst)]
    subprocess.run(cmd, check=True, timeout=timeout_s, capture_output=True)
