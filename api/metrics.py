"""GET /metrics in the Prometheus text format. Everything is read when the scrape comes: the
cameras' and workers' figures from the health each worker stores every few seconds, events and
purges from the database, the feed and WebSockets from this API server, the media disk from the
filesystem. So several worker processes (and machines) need no shared metrics state."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from models import feed
from models.cameras import list_cameras
from models.media import disk_usage
from models.problems import open_problems
from models.schema import Event
from models.types import utcnow
from models.vocabulary import ProblemKind

FPS_KINDS = ("in", "decoded", "processed", "skipped")


class UrbanwatchCollector(Collector):
    def __init__(self, app):
        self.app = app

    def collect(self) -> Iterator:
        state = self.app.state
        db = state.db
        with db.session() as s:
            cameras = list_cameras(s)
            events = s.execute(select(Event.type, Event.camera_id, Event.zone_name, func.count())
                               .group_by(Event.type, Event.camera_id, Event.zone_name)).all()
            purged = s.scalar(select(func.count()).select_from(Event).where(Event.media_purged_at.is_not(None))) or 0
            feed_last = feed.last_id(s)
            problems = {(p.camera_id, p.kind) for ps in open_problems(s).values() for p in ps}
        yield from self._cameras(cameras)
        problem = GaugeMetricFamily("urbanwatch_camera_problem", "1 while the camera has an open problem of this "
                                    "kind (covered, defocused, moved, frozen)", labels=["camera", "ward", "kind"])
        for c in cameras:
            for kind in ProblemKind:
                problem.add_metric([c.id, c.ward, kind], 1 if (c.id, kind) in problems else 0)
        yield problem
        yield from self._workers(cameras)

        ev = CounterMetricFamily("urbanwatch_events", "Events raised, by type, camera and zone",
                                 labels=["type", "camera", "zone"])
        for type_, camera, zone, n in events:
            ev.add_metric([type_, camera, zone], n)
        yield ev
        yield CounterMetricFamily("urbanwatch_retention_purged_events", "Events whose media retention removed",
                                  value=purged)
        hub = state.hub
        yield GaugeMetricFamily("urbanwatch_feed_lag_entries", "Feed entries committed but not yet pushed by this "
                                "API server", value=max(0, feed_last - hub.last_id))
        yield GaugeMetricFamily("urbanwatch_websocket_clients", "Consoles connected to this API server",
                                value=hub.subscribers)
        usage = disk_usage(state.settings.storage.resolved_media_dir)
        yield GaugeMetricFamily("urbanwatch_media_free_bytes", "Free space on the media disk", value=usage.free)
        yield GaugeMetricFamily("urbanwatch_media_free_ratio", "Free share of the media disk",
                                value=usage.free / usage.total)
        up = GaugeMetricFamily("urbanwatch_worker_up", "Worker process alive", labels=["worker"])
        restarts = CounterMetricFamily("urbanwatch_worker_restarts", "Worker restarts by the supervisor",
                                       labels=["worker"])
        supervisor = getattr(state, "supervisor", None)  # none on an API server without workers
        for w in supervisor.status() if supervisor is not None else []:
            up.add_metric([f"worker-{w['index']}"], 1 if w["alive"] else 0)
            restarts.add_metric([f"worker-{w['index']}"], w["restarts"])
        yield up
        yield restarts

    @staticmethod
    def _cameras(cameras) -> Iterator:
        now = utcnow().timestamp()
        fps = GaugeMetricFamily("urbanwatch_camera_fps", "Frames per second: sent by the camera (in), decoded, "
                                "analysed (processed), decoded but never analysed (skipped)", labels=["camera", "kind"])
        online = GaugeMetricFamily("urbanwatch_camera_online", "1 while the camera delivers frames",
                                   labels=["camera", "ward"])
        shed = GaugeMetricFamily("urbanwatch_camera_shed_ratio", "Share of the wanted analysis rate not reached",
                                 labels=["camera"])
        reconnects = CounterMetricFamily("urbanwatch_camera_reconnects", "Connections opened after the first",
                                         labels=["camera"])
        age = GaugeMetricFamily("urbanwatch_camera_last_frame_age_seconds", "Seconds since the newest frame",
                                labels=["camera"])
        for c in cameras:
            h = c.health or {}
            online.add_metric([c.id, c.ward], 1 if c.enabled and c.state == "online" else 0)
            for kind in FPS_KINDS:
                if h.get(f"fps_{kind}") is not None:
                    fps.add_metric([c.id, kind], h[f"fps_{kind}"])
            if h.get("shed") is not None:
                shed.add_metric([c.id], h["shed"])
            if h.get("reconnects") is not None:
                reconnects.add_metric([c.id], h["reconnects"])
            if h.get("last_frame_at"):
                age.add_metric([c.id], max(0.0, now - h["last_frame_at"]))
        yield from (fps, online, shed, reconnects, age)

    @staticmethod
    def _workers(cameras) -> Iterator:
        """Each worker's figures come with each of its cameras' health: one copy per worker."""
        seen: dict[str, dict] = {}
        for c in cameras:
            h = c.health or {}
            det = h.get("detector")
            if det and det.get("worker"):
                seen[det["worker"]] = h
        runs = CounterMetricFamily("urbanwatch_detector_runs", "Detector runs", labels=["worker"])
        images = CounterMetricFamily("urbanwatch_detector_images", "Images (tiles, frames) detected", labels=["worker"])
        seconds = HistogramMetricFamily("urbanwatch_detector_inference_seconds", "Time of one detector run",
                                        labels=["worker"])
        backlog = GaugeMetricFamily("urbanwatch_worker_write_backlog", "Writes waiting for the database",
                                    labels=["worker"])
        failed = CounterMetricFamily("urbanwatch_worker_writes_failed", "Writes set aside (dead letters)",
                                     labels=["worker"])
        for worker, h in sorted(seen.items()):
            det = h["detector"]
            runs.add_metric([worker], det["runs"])
            images.add_metric([worker], det["images"])
            buckets = [(le, n) for le, n in det["buckets"].items()] + [("+Inf", det["runs"])]
            seconds.add_metric([worker], buckets, det["seconds_sum"])
            backlog.add_metric([worker], h.get("write_backlog", 0))
            failed.add_metric([worker], h.get("write_failed", 0))
        yield from (runs, images, seconds, backlog, failed)
