"""Purging evidence by the retention rules, on a schedule and from `urbanwatch purge`, with the
low-disk guard: the oldest unreviewed media go first, then dismissed ones; confirmed evidence is
kept until its retention ends, whatever the disk says, and the console is warned."""

from __future__ import annotations

import logging
import shutil
import threading
from dataclasses import dataclass, field

from models import Database, feed
from models.media import MediaStore
from models.retention import expired, media_paths, oldest_purgeable, purge
from models.types import utcnow
from models.vocabulary import ReviewStatus

from ..config import Settings

log = logging.getLogger(__name__)


@dataclass
class PurgeItem:
    event_id: int
    status: str
    raised_at: str
    reason: str  # retention, low_disk
    files: int
    bytes: int


@dataclass
class PurgeReport:
    items: list[PurgeItem] = field(default_factory=list)
    free_percent_before: float = 0.0
    free_percent_after: float = 0.0
    low_disk: bool = False  # still below the guard after purging

    @property
    def bytes(self) -> int:
        return sum(i.bytes for i in self.items)


def free_percent(path) -> float:
    usage = shutil.disk_usage(path)
    return 100.0 * usage.free / usage.total


class Purger:
    def __init__(self, settings: Settings, db: Database):
        self.settings = settings
        self.db = db
        self.media = MediaStore(settings.storage.resolved_media_dir)

    def _size(self, session, event) -> tuple[int, int]:
        files = [self.media.path(p) for p in media_paths(session, event)]
        present = [f for f in files if f.is_file()]
        return len(present), sum(f.stat().st_size for f in present)

    def run(self, dry_run: bool = False) -> PurgeReport:
        r = self.settings.retention
        report = PurgeReport(free_percent_before=free_percent(self.media.root))
        days = {ReviewStatus.UNREVIEWED: r.unreviewed_days, ReviewStatus.DISMISSED: r.dismissed_days,
                ReviewStatus.CONFIRMED: r.confirmed_days}
        with self.db.write() as s:
            for e in expired(s, utcnow(), days):
                n, size = self._size(s, e)
                report.items.append(PurgeItem(e.id, e.status, e.raised_at.isoformat(), "retention", n, size))
                if not dry_run:
                    purge(s, self.media, e, "retention")
        # the low-disk guard
        free = free_percent(self.media.root)
        if free < r.min_free_percent:
            usage = shutil.disk_usage(self.media.root)
            need = (r.min_free_percent + 2.0) / 100.0 * usage.total - usage.free  # a little hysteresis
            freed = 0 if not dry_run else sum(i.bytes for i in report.items)
            planned = {i.event_id for i in report.items}
            with self.db.write() as s:
                for e in oldest_purgeable(s):
                    if freed >= need:
                        break
                    if e.id in planned:
                        continue
                    n, size = self._size(s, e)
                    report.items.append(PurgeItem(e.id, e.status, e.raised_at.isoformat(), "low_disk", n, size))
                    freed += size
                    if not dry_run:
                        purge(s, self.media, e, "low_disk")
            free = free_percent(self.media.root) if not dry_run else free + 100.0 * freed / usage.total
            report.low_disk = free < r.min_free_percent
        report.free_percent_after = free
        if not dry_run and (report.low_disk or any(i.reason == "low_disk" for i in report.items)):
            self._warn(report)
        return report

    def _warn(self, report: PurgeReport) -> None:
        """Every console shows it: the office must add disk or shorten retention."""
        early = sum(1 for i in report.items if i.reason == "low_disk")
        log.warning("media disk low: %.1f%% free; %d events' media removed early%s", report.free_percent_after,
                    early, "; still low (only confirmed evidence left)" if report.low_disk else "")
        with self.db.write() as s:
            feed.append(s, "system.warning", {
                "type": "system.warning", "code": "low_disk", "free_percent": round(report.free_percent_after, 1),
                "purged_early": early, "still_low": report.low_disk,
            })


class PurgeSchedule:
    """Runs the purge every `retention.purge_every_min` in the service process."""

    def __init__(self, purger: Purger, every_s: float):
        self.purger, self.every_s = purger, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="purge", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while True:
            try:
                report = self.purger.run()
                if report.items:
                    log.info("purge: %d events' media removed, %.1f MB", len(report.items), report.bytes / 1e6)
            except Exception:
                log.exception("purge failed")
            if self._stop.wait(self.every_s):
                return

    def stop(self) -> None:
        self._stop.set()
