"""Camera problems (tampering): raised and ended by the camera's worker, accepted by an admin. Each
change is announced on the feed (`camera.problem`) in the same transaction, like a status change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from . import audit, feed
from .schema import Camera, CameraProblem, User
from .serialize import iso, media_url
from .types import utcnow
from .vocabulary import ProblemEnd

FEED_TYPE = "camera.problem"


class ProblemError(ValueError):
    pass


def problem_to_dict(p: CameraProblem) -> dict:
    return {
        "id": p.id,
        "camera_id": p.camera_id,
        "ward": p.ward,
        "kind": p.kind,
        "open": p.ended_at is None,
        "started_at": iso(p.started_at),
        "raised_at": iso(p.raised_at),
        "ended_at": iso(p.ended_at),
        "end_reason": p.end_reason,
        "before_url": media_url(p.before),
        "after_url": media_url(p.after),
        "details": p.details or {},
        "accepted_by": p.acceptor.username if p.acceptor else None,
        "accepted_at": iso(p.accepted_at),
    }


def _announce(session: Session, p: CameraProblem, change: str) -> None:
    session.flush()
    session.refresh(p)
    feed.append(session, FEED_TYPE, {"type": FEED_TYPE, "change": change, "camera_id": p.camera_id,
                                     "problem": problem_to_dict(p)}, camera_id=p.camera_id, ward=p.ward)


def open_problem_of(session: Session, camera_id: str, kind: str) -> CameraProblem | None:
    return session.scalar(select(CameraProblem).where(CameraProblem.camera_id == camera_id,
                                                      CameraProblem.kind == kind, CameraProblem.ended_at.is_(None))
                          .order_by(CameraProblem.id.desc()).limit(1))


def raise_problem(session: Session, camera_id: str, kind: str, started_at: datetime, raised_at: datetime,
                  before: str | None, after: str | None, details: dict) -> CameraProblem:
    """Stores and announces a problem; one already open of that kind is kept (a write retried)."""
    existing = open_problem_of(session, camera_id, kind)
    if existing is not None:
        return existing
    camera = session.get(Camera, camera_id)
    if camera is None:
        raise ValueError(f"unknown camera {camera_id}")
    p = CameraProblem(camera_id=camera_id, ward=camera.ward, kind=kind, started_at=started_at, raised_at=raised_at,
                      before=before, after=after, details={"raised": details})
    session.add(p)
    _announce(session, p, "started")
    return p


def end_problem(session: Session, camera_id: str, kind: str, ended_at: datetime,
                reason: str = ProblemEnd.VIEW_RETURNED, details: dict | None = None) -> CameraProblem | None:
    """Ends the camera's open problem of that kind and announces it; None when none is open (it was
    accepted in the meantime)."""
    p = open_problem_of(session, camera_id, kind)
    if p is None:
        return None
    p.ended_at, p.end_reason = ended_at, reason
    if details is not None:
        p.details = {**(p.details or {}), "ended": details}
    _announce(session, p, "ended")
    return p


def accept_view(session: Session, camera_id: str, user: User, ip: str | None = None,
                note: str | None = None) -> list[CameraProblem]:
    """An admin accepts the camera's current view: every open problem of the camera ends as accepted
    (they are all judged against the one reference, which becomes this view); audited. The
    camera's worker follows (`accepted_among`) and learns the view as its reference."""
    now = utcnow()
    problems = open_problems(session, [camera_id]).get(camera_id, [])
    for p in problems:
        before = {"open": True, "end_reason": None}
        p.ended_at, p.end_reason, p.accepted_by, p.accepted_at = now, ProblemEnd.ACCEPTED, user.id, now
        _announce(session, p, "accepted")
        audit.record(session, user, "camera.accept_view", "camera_problem", p.id, before,
                     {"open": False, "end_reason": ProblemEnd.ACCEPTED, "kind": p.kind, "camera_id": camera_id},
                     note=note, ip=ip)
    return problems


def accept_problem(session: Session, problem: CameraProblem, user: User, ip: str | None = None) -> list[CameraProblem]:
    if problem.ended_at is not None:
        raise ProblemError(f"problem {problem.id} already ended ({problem.end_reason})")
    return accept_view(session, problem.camera_id, user, ip)


def problems_of(session: Session, camera_id: str, limit: int = 50, offset: int = 0) -> list[CameraProblem]:
    return list(session.scalars(select(CameraProblem).where(CameraProblem.camera_id == camera_id)
                                .options(selectinload(CameraProblem.acceptor))
                                .order_by(CameraProblem.started_at.desc(), CameraProblem.id.desc())
                                .limit(limit).offset(offset)))


def open_problems(session: Session, camera_ids: list[str] | None = None) -> dict[str, list[CameraProblem]]:
    """Open problems by camera (None: every camera's)."""
    q = select(CameraProblem).where(CameraProblem.ended_at.is_(None)).order_by(CameraProblem.id)
    if camera_ids is not None:
        q = q.where(CameraProblem.camera_id.in_(camera_ids))
    out: dict[str, list[CameraProblem]] = {}
    for p in session.scalars(q.options(selectinload(CameraProblem.acceptor))):
        out.setdefault(p.camera_id, []).append(p)
    return out


def accepted_among(session: Session, ids: list[int]) -> set[int]:
    """Which of these problems an admin has accepted (the worker follows acceptance)."""
    if not ids:
        return set()
    return set(session.scalars(select(CameraProblem.id).where(CameraProblem.id.in_(ids),
                                                              CameraProblem.end_reason == ProblemEnd.ACCEPTED)))
