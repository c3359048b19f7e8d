"""The evidence package of an event: files, their hashes, and a metadata record that says what
produced them (camera, zone, rule, model and its hash, software), written by the worker."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from models.areas import address, kinds_of
from models.evidence import files_of, record_file, sha256_file
from models.media import MediaStore
from models.schema import Event, Zone
from models.serialize import iso
from models.types import from_epoch
from models.vocabulary import ClipState
from streams.clips import ClipResult

from .. import __version__


@dataclass(frozen=True)
class Provenance:
    """What makes the evidence; the model changes when the registry promotes another (each event
    keeps the one that raised it: `detector()`, stored in its details)."""

    model: str
    model_sha256: str | None
    imgsz: int
    confidence: float
    timezone: str
    pre_roll_s: float
    post_roll_s: float
    city: str = "Thành phố Hồ Chí Minh"  # the address in the evidence names the ward and the city
    model_version: str | None = None  # "v3" from the model registry; None: the configuration's model

    def detector(self) -> dict:
        return {"model": Path(self.model).name, "model_sha256": self.model_sha256,
                "model_version": self.model_version, "imgsz": self.imgsz, "confidence": self.confidence}


def model_digest(model: str) -> str | None:
    """SHA-256 of the model file (of all files, in order, for a model folder such as OpenVINO's)."""
    path = Path(model)
    if path.is_file():
        return sha256_file(path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []
    if not files:
        return None
    h = hashlib.sha256()  # one digest over the folder's files, in name order
    for f in files:
        with open(f, "rb") as fh:
            h.update(hashlib.file_digest(fh, "sha256").digest())
    return h.hexdigest()


def _times(t: datetime | None, tz: str) -> dict | None:
    if t is None:
        return None
    return {"utc": iso(t), "local": t.astimezone(ZoneInfo(tz)).isoformat(timespec="seconds")}


def clip_video(path: Path) -> dict | None:
    """The clip's picture size and codec, as written (the main stream's, when clips come from it)."""
    import av

    try:
        with av.open(str(path)) as c:
            ctx = c.streams.video[0].codec_context
            return {"width": ctx.width, "height": ctx.height, "codec": ctx.name}
    except (OSError, IndexError, av.error.FFmpegError):
        return None


def metadata(session: Session, event: Event, prov: Provenance, media: MediaStore | None = None) -> dict:
    cam = event.camera
    clip = media.path(event.clip) if media is not None and event.clip else None
    zone = session.get(Zone, event.zone_id) if event.zone_id else None
    kind = kinds_of(session, [event.ward]).get(event.ward)
    return {
        "schema": "urbanwatch-evidence/1",
        "event": {"id": event.id, "type": event.type, "category": event.category, "class_name": event.class_name,
                  "confidence": round(event.confidence, 3), "bbox": event.bbox,
                  "frame_size": [event.frame_width, event.frame_height], "track_id": event.track_id},
        "camera": {"id": cam.id, "name": cam.name, "source": cam.source},
        # the administrative address as it is since 1 July 2025: ward or commune, then the city
        "place": {"ward": event.ward, "kind": kind, "city": prov.city, "address": address(event.ward, kind, prov.city)},
        "zone": {"name": event.zone_name, "kind": zone.kind if zone else None,
                 "polygon": zone.polygon if zone else None},
        "rule": {"type": (event.details or {}).get("rule", event.type), "params": (event.details or {}).get("params")},
        "evidence": (event.details or {}).get("evidence", {}),
        "times": {"timezone": prov.timezone, "object_appeared": _times(event.started_at, prov.timezone),
                  "alert_raised": _times(event.raised_at, prov.timezone),
                  "clip_start": _times(event.clip_started_at, prov.timezone),
                  "clip_end": _times(event.clip_ended_at, prov.timezone)},
        "clip": {"state": event.clip_state, "pre_roll_s": prov.pre_roll_s, "post_roll_s": prov.post_roll_s,
                 "video": clip_video(clip) if clip is not None and clip.is_file() else None},
        # the model that raised the event (kept with it), not the one running when the package is rewritten
        "detector": (event.details or {}).get("detector") or prov.detector(),
        "software": {"name": "urbanwatch", "version": __version__},
        "files": [{"kind": f.kind, "path": Path(f.path).name, "sha256": f.sha256, "size": f.size}
                  for f in files_of(session, event.id) if f.kind != "metadata"],
    }


def write_package(session: Session, media: MediaStore, event: Event, prov: Provenance) -> None:
    """(Re)writes the event's metadata record and records its hash, after the files it lists."""
    rel = event.snapshot.replace("-clean.jpg", "-metadata.json")
    data = json.dumps(metadata(session, event, prov, media), ensure_ascii=False, indent=2).encode()
    media.write(rel, data)
    record_file(session, media, event.id, "metadata", rel)


def record_snapshots(session: Session, media: MediaStore, event: Event) -> None:
    record_file(session, media, event.id, "snapshot", event.snapshot)
    record_file(session, media, event.id, "snapshot_annotated", event.snapshot_annotated)
    for name, path in (event.details or {}).get("crops", {}).items():
        record_file(session, media, event.id, f"crop_{name}", path)


def record_clip(session: Session, media: MediaStore, event: Event, result: ClipResult | None) -> None:
    """A finished clip: its state and times on the event, its hash in the package."""
    if result is None or result.start_t is None or not media.path(event.clip).is_file():
        event.clip_state = ClipState.FAILED
        return
    event.clip_state = ClipState.COMPLETE if result.complete else ClipState.INCOMPLETE
    event.clip_started_at, event.clip_ended_at = from_epoch(result.start_t), from_epoch(result.end_t)
    record_file(session, media, event.id, "clip", event.clip)


def recover_clip(session: Session, media: MediaStore, event: Event) -> None:
    """A clip whose worker stopped mid-write: fragmented MP4 plays up to its last fragment."""
    import av

    path = media.path(event.clip)
    try:
        with av.open(str(path)) as c:
            frames = sum(1 for _ in c.decode(video=0))
    except (OSError, av.error.FFmpegError):
        frames = 0
    if frames == 0:
        event.clip_state = ClipState.FAILED
        return
    event.clip_state = ClipState.INCOMPLETE
    record_file(session, media, event.id, "clip", event.clip)
