"""A worker's side of camera leases (models/leases.py): one balancing step every few seconds, the
fencing check every write for a camera makes, and self-fencing: a worker that cannot reach the
database to renew stops its cameras before its leases can expire, so that when another worker
takes them over, nobody is still processing them."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass

from sqlalchemy.orm import Session

from models import Database
from models.leases import Held, LeaseLost, balance, check, ensure_rows, release_all
from models.types import utcnow

log = logging.getLogger(__name__)

LEASE_S = 8.0  # a dead or cut-off worker's cameras move after this (plus one step): within 15 s
STEP_S = 2.0  # how often a worker renews, gives up and takes
SAFETY_S = 3.0  # stop processing this long before the leases could expire unseen
RETRY_SQLSTATES = ("40P01", "40001")  # deadlock detected, serialization failure: try the step again at once


def _retryable(exc: Exception) -> bool:
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in RETRY_SQLSTATES


def worker_id(index: int) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{index}:{uuid.uuid4().hex[:6]}"


@dataclass
class Step:
    gained: list[str]
    lost: list[str]


class LeaseKeeper:
    def __init__(self, db: Database, worker: str, cameras: list[str], capacity: float,
                 lease_s: float = LEASE_S, step_s: float = STEP_S, safety_s: float = SAFETY_S,
                 clock=time.monotonic):
        self.db, self.worker, self.cameras, self.capacity = db, worker, list(cameras), capacity
        self.lease_s, self.step_s, self.safety_s, self.clock = lease_s, step_s, safety_s, clock
        self.tokens: dict[str, int] = {}
        self.renewed = clock()  # when the leases were last renewed (local clock: no skew)
        self.next_step = 0.0
        self.last: Held | None = None
        self.unreachable: str | None = None
        self._changes: deque[Step] = deque()
        self._rows_made = False
        self._lock = threading.Lock()  # the step's thread and the worker's loop both change tokens
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None

    # A thread of its own: the worker's loop may wait on the database (a cut link holds each call
    # for seconds), but renewing, and stopping in time when it cannot, must not wait behind it.
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="leases", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._halt.is_set():
            step = self.step()
            if step.gained or step.lost:
                self._changes.append(step)
            self._halt.wait(max(0.0, self.next_step - self.clock()))

    def changes(self) -> list[Step]:
        """Changes since the last call, in order, for the worker's loop to apply."""
        out = []
        while self._changes:
            out.append(self._changes.popleft())
        return out

    def stop(self) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join(self.step_s + 10)

    def due(self) -> bool:
        return self.clock() >= self.next_step

    def step(self) -> Step:
        """Renew, give up, take; on a database that does not answer, self-fence in time."""
        self.next_step = self.clock() + self.step_s
        started = self.clock()
        try:
            held = self._balance()
        except Exception as exc:  # noqa: BLE001 - any failure to renew counts the same
            if self.unreachable is None:
                log.error("%s: cannot renew camera leases: %s", self.worker, str(exc).splitlines()[0])
            self.unreachable = str(exc).splitlines()[0][:300]
            return self.expire_locally()
        if self.unreachable is not None:
            log.info("%s: database reachable again", self.worker)
            self.unreachable = None
        if self.clock() - started >= self.lease_s - self.safety_s:
            # renewed, but so late that the leases may have run out meanwhile: not to be trusted
            log.error("%s: a lease step took %.1f s (lease %.0f s): giving up its cameras", self.worker,
                      self.clock() - started, self.lease_s)
            with self._lock:
                lost, self.tokens = sorted(self.tokens), {}
            return Step([], lost)
        with self._lock:
            self.renewed = started  # the leases run from the start of the step, not its end
            self.last = held
            old = self.tokens
            self.tokens = dict(held.tokens)
        gained = [c for c in held.tokens if c not in old or old[c] != held.tokens[c]]
        lost = [c for c in old if c not in held.tokens or old[c] != held.tokens[c]]
        if gained or lost:
            log.info("%s: cameras %s; share %d of %d workers%s%s", self.worker, len(self.tokens), held.share,
                     held.workers, f"; took {', '.join(gained)}" if gained else "",
                     f"; gave up {', '.join(lost)}" if lost else "")
        return Step(gained, lost)

    def _balance(self) -> Held:
        """One balancing transaction. The step locks this worker's lease rows (FOR UPDATE, in the
        table's order) while the worker's own writes lock some of them FOR SHARE, one by one in
        its cameras' order (the health of all its cameras is one transaction): PostgreSQL breaks
        such a deadlock by aborting one side, and a step aborted so is taken again at once rather
        than counted as the database out of reach (two in a row would stop every camera)."""
        for attempt in range(3):
            try:
                with self.db.write() as s:
                    if not self._rows_made:
                        ensure_rows(s, self.cameras)
                    held = balance(s, self.worker, self.cameras, self.tokens, utcnow(), self.lease_s,
                                   socket.gethostname(), os.getpid(), self.capacity)
                self._rows_made = True
                return held
            except Exception as exc:
                if attempt == 2 or not _retryable(exc):
                    raise
                log.info("%s: lease step aborted (%s); again", self.worker, str(exc).splitlines()[0][:80])
        raise AssertionError("unreachable")

    def valid(self) -> bool:
        """Its leases are surely still its own: renewed less than lease_s - safety_s ago, by its own
        clock (the renewal's expiry was counted from before that step began)."""
        return self.clock() - self.renewed < self.lease_s - self.safety_s

    def expire_locally(self) -> Step:
        """Self-fencing: leases not renewed in time (the database out of reach, or so slow that a
        step could not finish) are given up here, before anyone else can take them."""
        with self._lock:
            if not self.tokens or self.valid():
                return Step([], [])
            lost = sorted(self.tokens)
            self.tokens = {}
        log.error("%s: leases not renewed for %.1f s: stopping %s before they expire", self.worker,
                  self.clock() - self.renewed, ", ".join(lost))
        return Step([], lost)

    def token(self, camera_id: str) -> int | None:
        """Its token for the camera, while its leases are surely valid; None otherwise."""
        return self.tokens.get(camera_id) if self.valid() else None

    def check(self, session: Session, camera_id: str, token: int | None) -> None:
        """In the write's transaction: this worker still holds the camera, with `token`."""
        if token is None:
            raise LeaseLost(f"camera {camera_id} is not this worker's", camera_id)
        check(session, camera_id, self.worker, token)

    def release(self) -> None:
        """On shutdown: the cameras are free at once for the other workers."""
        try:
            with self.db.write() as s:
                release_all(s, self.worker, utcnow())
        except Exception as exc:  # noqa: BLE001 - they expire by themselves then
            log.warning("%s: could not give the leases up (%s); they expire in %.0f s", self.worker, exc,
                        self.lease_s)
        self.tokens = {}
