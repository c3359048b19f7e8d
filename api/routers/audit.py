"""The whole audit log (admins; each event shows its own entries in its timeline)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from models.audit import entries, entry_to_dict

from ..deps import DbDep
from ..params import Offset, refusals
from ..schemas import AuditEntryOut
from ..security import Principal, admin

router = APIRouter(prefix="/api/audit", tags=["audit"], responses=refusals(401, 403))


@router.get("", response_model=list[AuditEntryOut], summary="Audit entries, newest first")
def audit_log(
    db: DbDep,
    p: Principal = Depends(admin),
    target_type: Annotated[str | None, Query(description="event, user, camera")] = None,
    target_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[dict]:
    with db.session() as s:
        return [entry_to_dict(e) for e in entries(s, target_type, target_id, limit, offset)]
