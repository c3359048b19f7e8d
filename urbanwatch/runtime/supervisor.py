"""Keeps the worker processes running: a crashed worker is restarted, with a growing delay if it
keeps crashing, and its cameras are picked up again by the new process."""

from __future__ import annotations

import logging
import multiprocessing as mp
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from streams.backoff import Backoff

from ..config import Settings
from .worker import worker_main

log = logging.getLogger(__name__)


def assign_cameras(camera_ids: list[str], processes: int) -> list[list[str]]:
    """Round-robin: neighbouring cameras of a ward land on different processes."""
    n = max(1, min(processes, len(camera_ids)))
    return [camera_ids[i::n] for i in range(n)]


@dataclass
class _Slot:
    index: int
    camera_ids: list[str]
    process: mp.Process | None = None
    stop: Connection | None = None  # our end of the pipe the worker listens on
    started_at: float = 0.0
    restarts: int = 0
    restart_at: float = 0.0
    backoff: Backoff = field(default_factory=lambda: Backoff(1.0, 30.0))


class Supervisor:
    def __init__(self, settings: Settings, log_level: str = "INFO", leases: bool = False):
        """`leases`: the worker processes share the cameras out by camera leases, with the workers of
        every other machine (`urbanwatch worker`); without, this machine's processes split them."""
        self.settings = settings
        self.log_level = log_level
        self.leases = leases
        self._ctx = mp.get_context("spawn")  # no forked threads, sockets or model state
        self._halt = threading.Event()
        ids = [c.id for c in settings.cameras if c.enabled]
        groups = [ids] * settings.workers.processes if leases else assign_cameras(ids, settings.workers.processes)
        self.slots = [_Slot(i, group) for i, group in enumerate(groups)]
        self._thread: threading.Thread | None = None
        self._settings_data = settings.model_dump(mode="json")

    def start(self) -> None:
        for slot in self.slots:
            self._spawn(slot)
        self._thread = threading.Thread(target=self._watch, name="supervisor", daemon=True)
        self._thread.start()

    def _spawn(self, slot: _Slot) -> None:
        # A pipe, not a shared Event, tells the worker to stop: a pipe also tells it when this
        # process dies (end of file), and no lock can be left held by a killed process.
        listen, tell = self._ctx.Pipe(duplex=False)
        p = self._ctx.Process(
            target=worker_main,
            args=(slot.index, slot.camera_ids, self._settings_data, listen, self.log_level, self.leases),
            name=f"worker-{slot.index}",
            daemon=False,
        )
        p.start()
        listen.close()
        slot.process, slot.stop, slot.started_at = p, tell, time.time()
        log.info("worker-%d started (pid %d) for %s%s", slot.index, p.pid, "a leased share of " if self.leases else "",
                 ", ".join(slot.camera_ids))

    def _watch(self) -> None:
        while not self._halt.wait(0.5):
            now = time.time()
            for slot in self.slots:
                p = slot.process
                if p is not None and p.is_alive():
                    if now - slot.started_at > 60:
                        slot.backoff.reset()  # it ran a while: the next crash restarts quickly
                    continue
                if p is not None:
                    delay = slot.backoff.next_delay()
                    log.error("worker-%d exited with code %s; restarting in %.1f s", slot.index, p.exitcode, delay)
                    slot.process, slot.restart_at = None, now + delay
                    slot.restarts += 1
                elif now >= slot.restart_at and not self._halt.is_set():
                    self._spawn(slot)

    def status(self) -> list[dict]:
        return [
            {
                "index": s.index,
                "cameras": s.camera_ids,
                "pid": s.process.pid if s.process else None,
                "alive": bool(s.process and s.process.is_alive()),
                "restarts": s.restarts,
            }
            for s in self.slots
        ]

    def stop(self, timeout: float = 15.0) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join(2)
        for slot in self.slots:
            if slot.stop is not None:
                try:
                    slot.stop.send("stop")
                except OSError:
                    pass
        deadline = time.time() + timeout
        for slot in self.slots:
            p = slot.process
            if p is None:
                continue
            p.join(max(0.1, deadline - time.time()))
            if p.is_alive():
                log.warning("worker-%d did not stop in time; terminating", slot.index)
                p.terminate()
                p.join(5)
            if p.is_alive():
                p.kill()
