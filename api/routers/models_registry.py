"""The detector model registry (admins): which model is live, promotion, rollback and shadow mode.

The API only writes the registry: workers poll it and load the live model themselves; while no
registry model is live they run the configuration's `detector.model`. Models are registered from
the command line (`urbanwatch models register`) or by training, never here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from models import registry
from models.registry import RegistryError
from models.schema import DetectorModel, User

from ..deps import DbDep
from ..params import refusals
from ..schemas import DetectorModelOut, DetectorModelsOut, RollbackOut, ShadowComparisonOut
from ..security import Principal, admin, client_ip

router = APIRouter(prefix="/api/models", tags=["models"], responses=refusals(401, 403, 404, 409))
ModelRef = Annotated[str, PathParam(min_length=1, max_length=80,
                                    description="The model's id, version label (v3) or SHA-256 prefix (8+ characters)")]


class PromoteBody(BaseModel):
    note: str | None = Field(None, max_length=2000, description="Why, for the audit log")


class RollbackBody(BaseModel):
    note: str = Field(min_length=1, max_length=2000, description="Why the live model is withdrawn (required)")


class ShadowBody(BaseModel):
    share: float = Field(gt=0, le=1, description="Share of frames the model sees beside the live one (0.25: 25 %)")


def _model(s: Session, ref: str) -> DetectorModel:
    try:
        return registry.get(s, ref)
    except RegistryError as exc:
        raise HTTPException(404, str(exc)) from None


def _refused(exc: RegistryError) -> HTTPException:
    return HTTPException(409, str(exc))


def _note(text: str | None) -> str | None:
    return (text or "").strip() or None


@router.get("", response_model=DetectorModelsOut,
            summary="The registry, newest first, with the live model, the one in shadow mode and the configuration's")
def list_models(request: Request, db: DbDep, p: Principal = Depends(admin)) -> dict:
    with db.session() as s:
        current, shadow = registry.live(s), registry.in_shadow(s)
        return {"models": [registry.model_to_dict(m) for m in registry.all_models(s)],
                "live": current.id if current is not None else None,
                "shadow": shadow.id if shadow is not None else None,
                "configured": {"model": Path(request.app.state.settings.detector.model).name}}


@router.post("/rollback", response_model=RollbackOut,
             summary="Withdraw the live model: the one it replaced is live again (none: the configuration's)")
def rollback(body: RollbackBody, request: Request, db: DbDep, p: Principal = Depends(admin)) -> dict:
    note = _note(body.note)
    if note is None:
        raise HTTPException(422, "note: a rollback needs a note saying why")
    with db.write() as s:
        try:
            previous = registry.rollback(s, s.get(User, p.user.id), note=note, ip=client_ip(request))
        except RegistryError as exc:
            raise _refused(exc) from None
        return {"live": registry.model_to_dict(previous) if previous is not None else None}


@router.post("/{ref}/promote", response_model=DetectorModelOut,
             summary="Make a model the live one (workers switch to it); the one live before is kept for a rollback")
def promote(ref: ModelRef, body: PromoteBody, request: Request, db: DbDep, p: Principal = Depends(admin)) -> dict:
    with db.write() as s:
        m = _model(s, ref)
        try:
            registry.promote(s, m, s.get(User, p.user.id), note=_note(body.note), ip=client_ip(request))
        except RegistryError as exc:
            raise _refused(exc) from None
        return registry.model_to_dict(m)


@router.post("/{ref}/shadow", response_model=DetectorModelOut,
             summary="Run a candidate in shadow mode beside the live model on a share of frames (one at a time)")
def start_shadow(ref: ModelRef, body: ShadowBody, request: Request, db: DbDep,
                 p: Principal = Depends(admin)) -> dict:
    with db.write() as s:
        m = _model(s, ref)
        try:
            registry.start_shadow(s, m, body.share, s.get(User, p.user.id), ip=client_ip(request))
        except RegistryError as exc:
            raise _refused(exc) from None
        return registry.model_to_dict(m)


@router.delete("/{ref}/shadow", response_model=DetectorModelOut,
               summary="Stop shadow mode; the comparison as it stood is kept in the model's metrics")
def stop_shadow(ref: ModelRef, request: Request, db: DbDep, p: Principal = Depends(admin)) -> dict:
    with db.write() as s:
        m = _model(s, ref)
        try:
            registry.stop_shadow(s, m, s.get(User, p.user.id), ip=client_ip(request))
        except RegistryError as exc:
            raise _refused(exc) from None
        return registry.model_to_dict(m)


@router.get("/{ref}/shadow", response_model=ShadowComparisonOut,
            summary="The shadow model against the live one: agreed, extra, missed (now, or as it stood when stopped)")
def shadow_comparison(ref: ModelRef, db: DbDep, p: Principal = Depends(admin)) -> dict:
    with db.session() as s:
        m = _model(s, ref)
        if m.shadow_share is not None:
            return {**registry.compare_shadow(s, m), "running": True}
        kept = (m.metrics or {}).get("shadow")
        if not kept:
            raise HTTPException(404, f"v{m.version} has not run in shadow mode")
        return {**kept, "running": False}
