"""A video file replayed as a live camera: packets are handed on at the pace their timestamps
say, from when the first one was read."""

from __future__ import annotations

import time
from collections.abc import Callable


class ReplayPacer:
    def __init__(self, wait: Callable[[float], bool], clock: Callable[[], float] = time.time):
        """`wait(seconds)` sleeps and returns True when the reader is being stopped."""
        self.wait, self.clock = wait, clock
        self._start: float | None = None
        self._first: float | None = None

    def reset(self) -> None:
        """A new pass over the file: its first packet is due now."""
        self._start = self._first = None

    def hold(self, dts_s: float) -> bool:
        """Waits until the packet at `dts_s` is due; True when stopped meanwhile."""
        if self._start is None:
            self._start, self._first = self.clock(), dts_s
            return False
        due = self._start + (dts_s - self._first) - self.clock()
        return due > 0 and self.wait(due)
