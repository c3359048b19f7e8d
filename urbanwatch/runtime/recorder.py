"""Turns rule events and camera status changes into stored, announced records.

Order of work for a new violation: snapshot files written (atomically) -> event and its feed
entry committed in one transaction -> announced. If the database is unavailable, the write is
kept and retried in order; nothing is dropped and nothing is announced before it is stored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from models import Database
from models.cameras import record_status_change
from models.events import NewEvent, announce_update, create_event, end_event, event_by_clip
from models.failed_writes import record_failed_write
from models.media import MediaStore
from models.problems import end_problem, raise_problem
from models.serialize import iso
from models.types import from_epoch
from models.vocabulary import TYPE_WORDS, ClipState
from streams.clips import ClipResult
from streams.frames import Frame
from streams.notify import FeedNotifier
from vision.annotate import annotate, encode_jpeg, format_local_time
from vision.detections import CATEGORY, NO_TRACK, Detections
from vision.static_objects import STATIC_CLASS
from vision.violations import RuleEvent, Violation

from .evidence import Provenance, record_clip, record_snapshots, write_package
from .write_queue import Job, WriteQueue, WriteStats

log = logging.getLogger(__name__)

CATEGORY_LABELS = {"vehicle": "xe / vehicle", "goods": "hàng hoá / goods", "left_object": "vật bỏ lại / left object"}


BYSTANDER_CATEGORIES = ("person", "vehicle")  # whose faces and plates are blurred in evidence handed out


def _bystanders(seen: Detections | None) -> list[dict]:
    """The people and vehicles of the alert's frame (camera pixels), for redaction."""
    if seen is None or not len(seen) or CATEGORY not in seen.data:
        return []
    keep = np.isin(seen.data[CATEGORY], BYSTANDER_CATEGORIES)
    return [{"category": str(c), "class_name": str(n), "box": [round(float(v), 1) for v in box]}
            for c, n, box in zip(seen.data[CATEGORY][keep], seen.class_name[keep], seen.xyxy[keep], strict=True)]


def _evidence_json(evidence: dict) -> dict:
    """Rule evidence for the record: times (seconds since the epoch) as ISO 8601 UTC."""
    out = {}
    for k, val in evidence.items():
        out[k] = iso(from_epoch(val)) if k.endswith("_at") and isinstance(val, (int, float)) else val
    return out


@dataclass
class CameraInfo:
    id: str
    name: str
    address: str  # "Phường Sài Gòn, Thành phố Hồ Chí Minh"
    zone_ids: dict[str, int]  # zone name -> stored zone id
    zone_polygons: dict[str, np.ndarray]  # camera pixels
    zone_kinds: dict[str, str]
    zone_labels: dict[str, str] = field(default_factory=dict)  # zone name -> its display name


ClipRequester = Callable[[str, str, str, float, float], bool]  # camera, clip id, media path, start, end


class Recorder:
    def __init__(
        self,
        db: Database,
        media: MediaStore,
        notifier: FeedNotifier,
        provenance: Provenance,
        request_clip: ClipRequester | None = None,
        worker: str = "worker",
    ):
        self.db = db
        self.media = media
        self.notifier = notifier
        self.provenance = provenance
        self.timezone = provenance.timezone
        self.request_clip = request_clip
        self.cameras: dict[str, CameraInfo] = {}
        self._event_ids: dict[tuple[str, str, int], int] = {}  # (camera, zone, violation id) -> event id
        self.worker = worker
        self._writes = WriteQueue(self._set_aside)
        self.fence = None  # a LeaseKeeper where cameras are leased: every write for a camera checks it

    def _token(self, camera_id: str) -> int | None:
        return self.fence.token(camera_id) if self.fence is not None else None

    @contextmanager
    def _tx(self, camera_id: str, token: int | None):
        """A write for `camera_id`, refused (LeaseLost) if the camera changed hands since `token`
        was taken (when the write was queued): a worker that lost a camera writes nothing for it."""
        with self.db.write() as s:
            if self.fence is not None:
                self.fence.check(s, camera_id, token)
            yield s

    # ------------------------------------------------------------------ inputs
    def add_camera(self, info: CameraInfo) -> None:
        self.cameras[info.id] = info

    def violation_restored(self, camera_id: str, violation: Violation, event_id: int) -> None:
        self._event_ids[(camera_id, violation.zone, violation.id)] = event_id

    def rule_events(self, camera_id: str, frame: Frame | None, events: list[RuleEvent],
                    seen: Detections | None = None) -> None:
        """Raised violations need the frame (for the snapshots); ended ones do not. `seen`: the
        frame's tracked detections, whose people and vehicles are kept with the event (camera
        pixels), so that evidence handed out can blur those who are not its subject."""
        for ev in events:
            if ev.kind == "raised":
                job = self._prepare_raised(camera_id, frame, ev.violation, _bystanders(seen))
                self._writes.put(f"new event on {camera_id}", job)
            else:
                key = (camera_id, ev.violation.zone, ev.violation.id)
                self._writes.put(f"end of an event on {camera_id}", self._ended_job(key, ev.violation))
        self.flush()

    def camera_state(self, camera_id: str, state: str, at: float, detail: str | None) -> None:
        token = self._token(camera_id)

        def job() -> bool:
            with self._tx(camera_id, token) as s:
                return record_status_change(s, camera_id, state, from_epoch(at), detail) is not None

        self._writes.put(f"status of {camera_id} ({state})", job, supersedable=True)
        self.flush()

    def problem_raised(self, camera_id: str, kind: str, started_at: float, raised_at: float,
                       before: np.ndarray | None, after: np.ndarray, details: dict,
                       stored: Callable[[int], None]) -> None:
        """A camera problem (tampering) with its pictures: the reference view and the view now,
        encoded now, written with the problem. `stored` gets the problem's id once it is stored."""
        stem = self.media.new_stem(camera_id, from_epoch(raised_at))
        pictures = {f"{stem}-after.jpg": encode_jpeg(after, 85)}
        if before is not None:
            pictures[f"{stem}-before.jpg"] = encode_jpeg(before, 85)
        token = self._token(camera_id)

        def job() -> bool:
            for path, data in pictures.items():
                self.media.write(path, data)
            with self._tx(camera_id, token) as s:
                problem = raise_problem(s, camera_id, kind, from_epoch(started_at), from_epoch(raised_at),
                                        f"{stem}-before.jpg" if before is not None else None, f"{stem}-after.jpg",
                                        details)
                problem_id = problem.id
            stored(problem_id)
            log.warning("camera %s: %s (problem %d)", camera_id, kind, problem_id,
                        extra={"camera": camera_id})
            return True

        self._writes.put(f"{kind} problem on {camera_id}", job)
        self.flush()

    def problem_ended(self, camera_id: str, kind: str, at: float, reason: str, details: dict) -> None:
        token = self._token(camera_id)

        def job() -> bool:
            with self._tx(camera_id, token) as s:
                return end_problem(s, camera_id, kind, from_epoch(at), reason, details) is not None

        self._writes.put(f"end of the {kind} problem on {camera_id}", job)
        self.flush()

    # ------------------------------------------------------------------ work
    def flush(self) -> None:
        """Runs pending writes in order (see WriteQueue: retried while the database is away, set
        aside when they can never succeed); consoles are woken when something was announced."""
        if self._writes.run():
            self.notifier.publish()

    def _set_aside(self, what: str, error: BaseException) -> None:
        """A dead letter, stored where admins see it (GET /api/system/failed-writes)."""
        try:
            with self.db.write() as s:
                record_failed_write(s, self.worker, what, error)
        except Exception as exc:  # noqa: BLE001 - the log line written by the queue is then all there is
            log.error("could not record the failed write either: %s", exc)

    @property
    def pending(self) -> int:
        return len(self._writes)

    def write_stats(self) -> WriteStats:
        return self._writes.stats()

    def _prepare_raised(self, camera_id: str, frame: Frame, v: Violation, seen: list[dict] | None = None) -> Job:
        satisfied_at = time.time()  # wall clock when the rule fired (after detection)
        cam = self.cameras[camera_id]
        raised = from_epoch(v.raised_at)
        stem = self.media.new_stem(camera_id, raised)
        # Pictures are drawn now, from this frame; writing them, and the event, may be retried.
        sx, sy = frame.scale
        box = (v.bbox[0] * sx, v.bbox[1] * sy, v.bbox[2] * sx, v.bbox[3] * sy)
        poly = cam.zone_polygons.get(v.zone)
        label = CATEGORY_LABELS.get(v.category, v.category)
        if v.class_name != STATIC_CLASS:  # a detector class, with the detector's confidence
            label += f": {v.class_name} {v.confidence:.2f}"
        header = [
            f"{cam.name} ({cam.id}) · {cam.address}",
            f"{format_local_time(v.raised_at, self.timezone)} · {cam.zone_labels.get(v.zone) or v.zone} · "
            f"{TYPE_WORDS['vi'].get(v.type, v.type)}",
        ]
        annotated = annotate(
            frame.image, box, None if poly is None else poly * np.array([sx, sy]), cam.zone_kinds.get(v.zone, ""),
            label, header,
        )
        # The clip is asked for now (the camera keeps only so much video), before anything is stored.
        clip_path, clip_state = f"{stem}-clip.mp4", ClipState.NONE
        clip_start = v.started_at - self.provenance.pre_roll_s
        if self.request_clip is not None and self.request_clip(
            camera_id, stem, clip_path, clip_start, v.raised_at + self.provenance.post_roll_s
        ):
            clip_state = ClipState.RECORDING
        # Pictures are encoded now, from this frame, and written with the event: a full disk then
        # delays the event (retried once space is freed) instead of losing it.
        pictures = {f"{stem}-clean.jpg": encode_jpeg(frame.image), f"{stem}-annotated.jpg": encode_jpeg(annotated)}
        crops = {name: f"{stem}-{name}.jpg" for name in v.crops}
        pictures.update({crops[name]: encode_jpeg(img) for name, img in v.crops.items()})
        clean_path, annotated_path = f"{stem}-clean.jpg", f"{stem}-annotated.jpg"
        new = NewEvent(
            type=v.type,
            camera_id=camera_id,
            zone_id=cam.zone_ids.get(v.zone),
            zone_name=v.zone,
            category=v.category,
            class_name=v.class_name,
            confidence=float(v.confidence),
            bbox=[round(float(c), 1) for c in v.bbox],
            frame_width=frame.native_size[0],
            frame_height=frame.native_size[1],
            track_id=None if v.track_id == NO_TRACK else int(v.track_id),
            started_at=from_epoch(v.started_at),
            raised_at=raised,
            snapshot=clean_path,
            snapshot_annotated=annotated_path,
            details={"rule": v.type, "params": v.params, "rule_satisfied_at": satisfied_at,
                     "evidence": _evidence_json(v.evidence), "crops": crops, "seen": seen or [],
                     "detector": self.provenance.detector()},
            clip=clip_path if clip_state == ClipState.RECORDING else None,
            clip_state=clip_state,
            clip_started_at=from_epoch(clip_start) if clip_state == ClipState.RECORDING else None,
            # objects present since the same frame share a start: the rule's violation id tells them apart
            event_key=f"{camera_id}/{v.type}/{v.zone}/{round(v.started_at * 1000)}/{v.id}",
        )
        key = (camera_id, v.zone, v.id)
        token = self._token(camera_id)

        def job() -> bool:
            for path, data in pictures.items():
                self.media.write(path, data)
            with self._tx(camera_id, token) as s:
                event = create_event(s, new)
                event_id = event.id
                record_snapshots(s, self.media, event)
                write_package(s, self.media, event, self.provenance)
            self._event_ids[key] = event_id
            log.info("event %d: %s on %s/%s (%s)", event_id, v.type, camera_id, v.zone, v.class_name,
                     extra={"event_id": event_id, "camera": camera_id, "zone": v.zone})
            return True

        return job

    def clip_finished(self, result: ClipResult) -> None:
        """A clip is done (or cut short): store its state and hash, rewrite the package, announce."""

        def job() -> bool:
            with self.db.write() as s:
                event = event_by_clip(s, self._clip_path(result))
                if event is None:
                    log.warning("clip %s belongs to no stored event", result.path)
                    return False
                if self.fence is not None:
                    self.fence.check(s, event.camera_id, self._token(event.camera_id))
                record_clip(s, self.media, event, result)
                write_package(s, self.media, event, self.provenance)
                announce_update(s, event)
                return True

        self._writes.put(f"clip {result.clip_id}", job)
        self.flush()

    def _clip_path(self, result: ClipResult) -> str:
        return result.path.resolve().relative_to(self.media.root).as_posix()

    def _ended_job(self, key: tuple[str, str, int], v: Violation) -> Job:
        token = self._token(key[0])

        def job() -> bool:
            event_id = self._event_ids.get(key)
            if event_id is None:
                return False
            with self._tx(key[0], token) as s:
                end_event(s, event_id, from_epoch(v.ended_at or time.time()), v.end_reason or "left")
            del self._event_ids[key]
            return True

        return job
