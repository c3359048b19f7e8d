"""The evidence package of an event, as one ZIP with its checksums."""

import json
import tempfile
import zipfile
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import StreamingResponse

from models import audit
from models.evidence import verify
from models.media import MediaStore
from models.schema import User

from ..deps import DbDep, SettingsDep
from ..params import EventId, refusals
from ..security import Principal, client_ip, signed_in
from .events import visible_event

router = APIRouter(prefix="/api/events", tags=["evidence"], responses=refusals(401, 403, 404))


@router.get("/{event_id}/evidence.zip", summary="The event's evidence package: files, metadata, SHA-256 sums",
            response_class=StreamingResponse)
def evidence_zip(event_id: EventId, request: Request, db: DbDep, settings: SettingsDep,
                 p: Principal = Depends(signed_in)):
    media = MediaStore(settings.storage.resolved_media_dir, create=False)
    with db.write() as s:
        e = visible_event(s, p, event_id)
        checks = verify(s, media, e.id)
        if not checks or all(c.status == "missing" for c in checks):
            raise HTTPException(410 if e.media_purged_at else 404, "no evidence files for this event")
        intact = all(c.status == "intact" for c in checks)
        # who took the evidence, and when: part of its chain of custody
        audit.record(s, s.get(User, p.user.id), "event.export", "event", e.id, None,
                     {"files": [c.path for c in checks], "intact": intact}, ip=client_ip(request))
    spool = tempfile.SpooledTemporaryFile(max_size=32 << 20)
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as z:  # JPEG and MP4 are compressed already
        sums = []
        for c in checks:
            if c.status != "missing":
                z.write(media.path(c.path), arcname=Path(c.path).name)
            sums.append(f"{c.expected}  {Path(c.path).name}")
        z.writestr("SHA256SUMS", "\n".join(sums) + "\n")
        z.writestr("verification.json", json.dumps({
            "event_id": event_id, "intact": intact,
            "files": [{"kind": c.kind, "file": Path(c.path).name, "sha256_recorded": c.expected,
                       "sha256_now": c.actual, "status": c.status} for c in checks],
        }, indent=2))
    spool.seek(0)
    name = f"urbanwatch-event-{event_id}-evidence.zip"
    return StreamingResponse(spool, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Evidence-Intact": str(intact).lower()})
