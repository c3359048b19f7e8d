"""A worker process: reads its cameras, runs the detector and the zone rules, stores events.

One detector per process serves all of the process's cameras. Each camera is analysed at its
detect fps on the newest frame available; cameras are served earliest-due first, so when the
detector cannot keep up every camera slows down alike and nothing queues.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection

import cv2
import numpy as np

from models import Database
from models.areas import address
from models.cameras import active_zones, update_health, zones_version
from models.events import active_events, announce_update, end_event, recording_events
from models.leases import LeaseLost
from models.media import MediaStore
from models.problems import accepted_among, open_problems
from models.suppressions import live_for, record_hits
from models.types import from_epoch, utcnow
from streams.camera import CameraSource
from streams.health import CameraState
from streams.notify import FeedNotifier
from vision.analyzer import CameraAnalyzer
from vision.annotate import encode_jpeg
from vision.detections import NO_TRACK
from vision.detector import YoloDetector
from vision.hard_negatives import HardNegatives, Signature, Suppression
from vision.violations import Violation

from ..config import CameraConfig, Settings
from .build import build_analyzer, build_recording, build_rule, build_source
from .detection import Batch, FrameJob, FrameResult, finish, prepare
from .detection import run as run_detector
from .detector_stats import DetectorStats
from .evidence import Provenance, recover_clip, write_package
from .leasing import LeaseKeeper, worker_id
from .model_choice import ModelChoice, configured_model, current_models, load_detector
from .recorder import CameraInfo, Recorder
from .shadow import Shadow
from .tampering import TamperWatch

log = logging.getLogger(__name__)

HEALTH_EVERY_S = 2.0
MAX_BATCH_CAMERAS = 1  # frames per batch: small batches keep every detector thread fed
CLIP_MARGIN_S = 30.0
LIVE_PICTURE_EVERY_S = 5.0
REPORTED_STATES = (CameraState.ONLINE, CameraState.OFFLINE)


@dataclass
class CameraRun:
    config: CameraConfig
    source: CameraSource
    analyzer: CameraAnalyzer
    interval: float
    zones: list[dict]  # as stored; the rules follow them
    zones_version: int
    next_due: float = 0.0
    last_seq: int = 0
    reported: str | None = None  # last state stored for the console
    live_written: float = 0.0  # when the latest picture for the camera grid was written
    recording: CameraSource | None = None  # the main stream, when clips come from it
    failures: int = 0  # frames whose analysis raised since the last one logged
    failure_logged: float = 0.0
    tampering: TamperWatch | None = None
    paused: bool = False  # the camera was moved: its zones no longer fit, its rules wait
    memory: HardNegatives = field(default_factory=HardNegatives)  # what reviewers dismissed as false detections

    @property
    def clips(self) -> CameraSource:
        """The stream incident clips are cut from."""
        return self.recording or self.source

    @property
    def sources(self) -> list[CameraSource]:
        return [self.source] + ([self.recording] if self.recording else [])


class Worker:
    def __init__(self, settings: Settings, camera_ids: list[str], name: str = "worker", leases: bool = False,
                 index: int = 0):
        """`camera_ids`: the cameras it serves; with `leases`, those it may serve: it takes its fair
        share of them from the camera leases, and gives them up and takes others as workers come and go."""
        self.settings = settings
        self.name = name
        self.cameras = [settings.camera(cid) for cid in camera_ids]
        self.db = Database(settings.storage.resolved_database_url)
        self.notifier = FeedNotifier(settings.storage.redis_url)
        det, ev = settings.detector, settings.evidence
        cpu = det.device == "cpu"
        self._detector_threads = 1 if cpu else 0
        self.model, self.detector = self._first_model()
        provenance = Provenance(self.model.path, self.model.sha256, det.imgsz, det.confidence, settings.timezone,
                                ev.pre_roll_s, ev.post_roll_s, settings.areas.city, self.model.version)
        self.media = MediaStore(settings.storage.resolved_media_dir)
        self.recorder = Recorder(self.db, self.media, self.notifier, provenance,
                                 self._request_clip if ev.clips else None, worker=name)
        self.detector_stats = DetectorStats(name)
        # One thread more than cores: while one thread holds the interpreter (cropping, planning),
        # the others keep every core in the network (measured: +6 % runs/s on 2 cores).
        threads = min(os.cpu_count() or 1, 4) + 1 if cpu and self.detector.concurrent else 1
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="detector")
        self.pipeline = threads + 4  # batches waiting their turn: a detector thread never waits for Python
        self.runs: list[CameraRun] = []
        # models change without a restart: loaded beside the running one, then swapped between batches
        self._loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model-loader")
        self._loading: tuple[str, ModelChoice, Future] | None = None  # ("live" | "shadow", model, load)
        self._refused: set[tuple[str, str | None]] = set()  # models that would not load: not tried again
        self._serial = threading.Lock()  # a detector that cannot run in several threads at once
        self.shadow: Shadow | None = None
        self.keeper: LeaseKeeper | None = None
        if leases:
            self.keeper = LeaseKeeper(self.db, worker_id(index), [c.id for c in self.cameras if c.enabled],
                                      self._measure_capacity())
            self.recorder.fence = self.keeper
            self.name = f"{name} ({self.keeper.worker})"

    def _measure_capacity(self) -> float:
        """Detector images a second on this machine: a worker's fair share of cameras follows it."""
        size = self.settings.detector.imgsz
        images = [np.zeros((size, size, 3), np.uint8)] * 2
        started = time.perf_counter()
        for _ in range(2):
            self.detector.detect(images)
        return round(4 / max(1e-3, time.perf_counter() - started), 2)

    # ------------------------------------------------------------------ models
    def _load(self, choice: ModelChoice) -> YoloDetector:
        # On a CPU, several single-threaded runs of the network at once use the cores better than
        # one run spread over them (measured: 83 against 50 images/s on 2 cores at 320 pixels).
        detector = load_detector(self.settings, choice, threads=self._detector_threads)
        detector.warmup()
        return detector

    def _first_model(self) -> tuple[ModelChoice, YoloDetector]:
        """The registry's live model; the configuration's if none is live or it will not load (a
        worker must start even when the promoted file is missing on this node)."""
        try:
            choice = current_models(self.db, self.settings)[0]
        except Exception as exc:  # noqa: BLE001 - a database that is down must not keep the cameras dark
            log.error("%s: could not read the model registry (%s); running the configured model", self.name, exc)
            choice = configured_model(self.settings)
        if choice.version is not None:
            try:
                return choice, self._load(choice)
            except Exception as exc:  # noqa: BLE001
                log.error("%s: the live model %s (%s) does not load: %s; running the configured model instead",
                          self.name, choice.version, choice.path, exc)
                self._refused = {(choice.path, choice.sha256)}
                choice = configured_model(self.settings)
        return choice, self._load(choice)

    def _follow_models(self) -> None:
        """The registry's live and shadow models, followed without a restart: a new one is loaded
        (and warmed up) in the background while the running one serves, then swapped between batches."""
        if self._loading is not None:
            role, choice, future = self._loading
            if not future.done():
                return
            self._loading = None
            try:
                detector = future.result()
            except Exception as exc:  # noqa: BLE001 - a bad file must not stop the cameras
                self._refused.add((choice.path, choice.sha256))
                log.error("%s: model %s (%s) does not load: %s; staying with %s", self.name, choice.version,
                          choice.path, exc, self.model.version or self.model.name)
                return
            if role == "live":
                self._use(choice, detector)
            else:
                self.shadow = Shadow(self.settings, choice, detector, self.db, self.name)
                log.info("%s: shadow model %s on %.0f %% of frames", self.name, choice.version, choice.share * 100)
            return
        running, shadow = current_models(self.db, self.settings)
        if (running.path, running.sha256) != (self.model.path, self.model.sha256):
            if (running.path, running.sha256) not in self._refused:
                self._loading = ("live", running, self._loader.submit(self._load, running))
            return
        if shadow is None or (shadow.path, shadow.sha256) in self._refused:
            if self.shadow is not None:
                log.info("%s: shadow model %s stopped", self.name, self.shadow.choice.version)
                self.shadow = None
        elif self.shadow is None or self.shadow.choice != shadow:
            self._loading = ("shadow", shadow, self._loader.submit(self._load, shadow))

    def _use(self, choice: ModelChoice, detector: YoloDetector) -> None:
        """From the next batch on, `detector` serves; batches already running finish with the old one.
        Events raised from now on name the new model in their evidence."""
        old = self.model
        self.model, self.detector = choice, detector
        self.recorder.provenance = replace(self.recorder.provenance, model=choice.path, model_sha256=choice.sha256,
                                           model_version=choice.version)
        log.warning("%s: now detecting with %s (%s), was %s", self.name, choice.version or "the configured model",
                    choice.name, old.version or old.name)

    # ------------------------------------------------------------------ clips
    def _keep_s(self, zones: list[dict]) -> float:
        """Video each camera keeps: the pre-roll, plus the longest time a rule waits before alerting
        (a clip starts pre-roll before the object appeared), plus a margin for the owner to leave."""
        if not self.settings.evidence.clips:
            return 0.0
        longest = max((z["params"].get("dwell_s") or z["params"].get("unattended_s") or 0 for z in zones), default=0)
        return self.settings.evidence.pre_roll_s + longest + CLIP_MARGIN_S

    def _request_clip(self, camera_id: str, clip_id: str, rel_path: str, start_t: float, end_t: float) -> bool:
        run = next((r for r in self.runs if r.config.id == camera_id), None)
        return run is not None and run.clips.record(clip_id, self.media.path(rel_path), start_t, end_t)

    def _collect_clips(self, now: float) -> None:
        for run in self.runs:
            for result in run.clips.finished_clips(now):
                self.recorder.clip_finished(result)

    # ------------------------------------------------------------------ set-up
    def _stored_zones(self, camera_id: str) -> tuple[list[dict], dict[str, int], int]:
        """The camera's zones as the database has them (the console may have edited them)."""
        with self.db.session() as s:
            rows = active_zones(s, camera_id)
            version = zones_version(s, camera_id)
            zones = [{"name": z.name, "kind": z.kind, "polygon": z.polygon, "params": z.params} for z in rows]
            return zones, {z.name: z.id for z in rows}, version

    def _start_cameras(self) -> None:
        if self.keeper is not None:
            return  # leased cameras start as their leases are taken (_follow_leases)
        for cam in self.cameras:
            if cam.enabled:
                self._start_camera(cam)

    def _start_camera(self, cam: CameraConfig) -> None:
        run = self._camera_run(cam, time.time())
        for source in run.sources:
            source.start()
        self.runs.append(run)

    def _stop_camera(self, camera_id: str) -> None:
        """The camera is another worker's now: stop reading it. What was still in flight for it is
        refused at write time (its lease token is gone); its open events stay open for the new holder."""
        run = next((r for r in self.runs if r.config.id == camera_id), None)
        if run is None:
            return
        self.runs.remove(run)
        for source in run.sources:
            for result in source.stop(timeout=2):
                self.recorder.clip_finished(result)
        self.recorder.cameras.pop(camera_id, None)
        if self.shadow is not None:
            self.shadow.zones_changed(camera_id)

    def _follow_leases(self) -> None:
        """The lease thread's changes, applied in order: lost cameras stopped, gained ones started;
        and leases that were not renewed in time (the lease thread waiting on a slow or cut-off
        database) given up here at once."""
        expired = self.keeper.expire_locally()
        for step in [*self.keeper.changes(), expired]:
            for cid in step.lost:
                self._stop_camera(cid)
            for cid in step.gained:
                if any(r.config.id == cid for r in self.runs) or self.keeper.token(cid) is None:
                    continue
                try:
                    self._start_camera(self.settings.camera(cid))
                except Exception:  # noqa: BLE001 - one camera that will not start must not stop the others
                    log.exception("%s: could not start camera %s", self.name, cid)

    def _camera_run(self, cam: CameraConfig, now: float) -> CameraRun:
        """A camera as stored (its zones, and its events and problems still open), not started yet."""
        zones, ids, version = self._stored_zones(cam.id)
        keep_s = self._keep_s(zones)
        memory = HardNegatives()
        analyzer = build_analyzer(self.settings, cam, zones, memory)
        run = CameraRun(cam, build_source(self.settings, cam, keep_s), analyzer,
                        interval=1.0 / cam.detect.fps, zones=zones, zones_version=version, next_due=now,
                        recording=build_recording(self.settings, cam, keep_s),
                        tampering=TamperWatch(cam.id, self.recorder) if cam.tampering else None, memory=memory)
        self.recorder.add_camera(self._camera_info(cam, zones, ids))
        self._restore(run, now)
        return run

    def _camera_info(self, cam: CameraConfig, zones: list[dict], zone_ids: dict[str, int]) -> CameraInfo:
        return CameraInfo(
            id=cam.id,
            name=cam.name,
            address=address(cam.ward, self.settings.areas.unit_kind(cam.ward), self.settings.areas.city),
            zone_ids=zone_ids,
            zone_polygons={z["name"]: np.asarray(z["polygon"], np.float32) for z in zones},
            zone_kinds={z["name"]: z["kind"] for z in zones},
            zone_labels={z["name"]: z["params"].get("label") or z["name"] for z in zones},
        )

    def _follow_zones(self, now: float) -> None:
        """Zones drawn in the console apply without a restart: unchanged zones keep their rule
        (and its state); changed or removed ones end their active events."""
        with self.db.session() as s:
            versions = {r.config.id: zones_version(s, r.config.id) for r in self.runs}
        for run in self.runs:
            if versions[run.config.id] == run.zones_version:
                continue
            zones, ids, version = self._stored_zones(run.config.id)
            ended = []
            if not run.paused:  # a paused camera has no rules now: they are built when it resumes
                old = {json.dumps(z, sort_keys=True): r for z, r in zip(run.zones, run.analyzer.rules, strict=True)}
                rules = [old.get(json.dumps(z, sort_keys=True)) or build_rule(self.settings, z, run.memory)
                         for z in zones]
                ended = run.analyzer.set_rules(rules, now)
            run.zones, run.zones_version = zones, version
            if self.shadow is not None:
                self.shadow.zones_changed(run.config.id)
            run.clips.set_keep(self._keep_s(zones))
            if run.analyzer.scheduler is not None:
                run.analyzer.scheduler.set_zones([z["polygon"] for z in zones])
            self.recorder.add_camera(self._camera_info(run.config, zones, ids))
            if ended:
                self.recorder.rule_events(run.config.id, None, ended)
            log.info("%s: %s now has zones %s", self.name, run.config.id, ", ".join(z["name"] for z in zones) or "-")

    def _follow_suppressions(self) -> None:
        """Suppressions added and removed in the console apply within HEALTH_EVERY_S (one query for
        all the worker's cameras); what they held back since the last call is counted on them."""
        hits = {sid: (count, from_epoch(t)) for run in self.runs for sid, (count, t) in run.memory.take_hits().items()}
        if hits:
            with self.db.write() as s:
                record_hits(s, hits)
        with self.db.session() as s:
            live = live_for(s, [r.config.id for r in self.runs], utcnow())
            for run in self.runs:
                run.memory.set([Suppression(x.id, x.zone_name, x.category, tuple(x.bbox),
                                            Signature.from_dict(x.signature), x.expires_at.timestamp())
                                for x in live[run.config.id]])

    def _pause_rules(self, run: CameraRun, paused: bool, t: float) -> None:
        """A moved camera's zones no longer fit what it sees: its rules stop (their violations end
        as `camera_moved`) until the view returns or an admin accepts it; then they start afresh."""
        if paused == run.paused:
            return
        run.paused = paused
        if paused:
            ended = run.analyzer.set_rules([], t, reason="camera_moved")
            if ended:
                self.recorder.rule_events(run.config.id, None, ended)
            log.warning("%s: %s moved: its zone rules are paused until the view returns or is accepted",
                        self.name, run.config.id, extra={"camera": run.config.id})
        else:
            run.analyzer.set_rules([build_rule(self.settings, z, run.memory) for z in run.zones], t)
            log.info("%s: %s: zone rules resumed", self.name, run.config.id, extra={"camera": run.config.id})

    def _follow_acceptance(self, now: float) -> None:
        """An admin accepted a camera's new view (or drew its zones again): its reference is the view now."""
        owners = {pid: run for run in self.runs if run.tampering for pid in run.tampering.problem_ids.values()}
        if not owners:
            return
        with self.db.session() as s:
            accepted = accepted_among(s, list(owners))
        for run in {id(owners[pid]): owners[pid] for pid in accepted}.values():
            run.tampering.accepted(now)
            self._pause_rules(run, False, now)

    def _watch_tampering(self, run: CameraRun, frame) -> None:
        result = run.tampering.observe(frame.image, frame.t)
        self._pause_rules(run, result.rules_paused, frame.t)

    def _write_live_picture(self, run: CameraRun, frame, now: float) -> None:
        """The camera grid's picture, refreshed every few seconds (and the zone editor's canvas)."""
        if now - run.live_written < LIVE_PICTURE_EVERY_S:
            return
        run.live_written = now
        image = frame.image
        if image.shape[1] > 960:
            image = cv2.resize(image, (960, round(image.shape[0] * 960 / image.shape[1])), interpolation=cv2.INTER_AREA)
        try:
            self.recorder.media.write(f"live/{run.config.id}.jpg", encode_jpeg(image, 80))
        except OSError as exc:
            log.warning("%s: could not write the live picture of %s: %s", self.name, run.config.id, exc)

    def _restore(self, run: CameraRun, now: float) -> None:
        """Events still active from before a restart: the rules remember them instead of alerting
        again; events of zones that are gone are ended. Clips a stopped worker left half-written
        are kept as they are (they play up to their last fragment) and hashed."""
        with self.recorder._tx(run.config.id, self.recorder._token(run.config.id)) as s:
            for e in recording_events(s, run.config.id):
                recover_clip(s, self.media, e)
                write_package(s, self.media, e, self.recorder.provenance)
                announce_update(s, e)
        zones = {r.zone.name for r in run.analyzer.rules}
        with self.db.session() as s:
            events = active_events(s, run.config.id)
        restored = []
        for e in events:
            if e.zone_name not in zones:
                with self.recorder._tx(run.config.id, self.recorder._token(run.config.id)) as s:
                    end_event(s, e.id, utcnow(), "zone_removed")
                continue
            v = Violation(
                id=0, type=e.type, zone=e.zone_name, category=e.category, class_name=e.class_name,
                bbox=tuple(e.bbox), confidence=e.confidence, track_id=NO_TRACK,
                started_at=e.started_at.timestamp(), raised_at=e.raised_at.timestamp(),
                params=(e.details or {}).get("params", {}),
            )
            restored.append((v, e.id))
        run.analyzer.restore([v for v, _ in restored], now)
        for v, event_id in restored:
            self.recorder.violation_restored(run.config.id, v, event_id)
        if run.tampering is None:
            return
        with self.db.session() as s:
            problems = open_problems(s, [run.config.id]).get(run.config.id, [])
            run.tampering.restore(problems, self.media, now)
        self._pause_rules(run, run.tampering.rules_paused, now)

    # ------------------------------------------------------------------ loop
    def run(self, stop: Connection) -> None:
        """Runs until told to stop on `stop`, or until the service is gone (the pipe closes).

        Up to `pipeline` batches are in the detector at once, each in its own thread: while one
        runs, the next is prepared and the one before finished, so the cores are not left idle
        while Python plans tiles or applies rules."""
        if self.keeper is not None:
            self.keeper.start()
        self._start_cameras()
        log.info("%s: serving %d cameras with %s", self.name, len(self.runs), self.detector.model_path)
        next_health = 0.0
        inflight: deque[tuple[list, Future]] = deque()
        try:
            while not stop.poll(0):
                now = time.time()
                while inflight and inflight[0][1].done():
                    self._finish(*inflight.popleft())
                prepared = False
                if len(inflight) < self.pipeline:
                    busy = {id(run) for runs, _ in inflight for run in runs}
                    started = self._start_batch(now, busy)
                    if started is not None:
                        inflight.append(started)
                        prepared = True
                if self.keeper is not None:
                    self._follow_leases()
                if now >= next_health:
                    self._collect_clips(now)
                    self._report_health(now)
                    try:
                        self._follow_acceptance(now)  # first: zones drawn again are also an acceptance
                        self._follow_zones(now)
                    except Exception:
                        log.exception("%s: could not apply zone changes", self.name)
                    try:
                        self._follow_suppressions()
                    except Exception:
                        log.exception("%s: could not follow the suppressions", self.name)
                    try:
                        self._follow_models()
                    except Exception:
                        log.exception("%s: could not follow the model registry", self.name)
                    next_health = now + HEALTH_EVERY_S
                self.recorder.flush()
                if prepared:
                    continue
                if inflight:  # nothing more to start: wait for the oldest batch
                    wait([inflight[0][1]], timeout=0.5)
                    continue
                upcoming = min((r.next_due for r in self.runs), default=now + 0.5)
                stop.poll(min(0.5, max(0.005, upcoming - time.time())))
        finally:
            for runs, future in inflight:
                try:
                    self._finish(runs, future)
                except Exception:
                    log.exception("%s: last batch lost", self.name)
            self.pool.shutdown(wait=True)
            self._loader.shutdown(wait=True, cancel_futures=True)
            for run in self.runs:
                for source in run.sources:
                    for result in source.stop(timeout=2):  # clips cut short stay, as they are
                        self.recorder.clip_finished(result)
            self._report_health(time.time())
            self.recorder.flush()
            if self.keeper is not None:
                self.keeper.stop()
                self.keeper.release()
            if self.recorder.pending:
                log.error("%s: %d writes could not be stored before exit", self.name, self.recorder.pending)
            self.notifier.close()
            self.db.dispose()

    def _start_batch(self, now: float, busy: set[int]) -> tuple[list, Future] | None:
        """Due cameras (earliest due first, none already in the detector) go to a detector thread,
        which takes their newest frames, plans, crops and detects. When the detector cannot keep
        up, cameras come due later: every camera's rate drops alike, and nothing queues."""
        due = sorted((r for r in self.runs if r.next_due <= now and id(r) not in busy), key=lambda r: r.next_due)
        runs = [r for r in due if r.source.has_new(r.last_seq)][:MAX_BATCH_CAMERAS]
        if not runs:
            return None
        for run in runs:  # the cadence counts from when a frame was due, not when its result came back
            run.next_due = max(run.next_due + run.interval, now)
            run.source.wanted_at = None  # decode everything until the frame is taken
        return runs, self.pool.submit(self._detect, runs)

    def _detect(self, runs: list[CameraRun]) -> tuple[list, Batch, tuple]:
        """In a detector thread: the heavy part of a batch (conversion, static stage, tiles, network)."""
        frames = [(run, f) for run in runs if (f := run.source.latest(after_seq=run.last_seq)) is not None]
        for run in runs:  # frames before the next due one need no decoding
            run.source.wanted_at = run.next_due
        jobs = [FrameJob(run.analyzer, f.image, f.t, f.scale, run.config.id) for run, f in frames]
        detector = self.detector  # the whole batch with one model, even if another is swapped in meanwhile
        batch = prepare(detector, jobs, self._analysis_failed)
        started = time.perf_counter()
        with nullcontext() if detector.concurrent else self._serial:
            raw = run_detector(detector, batch)
        self.detector_stats.observe(time.perf_counter() - started, len(batch.crops) + len(batch.whole))
        return frames, batch, raw

    def _analysis_failed(self, job: FrameJob, exc: Exception) -> None:
        """One camera's frame could not be analysed (a bug): that frame is lost, the other cameras
        of the batch go on. Logged with its traceback once a minute per camera, with the count."""
        run = next((r for r in self.runs if r.config.id == job.camera), None)
        if run is None:
            log.error("%s: analysis failed on %s", self.name, job.camera, exc_info=exc, extra={"camera": job.camera})
            return
        run.failures += 1
        now = time.monotonic()
        if now - run.failure_logged >= 60.0:
            log.error("%s: analysis failed on camera %s (%d frame(s) lost since the last report)",
                      self.name, job.camera, run.failures, exc_info=exc, extra={"camera": job.camera})
            run.failures, run.failure_logged = 0, now

    def _finish(self, runs: list[CameraRun], future: Future) -> None:
        """On the worker's own thread: tracking, rules and storage, in frame order per camera."""
        try:
            frames, batch, raw = future.result()
            results = finish(batch, raw)
        except Exception:
            log.exception("%s: detection failed", self.name)
            frames, results = [(run, None) for run in runs], [None] * len(runs)
        done = time.time()
        for (run, frame), result in zip(frames, results, strict=True):
            self._frame_done(run, frame, result, done)

    def _frame_done(self, run: CameraRun, frame, result: FrameResult | None, done: float) -> None:
        """One camera's analysed frame: its tampering judged, its rules' events stored."""
        if frame is not None:
            run.last_seq = frame.seq
        if frame is not None and run.tampering is not None:
            try:
                self._watch_tampering(run, frame)
            except Exception:  # noqa: BLE001 - a bug here must not stop the camera's rules
                log.exception("%s: tampering check failed on %s", self.name, run.config.id)
        if result is None:
            return
        run.source.mark_processed(done, result.inferences)
        self._write_live_picture(run, frame, done)
        if result.events:
            self.recorder.rule_events(run.config.id, frame, result.events, seen=result.observation.detections)
        if self.shadow is not None and not run.paused:
            try:
                self.shadow.observe(run.config, run.zones, frame.image, frame.t, frame.scale, self._analysis_failed)
            except Exception:  # noqa: BLE001 - the candidate's trouble must never touch the live alerts
                log.exception("%s: shadow model failed on %s", self.name, run.config.id)

    def _report_health(self, now: float) -> None:
        healths = []
        for run in self.runs:
            for source in run.sources:
                source.watchdog(now)
            h = run.source.health(now)
            if run.recording is not None:
                rec = run.recording.health(now)
                h = replace(h, recording=str(rec.state), recording_error=rec.error)
            healths.append(h)
            state = str(h.state)
            if h.state in REPORTED_STATES and state != run.reported:
                detail = h.error if h.state == CameraState.OFFLINE else None
                at = now if h.state == CameraState.OFFLINE else (h.last_frame_at or now)
                self.recorder.camera_state(run.config.id, state, at, detail)
                run.reported = state
        # this worker's figures, reported with each of its cameras
        writes = {**self.recorder.write_stats().to_dict(),
                  "detector": {**self.detector_stats.to_dict(), "model": self.model.to_dict(),
                               "shadow": self.shadow.choice.to_dict() if self.shadow else None}}
        if self.keeper is not None:  # cameras it is giving up: their health is the next holder's to write
            healths = [h for h in healths if self.keeper.token(h.camera_id) is not None]
        for attempt in range(2):
            try:
                with self.db.write() as s:
                    # in camera order: lease rows are locked in that order here and by the lease step
                    for h in sorted(healths, key=lambda h: h.camera_id):
                        if self.keeper is not None:
                            self.keeper.check(s, h.camera_id, self.keeper.token(h.camera_id))
                        update_health(s, h.camera_id, {**h.to_dict(), **writes, "worker": self.name},
                                      from_epoch(now))
                return
            except LeaseLost as exc:  # one camera taken over meanwhile: the others' health still goes in
                healths = [h for h in healths if h.camera_id != exc.camera_id]
                if attempt:
                    log.info("%s: camera health not stored: %s", self.name, exc)
            except Exception as exc:
                log.warning("%s: could not store camera health: %s", self.name, exc)
                return


def worker_main(index: int, camera_ids: list[str], settings_data: dict, stop: Connection,
                log_level: str = "INFO", leases: bool = False) -> None:
    """Entry point of a worker process (spawned)."""
    from ..logs import setup_logging

    # Ctrl-C reaches the whole process group; the supervisor decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    setup_logging(log_level)
    settings = Settings.model_validate(settings_data)
    Worker(settings, camera_ids, name=f"worker-{index}", leases=leases, index=index).run(stop)
