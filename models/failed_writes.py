"""Dead letters: writes a worker set aside because they could never succeed."""

from __future__ import annotations

import traceback as tb

from sqlalchemy import select
from sqlalchemy.orm import Session

from .schema import FailedWrite
from .serialize import iso


def record_failed_write(session: Session, worker: str, what: str, error: BaseException) -> FailedWrite:
    row = FailedWrite(worker=worker[:64], what=what, error=f"{type(error).__name__}: {error}"[:2000],
                      traceback="".join(tb.format_exception(error))[-20000:])
    session.add(row)
    session.flush()
    return row


def list_failed_writes(session: Session, limit: int = 100, offset: int = 0) -> list[FailedWrite]:
    return list(session.scalars(select(FailedWrite).order_by(FailedWrite.id.desc()).limit(limit).offset(offset)))


def failed_write_to_dict(f: FailedWrite) -> dict:
    return {"id": f.id, "at": iso(f.at), "worker": f.worker, "what": f.what, "error": f.error,
            "traceback": f.traceback}
