"""The city's wards, communes, special zone and groups of them: listed for everyone signed in
(the console's filters), changed by admins."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from models import audit
from models.areas import AreaError, area_to_dict, delete_area, list_areas, save_area
from models.schema import Area, User

from ..deps import DbDep, SettingsDep
from ..params import refusals
from ..schemas import AreaOut, AreasOut
from ..security import Principal, admin, client_ip, signed_in

router = APIRouter(prefix="/api/areas", tags=["areas"], responses=refusals(401, 403, 404, 409))
Kind = Literal["ward", "commune", "special_zone", "group"]


class AreaChange(BaseModel):
    kind: Kind
    members: list[str] = Field([], description="A group's wards, communes or special zones")


@router.get("", summary="Wards, communes, special zones and groups, in Vietnamese order", response_model=AreasOut)
def areas(
    db: DbDep,
    settings: SettingsDep,
    p: Principal = Depends(signed_in),
    q: Annotated[str | None, Query(max_length=100, description="Search; diacritics and case ignored")] = None,
    kind: Kind | None = None,
) -> dict:
    with db.session() as s:
        items = [area_to_dict(a) for a in list_areas(s, q, kind)]
    mine = p.scope.filter()
    for a in items:  # what the caller's lists can show
        a["visible"] = mine is None or a["name"] in mine or any(m in mine for m in a["members"])
    return {"city": settings.areas.city, "items": items}


@router.put("/{name}", response_model=AreaOut,
            summary="Add a ward, commune, special zone or group, or change a group's members")
def put_area(name: str, body: AreaChange, request: Request, db: DbDep, p: Principal = Depends(admin)) -> dict:
    with db.write() as s:
        row = s.get(Area, name)
        before = area_to_dict(row) if row is not None else None
        try:
            out = area_to_dict(save_area(s, name, body.kind, body.members))
        except AreaError as exc:
            raise HTTPException(422, str(exc)) from None
        audit.record(s, s.get(User, p.user.id), "area.update" if before else "area.create", "area", out["name"],
                     before, out, ip=client_ip(request))
    return out


@router.delete("/{name}", status_code=204, summary="Remove an area no camera, user or group refers to")
def remove_area(name: str, request: Request, db: DbDep, p: Principal = Depends(admin)) -> None:
    with db.write() as s:
        row = s.get(Area, name)
        if row is None:
            raise HTTPException(404, f"no area {name}")
        before = area_to_dict(row)
        try:
            delete_area(s, name)
        except AreaError as exc:
            raise HTTPException(409, str(exc)) from None
        audit.record(s, s.get(User, p.user.id), "area.delete", "area", name, before, None, ip=client_ip(request))
