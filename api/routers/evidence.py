"""The evidence package of an event, as one ZIP with its checksums; the evidence sheet (a one-page
PDF for the sanction file) and the same checks as JSON."""

import json
import logging
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response, StreamingResponse

from models import audit
from models.evidence import Check, sha256_file, verify
from models.media import MediaStore
from models.schema import User
from models.serialize import iso
from models.types import utcnow
from urbanwatch import __version__
from urbanwatch.config import Settings

from .. import evidence_sheet
from ..deps import DbDep, SettingsDep
from ..params import EventId, refusals
from ..redaction import picture_redactor, redacted_clip, redacted_jpeg
from ..schemas import VerificationOut
from ..security import Principal, client_ip, signed_in
from .events import visible_event

router = APIRouter(prefix="/api/events", tags=["evidence"], responses=refusals(401, 403, 404))


Mode = Annotated[Literal["redacted", "original"], Query(
    description="redacted (default): bystanders' heads and plates blurred (the clip: all but the subject); "
    "original: the files as recorded (admins, with a reason; audited)")]
Reason = Annotated[str | None, Query(min_length=5, max_length=500,
                                     description="Why the original is handed out (required with mode=original)")]


def export_mode(mode: str, reason: str | None, p: Principal) -> None:
    """Originals leave the system only for an admin who says why."""
    if mode == "original":
        if p.user.role != "admin":
            raise HTTPException(403, "the original files are handed out by admins only; ask for the redacted copy")
        if not reason:
            raise HTTPException(422, "say why the original is handed out (reason)")


def _zip_entries(e, checks: list[Check], media: MediaStore, mode: str, work: Path) -> list[tuple[Check, Path, bool]]:
    """(check, file to put in the ZIP, redacted?) for each evidence file that exists."""
    out = []
    for c in checks:
        if c.status == "missing":
            continue
        src = media.path(c.path)
        if mode == "redacted" and c.kind in ("snapshot", "snapshot_annotated"):
            data = redacted_jpeg(src, e)
            if data is None:  # what cannot be decoded cannot be redacted: it stays on the server
                log.warning("event %s: %s unreadable, left out of the redacted package", e.id, c.path)
                continue
            dst = work / Path(c.path).name
            dst.write_bytes(data)
            out.append((c, dst, True))
            continue
        if mode == "redacted" and c.kind == "clip":
            dst = work / Path(c.path).name
            try:
                redacted_clip(src, dst, e)
                out.append((c, dst, True))
            except (OSError, ValueError, subprocess.SubprocessError) as exc:
                log.warning("event %s: clip not redacted (%s): left out of the redacted package", e.id, exc)
            continue
        out.append((c, src, False))
    return out


@router.get("/{event_id}/evidence.zip", summary="The event's evidence package: files, metadata, SHA-256 sums "
            "(redacted by default: bystanders blurred)", response_class=StreamingResponse)
def evidence_zip(event_id: EventId, request: Request, db: DbDep, settings: SettingsDep, mode: Mode = "redacted",
                 reason: Reason = None, p: Principal = Depends(signed_in)):
    export_mode(mode, reason, p)
    media = MediaStore(settings.storage.resolved_media_dir, create=False)
    with db.session() as s:
        e = visible_event(s, p, event_id)
        checks = verify(s, media, e.id)
        if not checks or all(c.status == "missing" for c in checks):
            raise HTTPException(410 if e.media_purged_at else 404, "no evidence files for this event")
        intact = all(c.status == "intact" for c in checks)
        work = Path(tempfile.mkdtemp(prefix="urbanwatch-export-"))
        entries = _zip_entries(e, checks, media, mode, work)
    with db.write() as s:
        # who took the evidence, which copy, and when: part of its chain of custody
        action = "event.export_original" if mode == "original" else "event.export"
        audit.record(s, s.get(User, p.user.id), action, "event", event_id, None,
                     {"files": [c.path for c, _, _ in entries], "intact": intact, "mode": mode},
                     note=reason, ip=client_ip(request))
    spool = tempfile.SpooledTemporaryFile(max_size=32 << 20)
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as z:  # JPEG and MP4 are compressed already
        sums, files = [], []
        for c, path, redacted in entries:
            name = Path(c.path).name
            z.write(path, arcname=name)
            digest = sha256_file(path) if redacted else c.expected
            sums.append(f"{digest}  {name}")
            files.append({"kind": c.kind, "file": name, "sha256_recorded": c.expected, "sha256_now": c.actual,
                          "status": c.status, "redacted": redacted, "sha256_in_package": digest})
        z.writestr("SHA256SUMS", "\n".join(sums) + "\n")
        z.writestr("verification.json", json.dumps({
            "event_id": event_id, "intact": intact, "mode": mode,
            "note": "Redacted copies differ from the recorded files: sha256_recorded is the original's, checked "
                    "now on the server (status); sha256_in_package is of the copy in this package."
            if mode == "redacted" else "The files as recorded.",
            "files": files}, indent=2))
    shutil.rmtree(work, ignore_errors=True)
    spool.seek(0)
    name = f"urbanwatch-event-{event_id}-evidence{'-original' if mode == 'original' else ''}.zip"
    return StreamingResponse(spool, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Evidence-Intact": str(intact).lower(),
        "X-Evidence-Mode": mode})


log = logging.getLogger(__name__)
Lang = Annotated[Literal["vi", "en"], Query(description="vi (default) or en")]


def verification_url(request: Request, settings: Settings, event_id: int) -> str:
    """The verification page's absolute address, for a QR code on paper: the configured public
    address (`server.public_url`), else the one this request came to."""
    base = settings.server.public_url or str(request.base_url).rstrip("/")
    return f"{base}/verify/{event_id}"


def verdict(checks: list[Check], purged: bool) -> str:
    """intact; tampered when a file changed or went missing; purged when retention removed the
    media (every file missing); none when nothing was recorded."""
    if not checks:
        return "none"
    if all(c.status == "intact" for c in checks):
        return "intact"
    return "purged" if purged and all(c.status == "missing" for c in checks) else "tampered"


def verification(event_id: int, checks: list[Check], purged: bool) -> dict:
    return {"event_id": event_id, "checked_at": iso(utcnow()), "verdict": verdict(checks, purged),
            "intact": bool(checks) and all(c.status == "intact" for c in checks),
            "files": [{"kind": c.kind, "file": Path(c.path).name, "size": c.size, "sha256_recorded": c.expected,
                       "sha256_now": c.actual, "status": c.status} for c in checks]}


@router.get("/{event_id}/verification", response_model=VerificationOut,
            summary="Every evidence file hashed again now and compared with the SHA-256 recorded when it was made")
def event_verification(event_id: EventId, db: DbDep, settings: SettingsDep, p: Principal = Depends(signed_in)) -> dict:
    media = MediaStore(settings.storage.resolved_media_dir, create=False)
    with db.session() as s:
        e = visible_event(s, p, event_id)
        return verification(e.id, verify(s, media, e.id), e.media_purged_at is not None)


@router.get("/{event_id}/report.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "A one-page A4 PDF"}},
            summary="The evidence sheet for the sanction file: the act, place, times, pictures, decision, "
            "each file's SHA-256 and a QR code to the verification page (one A4 page)")
def evidence_report(event_id: EventId, request: Request, db: DbDep, settings: SettingsDep, lang: Lang = "vi",
                    mode: Mode = "redacted", reason: Reason = None, p: Principal = Depends(signed_in)) -> Response:
    export_mode(mode, reason, p)
    try:
        evidence_sheet.register_fonts()
    except evidence_sheet.SheetError as exc:
        log.error("%s", exc)
        raise HTTPException(500, str(exc)) from None
    media = MediaStore(settings.storage.resolved_media_dir, create=False)
    with db.session() as s:  # read only: the clip is decoded outside any write lock
        e = visible_event(s, p, event_id)
        checks = verify(s, media, e.id)
        sheet = evidence_sheet.build(s, e, checks, media, city=settings.areas.city, timezone=settings.timezone,
                                     verify_url=verification_url(request, settings, e.id), version=__version__,
                                     lang=lang, redact=picture_redactor(e) if mode == "redacted" else None)
    pdf = evidence_sheet.render(sheet)
    intact = bool(checks) and all(c.status == "intact" for c in checks)
    with db.write() as s:  # who printed the evidence, and what it said: part of its chain of custody
        audit.record(s, s.get(User, p.user.id), "event.report", "event", event_id, None,
                     {"lang": lang, "files": {c.path: c.status for c in checks}, "intact": intact, "mode": mode},
                     note=reason, ip=client_ip(request))
    name = f"urbanwatch-event-{event_id}-evidence-sheet-{lang}.pdf"
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}"', "X-Evidence-Intact": str(intact).lower(),
        "Cache-Control": "no-store"})
