"""The append-only audit log: every decision and administrative change, with before and after."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .schema import AuditEntry, User
from .serialize import iso
from .types import utcnow


def record(
    session: Session,
    user: User | None,
    action: str,
    target_type: str,
    target_id: str | int,
    before: dict | None = None,
    after: dict | None = None,
    note: str | None = None,
    ip: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=utcnow(), user_id=user.id if user else None, username=user.username if user else "system",
        action=action, target_type=target_type, target_id=str(target_id), before=before, after=after,
        note=note, ip=ip,
    )
    session.add(entry)
    session.flush()
    return entry


def entries(session: Session, target_type: str | None = None, target_id: str | int | None = None,
            limit: int = 200, offset: int = 0) -> list[AuditEntry]:
    q = select(AuditEntry)
    if target_type:
        q = q.where(AuditEntry.target_type == target_type)
    if target_id is not None:
        q = q.where(AuditEntry.target_id == str(target_id))
    return list(session.scalars(q.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)))


def entry_to_dict(e: AuditEntry) -> dict:
    # people are shown by their full name; the login is kept for the record
    name = e.user.display_name if e.user is not None else e.username
    return {"id": e.id, "at": iso(e.at), "username": e.username, "display_name": name, "action": e.action,
            "target_type": e.target_type, "target_id": e.target_id, "before": e.before, "after": e.after,
            "note": e.note, "ip": e.ip}
