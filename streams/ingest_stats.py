"""A camera's ingest figures: counts and recent rates of packets in, frames decoded, frames
analysed and frames never analysed. The reader thread and the consumer both report; one lock
covers every counter, and the clock is given, so that the figures can be checked without waiting."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


class RateMeter:
    """Events per second over a sliding window: intervals between the ticks still in the window.
    Not locked itself: IngestStats holds the lock."""

    def __init__(self, window_s: float = 5.0):
        self.window_s = window_s
        self._times: deque[float] = deque()

    def tick(self, now: float) -> None:
        self._times.append(now)
        self._trim(now)

    def rate(self, now: float) -> float:
        self._trim(now)
        if len(self._times) < 2:
            return 0.0
        return (len(self._times) - 1) / max(self._times[-1] - self._times[0], 1e-6)

    def _trim(self, now: float) -> None:
        while self._times and now - self._times[0] > self.window_s:
            self._times.popleft()


@dataclass(frozen=True)
class IngestFigures:
    fps_in: float
    fps_decoded: float
    fps_processed: float
    fps_skipped: float
    frames_in: int
    frames_decoded: int
    frames_processed: int
    frames_skipped: int
    inferences: int
    connects: int


class IngestStats:
    def __init__(self, clock: Callable[[], float] = time.time, window_s: float = 5.0):
        self.clock = clock
        self._lock = threading.Lock()
        self._in, self._decoded = RateMeter(window_s), RateMeter(window_s)
        self._processed, self._skipped = RateMeter(window_s), RateMeter(window_s)
        self._counts = {"in": 0, "decoded": 0, "processed": 0, "skipped": 0, "inferences": 0, "connects": 0}

    def _tick(self, meter: RateMeter | None, key: str, now: float | None, by: int = 1) -> None:
        with self._lock:
            self._counts[key] += by
            if meter is not None:
                meter.tick(self.clock() if now is None else now)

    def connected(self) -> int:
        """A connection was opened; returns its number (1 for the first)."""
        with self._lock:
            self._counts["connects"] += 1
            return self._counts["connects"]

    def packet(self, now: float | None = None) -> None:
        self._tick(self._in, "in", now)

    def decoded(self, now: float | None = None) -> None:
        self._tick(self._decoded, "decoded", now)

    def skipped(self, now: float | None = None) -> None:
        """A decoded frame was replaced by a newer one before anyone took it."""
        self._tick(self._skipped, "skipped", now)

    def processed(self, inferences: int, now: float | None = None) -> None:
        """A frame was analysed, with this many detector runs (tiles)."""
        with self._lock:
            self._counts["processed"] += 1
            self._counts["inferences"] += inferences
            self._processed.tick(self.clock() if now is None else now)

    def figures(self, now: float | None = None) -> IngestFigures:
        now = self.clock() if now is None else now
        with self._lock:
            c = self._counts
            return IngestFigures(
                fps_in=round(self._in.rate(now), 2), fps_decoded=round(self._decoded.rate(now), 2),
                fps_processed=round(self._processed.rate(now), 2), fps_skipped=round(self._skipped.rate(now), 2),
                frames_in=c["in"], frames_decoded=c["decoded"], frames_processed=c["processed"],
                frames_skipped=c["skipped"], inferences=c["inferences"], connects=c["connects"],
            )
