"""Camera leases: the cameras shared out over the live workers, wherever they run, through the
database every node already uses (no coordinator of our own).

Each worker, every few seconds, in one transaction: says it is alive (heartbeat, capacity),
renews the leases it holds, gives up those beyond its fair share (so that a worker that joins
gets cameras, and only as many move as must), and takes free or expired leases up to its share.
A lease that changes hands gets a new token; every write for a camera checks the writer's token
in its own transaction (`check`), so a worker that lost a camera, however it lost it, can no
longer write for it. On PostgreSQL the rows are locked (SKIP LOCKED for taking, FOR SHARE for
the check), so a takeover waits for a write in flight and the write after it is refused.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .schema import Camera, CameraLease, WorkerNode
from .types import utcnow


class LeaseLost(Exception):
    """The camera is no longer this worker's: the write is refused (it is not retried)."""

    def __init__(self, message: str, camera_id: str | None = None):
        super().__init__(message)
        self.camera_id = camera_id


@dataclass
class Held:
    """What one balancing step left a worker with."""

    tokens: dict[str, int] = field(default_factory=dict)  # camera -> token
    gained: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # given up for balance, or found taken
    share: int = 0
    workers: int = 0


def fair_share(cameras: int, capacities: dict[str, float]) -> dict[str, int]:
    """Cameras per worker, in proportion to capacity (largest remainders; ties by id, so every
    worker computes the same split)."""
    total = sum(max(c, 0.0) for c in capacities.values())
    if not capacities:
        return {}
    if total <= 0:
        capacities, total = {w: 1.0 for w in capacities}, float(len(capacities))
    exact = {w: cameras * max(c, 0.0) / total for w, c in capacities.items()}
    out = {w: int(v) for w, v in exact.items()}
    left = cameras - sum(out.values())
    for w in sorted(exact, key=lambda w: (-(exact[w] - out[w]), w))[:left]:
        out[w] += 1
    return out


def _order(worker_id: str, camera_id: str) -> str:
    """A worker's own preference among cameras (rendezvous hashing): after a restart a worker
    tends to take back the same cameras, and workers do not all reach for the same free ones."""
    return hashlib.sha256(f"{worker_id}/{camera_id}".encode()).hexdigest()


def _locking(session: Session, q, skip_locked: bool = False):
    if session.get_bind().dialect.name == "postgresql":
        return q.with_for_update(skip_locked=skip_locked)
    return q


def heartbeat(session: Session, worker_id: str, host: str, pid: int, capacity: float, now: datetime,
              stopping: bool = False) -> None:
    w = session.get(WorkerNode, worker_id)
    if w is None:
        session.add(WorkerNode(id=worker_id, host=host, pid=pid, capacity=capacity, started_at=now,
                               heartbeat_at=now, stopping=stopping))
    else:
        w.capacity, w.heartbeat_at, w.stopping = capacity, now, stopping
    session.flush()


def live_workers(session: Session, now: datetime, ttl_s: float) -> dict[str, float]:
    rows = session.scalars(select(WorkerNode).where(WorkerNode.heartbeat_at >= now - timedelta(seconds=ttl_s),
                                                    WorkerNode.stopping.is_(False)))
    return {w.id: w.capacity for w in rows}


def ensure_rows(session: Session, cameras: list[str]) -> None:
    """A lease row for each of `cameras` that exists (made once; machines starting together may
    race to make them: the loser's insert is ignored)."""
    have = set(session.scalars(select(CameraLease.camera_id).where(CameraLease.camera_id.in_(cameras))))
    missing = [c for c in cameras if c not in have]
    if not missing:
        return
    known = list(session.scalars(select(Camera.id).where(Camera.id.in_(missing))))
    if not known:
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(CameraLease).values([{"camera_id": c, "worker_id": None, "token": 0} for c in known])
                    .on_conflict_do_nothing(index_elements=["camera_id"]))


def balance(session: Session, worker_id: str, cameras: list[str], held: dict[str, int], now: datetime,
            lease_s: float, host: str = "", pid: int = 0, capacity: float = 1.0) -> Held:
    """One step for `worker_id`, which believes it holds `held` (camera -> token), among `cameras`
    (those it can serve; their lease rows made by `ensure_rows`). Returns what it holds afterwards;
    commit with the caller's transaction. A handful of statements, whatever the number of cameras:
    one read of its own leases, one renewal, and reads of free ones only when below its share."""
    heartbeat(session, worker_id, host, pid, capacity, now)
    workers = live_workers(session, now, lease_s)
    share = fair_share(len(cameras), workers).get(worker_id, 0)
    out = Held(share=share, workers=len(workers))
    until = now + timedelta(seconds=lease_s)
    serving = set(cameras)
    # locked in camera order, as a worker's health write locks them: no deadlock between the two
    mine = list(session.execute(_locking(session, select(CameraLease.camera_id, CameraLease.token)
                                         .where(CameraLease.worker_id == worker_id)
                                         .order_by(CameraLease.camera_id))))
    # kept: what it believed it held, with the same token (a lease it was not following is freed)
    keep = {c: t for c, t in mine if c in serving and held.get(c, t) == t}
    drop = [c for c, _ in mine if c not in keep]
    out.lost = [c for c in held if c not in keep]
    if len(keep) > share:  # beyond its share: give up the ones it likes least
        for c in sorted(keep, key=lambda c: _order(worker_id, c))[share:]:
            del keep[c]
            drop.append(c)
            out.lost.append(c)
    if drop:
        session.execute(update(CameraLease).where(CameraLease.camera_id.in_(drop),
                                                  CameraLease.worker_id == worker_id)
                        .values(worker_id=None, expires_at=now))
    if keep:
        session.execute(update(CameraLease).where(CameraLease.camera_id.in_(list(keep)),
                                                  CameraLease.worker_id == worker_id).values(expires_at=until))
    out.tokens = dict(keep)
    if len(keep) < share:
        free = list(session.scalars(_locking(session, select(CameraLease).where(
            CameraLease.camera_id.in_(cameras),
            or_(CameraLease.worker_id.is_(None), CameraLease.expires_at < now)), skip_locked=True)))
        for lease in sorted(free, key=lambda x: _order(worker_id, x.camera_id))[:share - len(keep)]:
            lease.worker_id, lease.token = worker_id, lease.token + 1
            lease.expires_at, lease.acquired_at = until, now
            out.tokens[lease.camera_id] = lease.token
            out.gained.append(lease.camera_id)
    session.flush()
    return out


def release_all(session: Session, worker_id: str, now: datetime) -> None:
    """A worker shutting down: its cameras are free at once (no wait for expiry)."""
    session.execute(update(CameraLease).where(CameraLease.worker_id == worker_id).values(worker_id=None,
                                                                                         expires_at=now))
    w = session.get(WorkerNode, worker_id)
    if w is not None:
        w.stopping = True


def check(session: Session, camera_id: str, worker_id: str, token: int) -> None:
    """Raises LeaseLost unless `worker_id` still holds the camera with `token`. The row is locked
    for the rest of the caller's transaction (PostgreSQL), so it cannot change hands under it."""
    q = select(CameraLease).where(CameraLease.camera_id == camera_id)
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(read=True)
    lease = session.scalar(q)
    if lease is None or lease.worker_id != worker_id or lease.token != token:
        holder = lease.worker_id if lease is not None else None
        raise LeaseLost(f"camera {camera_id} is held by {holder or 'nobody'} now (token "
                        f"{lease.token if lease else '-'}, this write had {token})", camera_id)


def holders(session: Session) -> dict[str, tuple[str | None, int, datetime | None]]:
    """camera -> (worker, token, expires_at), for the console and tests."""
    return {x.camera_id: (x.worker_id, x.token, x.expires_at) for x in session.scalars(select(CameraLease))}


def clean_workers(session: Session, now: datetime, keep_s: float = 3600.0) -> None:
    """Forget workers not heard of for an hour (their leases expired long ago)."""
    for w in session.scalars(select(WorkerNode).where(WorkerNode.heartbeat_at < now - timedelta(seconds=keep_s))):
        session.delete(w)


__all__ = ["Held", "LeaseLost", "balance", "check", "clean_workers", "ensure_rows", "fair_share", "heartbeat",
           "holders",
           "live_workers", "release_all", "utcnow"]
