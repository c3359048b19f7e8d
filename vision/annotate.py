"""Evidence pictures: the annotated snapshot (box, zone outline, camera name, local time)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

# Vietnamese names need a font with its diacritics; OpenCV's Hershey fonts have none.
_FONT_CANDIDATES = [
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
]

VIOLATION_COLOR = (0, 0, 255)  # BGR red
ZONE_COLORS = {"sidewalk": (0, 200, 255), "no_dumping": (255, 128, 0)}


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.ImageFont:
    candidates = list(_FONT_CANDIDATES)
    try:  # matplotlib (an Ultralytics dependency) ships DejaVu too
        import matplotlib

        candidates.append(Path(matplotlib.__file__).parent / "mpl-data/fonts/ttf/DejaVuSans-Bold.ttf")
    except ImportError:
        pass
    for path in candidates:
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def format_local_time(t: float, tz: str) -> str:
    return datetime.fromtimestamp(t, ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S %Z")


def annotate(
    image: np.ndarray,
    box: tuple[float, float, float, float],
    zone_polygon: np.ndarray | None,
    zone_kind: str,
    label: str,
    header_lines: list[str],
) -> np.ndarray:
    """A copy of the BGR image with the zone outline, the object's box and label, and a header band.

    Coordinates are in the image's own pixels.
    """
    out = image.copy()
    h, w = out.shape[:2]
    thick = max(2, round(min(h, w) / 240))
    if zone_polygon is not None:
        pts = np.round(np.asarray(zone_polygon)).astype(np.int32).reshape(-1, 1, 2)
        overlay = out.copy()
        cv2.fillPoly(overlay, [pts], ZONE_COLORS.get(zone_kind, (255, 255, 0)))
        cv2.addWeighted(overlay, 0.18, out, 0.82, 0, dst=out)
        cv2.polylines(out, [pts], True, ZONE_COLORS.get(zone_kind, (255, 255, 0)), thick, cv2.LINE_AA)
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    cv2.rectangle(out, (x1, y1), (x2, y2), VIOLATION_COLOR, thick + 1, cv2.LINE_AA)

    font_size = max(12, round(h / 36))
    font = _font(font_size)
    pil = Image.fromarray(cv2.cvtColor(out, cv2.COLOR_BGR2RGB))
    draw = ImageDraw.Draw(pil)
    # header band with camera and time, on a dark strip so it reads on any picture
    line_h = font_size + 6
    band_h = line_h * len(header_lines) + 6
    draw.rectangle([0, 0, w, band_h], fill=(0, 0, 0))
    for i, line in enumerate(header_lines):
        draw.text((6, 4 + i * line_h), line, font=font, fill=(255, 255, 255))
    # object label above the box (below it when the box touches the header)
    tw = draw.textlength(label, font=font)
    ly = y1 - line_h if y1 - line_h > band_h else min(y2 + 2, h - line_h)
    draw.rectangle([x1, ly, x1 + tw + 8, ly + line_h], fill=(255, 0, 0))
    draw.text((x1 + 4, ly + 2), label, font=font, fill=(255, 255, 255))
    return cv2.cvtColor(np.asarray(pil), cv2.COLOR_RGB2BGR)


def encode_jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()
