"""How long the detector takes, per worker: runs, images and a histogram of run times, reported
with the cameras' health for GET /metrics."""

from __future__ import annotations

import bisect
import threading

# seconds; a CPU run of a few tiles is ~20-200 ms, a GPU one a few ms
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class DetectorStats:
    def __init__(self, worker: str):
        self.worker = worker
        self._lock = threading.Lock()  # detector threads report, the worker's thread reads
        self._runs = 0
        self._images = 0
        self._seconds = 0.0
        self._counts = [0] * (len(BUCKETS) + 1)  # the last: slower than every bucket

    def observe(self, seconds: float, images: int) -> None:
        with self._lock:
            self._runs += 1
            self._images += images
            self._seconds += seconds
            self._counts[bisect.bisect_left(BUCKETS, seconds)] += 1

    def to_dict(self) -> dict:
        """Cumulative since the worker started (a restart starts again, as Prometheus expects)."""
        with self._lock:
            cumulative, total = [], 0
            for n in self._counts[:-1]:
                total += n
                cumulative.append(total)
            buckets = dict(zip(map(str, BUCKETS), cumulative, strict=True))
            return {"worker": self.worker, "runs": self._runs, "images": self._images,
                    "seconds_sum": round(self._seconds, 6), "buckets": buckets}
