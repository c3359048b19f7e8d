"""Accounts (admins only)."""

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from models import audit
from models.schema import User
from models.users import UserError, checked_areas, clear_failures, create_user, list_users, set_active, user_to_dict

from ..deps import DbDep
from ..params import UserId, refusals
from ..schemas import UserOut
from ..security import Principal, admin, client_ip

router = APIRouter(prefix="/api/users", tags=["users"], responses=refusals(401, 403, 404))
Role = Literal["operator", "supervisor", "admin"]


class NewUser(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=200)
    role: Role
    areas: list[str] = Field([], description="Wards, communes, special zones or groups the user sees")
    city_wide: bool = False
    display_name: str | None = Field(None, max_length=200)


class UserChange(BaseModel):
    role: Role | None = None
    areas: list[str] | None = None
    city_wide: bool | None = None
    active: bool | None = None
    display_name: str | None = Field(None, max_length=200)


@router.get("", summary="All accounts", response_model=list[UserOut])
def users(db: DbDep, p: Principal = Depends(admin)) -> list[dict]:
    with db.session() as s:
        return [user_to_dict(u) for u in list_users(s)]


@router.post("", status_code=201, summary="Create an account", response_model=UserOut)
def add_user(body: NewUser, request: Request, db: DbDep, p: Principal = Depends(admin)) -> dict:
    with db.write() as s:
        try:
            u = create_user(s, body.username, body.password, body.role, body.areas, body.city_wide,
                            body.display_name)
        except UserError as exc:
            raise HTTPException(422, str(exc)) from None
        out = user_to_dict(u)
        audit.record(s, s.get(User, p.user.id), "user.create", "user", u.id, None, out, ip=client_ip(request))
    return out


@router.post("/{user_id}/unlock", summary="Clear an account's failed sign-ins")
def unlock_user(user_id: UserId, request: Request, db: DbDep, p: Principal = Depends(admin)) -> dict:
    with db.write() as s:
        u = s.get(User, user_id)
        if u is None:
            raise HTTPException(404, f"no user {user_id}")
        n = clear_failures(s, u.username)
        audit.record(s, s.get(User, p.user.id), "user.unlock", "user", u.id, note=f"{n} failures cleared",
                     ip=client_ip(request))
    return {"cleared": n}


@router.patch("/{user_id}", summary="Change role, areas or status of an account", response_model=UserOut)
def change_user(user_id: UserId, body: UserChange, request: Request, db: DbDep, p: Principal = Depends(admin)) -> dict:
    with db.write() as s:
        u = s.get(User, user_id)
        if u is None:
            raise HTTPException(404, f"no user {user_id}")
        if u.id == p.user.id and (body.active is False or (body.role and body.role != "admin")):
            raise HTTPException(422, "you cannot disable or demote your own account")
        before = user_to_dict(u)
        for field in ("role", "city_wide", "display_name"):
            value = getattr(body, field)
            if value is not None:
                setattr(u, field, value)
        try:
            u.areas = checked_areas(s, u.areas if body.areas is None else body.areas, u.city_wide)
        except UserError as exc:
            raise HTTPException(422, str(exc)) from None
        if body.active is not None:
            set_active(s, u, body.active)
        after = user_to_dict(u)
        audit.record(s, s.get(User, p.user.id), "user.update", "user", u.id, before, after, ip=client_ip(request))
    return after
