"""Evidence packages: every file of an event with its SHA-256, taken when the file was made, so
that anyone can later show the files are untouched (`urbanwatch verify`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .media import MediaStore
from .schema import EvidenceFile

KINDS = ("snapshot", "snapshot_annotated", "crop_owner", "clip", "metadata")


def sha256_file(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def record_file(session: Session, media: MediaStore, event_id: int, kind: str, rel_path: str) -> EvidenceFile:
    """Hashes a finished file and records it in the event's package (replacing one of that kind)."""
    path = media.path(rel_path)
    row = session.scalar(select(EvidenceFile).where(EvidenceFile.event_id == event_id, EvidenceFile.kind == kind))
    if row is None:
        row = EvidenceFile(event_id=event_id, kind=kind)
        session.add(row)
    row.path, row.sha256, row.size = rel_path, sha256_file(path), path.stat().st_size
    session.flush()
    return row


def files_of(session: Session, event_id: int) -> list[EvidenceFile]:
    return list(session.scalars(select(EvidenceFile).where(EvidenceFile.event_id == event_id)
                                .order_by(EvidenceFile.id)))


@dataclass(frozen=True)
class Check:
    kind: str
    path: str
    expected: str
    actual: str | None  # None: the file is missing
    size: int

    @property
    def status(self) -> str:
        if self.actual is None:
            return "missing"
        return "intact" if self.actual == self.expected else "modified"


def verify(session: Session, media: MediaStore, event_id: int) -> list[Check]:
    out = []
    for f in files_of(session, event_id):
        try:
            path = media.path(f.path)
            actual = sha256_file(path) if path.is_file() else None
        except ValueError:
            actual = None
        out.append(Check(f.kind, f.path, f.sha256, actual, f.size))
    return out
