"""A camera's recent compressed video, and the incident clips being cut from it: packets go in as
they arrive; a clip asked for takes the past from the buffer (from the keyframe before its start)
and the live packets as they come, until its end has passed."""

from __future__ import annotations

import threading
from pathlib import Path

from .clips import ClipResult, ClipWriter
from .packets import PacketRing, StoredPacket


class ClipBuffer:
    def __init__(self, keep_s: float):
        self.ring = PacketRing(keep_s)
        self._lock = threading.Lock()  # the reader thread stores, the worker asks and collects
        self._writing: list[ClipWriter] = []
        self._finished: list[ClipResult] = []

    def store(self, p: StoredPacket) -> None:
        with self._lock:
            self.ring.push(p)
            for clip in self._writing:
                clip.feed(p)
            self._close_due(p.t)

    def record(self, clip_id: str, path: str | Path, start_t: float, end_t: float) -> None:
        with self._lock:
            clip = ClipWriter(clip_id, path, start_t, end_t)
            for p in self.ring.since(start_t):  # the past, then the live packets as they come
                clip.feed(p)
            self._writing.append(clip)

    def finished(self, now: float) -> list[ClipResult]:
        """Clips that are done: their window has passed (also when the camera sent nothing since)."""
        with self._lock:
            self._close_due(now)
            done, self._finished = self._finished, []
        return done

    def close_all(self) -> list[ClipResult]:
        """Every clip still being written, closed as it is (incomplete), with the finished ones."""
        with self._lock:
            for clip in self._writing:
                self._finished.append(clip.close(complete=False))
            self._writing = []
            done, self._finished = self._finished, []
        return done

    def set_keep(self, keep_s: float) -> None:
        self.ring.keep_s = keep_s

    def _close_due(self, now: float) -> None:
        for clip in [c for c in self._writing if c.due(now)]:
            self._writing.remove(clip)
            self._finished.append(clip.close())
