"""A worker's writes to the database, in the order they happened. A write that fails for a while
(the database restarting, locked or out of reach) stays first and is tried again, with growing
pauses; a write that can never succeed (a bug, bad data) is set aside with its traceback, as a
dead letter an admin sees, so that it does not block every write after it. The queue is bounded:
while the database is away, memory is not."""

from __future__ import annotations

import errno
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import exc as sa_exc

from models.leases import LeaseLost

log = logging.getLogger(__name__)

Job = Callable[[], bool]  # True when it announced something on the feed
DEFAULT_LIMIT = 10_000


FULL = (errno.ENOSPC, errno.EDQUOT)


def is_transient(error: BaseException) -> bool:
    """Worth trying again: the database (or the way to it) is away for now, or the media disk is
    full (retention frees space); the write itself is fine."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, OSError) and error.errno in FULL:
        return True
    # OperationalError: connection refused or lost, server shutting down, SQLite's "database is locked"
    return isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError,
                              ConnectionError, TimeoutError))


@dataclass
class _Write:
    what: str
    job: Job
    supersedable: bool  # a camera's status: a later one tells the same story


@dataclass(frozen=True)
class WriteStats:
    backlog: int  # waiting to be written
    failed: int  # set aside for good (dead letters)
    dropped: int  # refused because the queue was full
    retrying: str | None  # why the first write waits, while it does

    def to_dict(self) -> dict:
        return {"write_backlog": self.backlog, "write_failed": self.failed, "write_dropped": self.dropped,
                "write_retrying": self.retrying}


class WriteQueue:
    def __init__(
        self,
        on_failed: Callable[[str, BaseException], None],
        limit: int = DEFAULT_LIMIT,
        backoff_initial_s: float = 1.0,
        backoff_max_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._on_failed = on_failed
        self._limit = limit
        self._initial, self._max = backoff_initial_s, backoff_max_s
        self._clock = clock
        self._writes: deque[_Write] = deque()
        self._retry_at = 0.0
        self._pause = backoff_initial_s
        self._retrying: str | None = None
        self._failed = 0
        self._dropped = 0
        self.fenced = 0  # refused: the camera had changed hands (not an error, not retried)

    def put(self, what: str, job: Job, *, supersedable: bool = False) -> None:
        if len(self._writes) >= self._limit and not self._make_room():
            self._dropped += 1
            log.error("write queue full (%d waiting): %s is lost", len(self._writes), what)
            return
        self._writes.append(_Write(what, job, supersedable))

    def _make_room(self) -> bool:
        """A full queue gives up the oldest camera status first: the newest one still follows."""
        for i, w in enumerate(self._writes):
            if w.supersedable and i > 0:
                del self._writes[i]
                self._dropped += 1
                log.warning("write queue full: dropped %s (a later status follows)", w.what)
                return True
        return False

    def run(self) -> bool:
        """Writes what it can, in order. True when something was announced on the feed."""
        announced = False
        if self._writes and self._clock() < self._retry_at:
            return announced
        while self._writes:
            w = self._writes[0]
            try:
                announced |= bool(w.job())
            except LeaseLost as error:  # another worker has the camera now: its writes are its own
                self._writes.popleft()
                self.fenced += 1
                log.warning("not storing %s: %s", w.what, error)
                continue
            except Exception as error:  # noqa: BLE001 - sorted below: retried or set aside, never lost silently
                if is_transient(error):
                    self._retry_at = self._clock() + self._pause
                    if self._retrying is None:
                        log.error("could not store %s (%d waiting), retrying: %s", w.what, len(self._writes), error)
                    self._retrying = f"{w.what}: {error}".splitlines()[0][:300]
                    self._pause = min(self._pause * 2, self._max)
                    return announced
                self._writes.popleft()
                self._failed += 1
                log.error("could not store %s, setting it aside: %s", w.what, error, exc_info=error)
                self._on_failed(w.what, error)
                continue
            self._writes.popleft()
            if self._retrying is not None:
                log.info("storing again after: %s", self._retrying)
            self._retrying, self._pause = None, self._initial
        return announced

    def __len__(self) -> int:
        return len(self._writes)

    def stats(self) -> WriteStats:
        return WriteStats(len(self._writes), self._failed, self._dropped, self._retrying)
