"""Sign-in and sign-out for the console."""

from datetime import timedelta

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from models.schema import User
from models.types import utcnow
from models.users import (
    LoginLimits,
    book_login_attempt,
    create_session,
    end_session,
    finish_login,
    password_matches,
    password_record,
    user_to_dict,
)

from ..deps import DbDep
from ..params import refusals
from ..schemas import MeOut
from ..security import CSRF_COOKIE, SESSION_COOKIE, Principal, client_ip, signed_in

router = APIRouter(prefix="/api/auth", tags=["auth"], responses=refusals(401, 403, 429))

SESSION_TTL = timedelta(hours=12)  # one shift
LIMITS = LoginLimits()


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


@router.post("/login", response_model=MeOut, summary="Sign in; sets the session cookie")
def login(body: Credentials, request: Request, response: Response, db: DbDep) -> dict:
    ip = client_ip(request)
    with db.write() as s:  # short: count and book this attempt, nothing slow under the write lock
        booked = book_login_attempt(s, body.username, ip, utcnow(), LIMITS)
    if not booked:
        raise HTTPException(429, "too many failed sign-ins; try again in 15 minutes",
                            headers={"Retry-After": str(int(LIMITS.window.total_seconds()))})
    with db.session() as s:
        record = password_record(s, body.username)
    if not password_matches(record, body.password):  # argon2: ~50 ms of CPU, with no lock held
        raise HTTPException(401, "wrong username or password")
    with db.write() as s:
        user = s.get(User, record[0])
        finish_login(s, user, body.password, ip)
        token, csrf = create_session(s, user, SESSION_TTL, request.headers.get("user-agent"), ip)
        me = user_to_dict(user)
    secure = request.url.scheme == "https"
    age = int(SESSION_TTL.total_seconds())
    response.set_cookie(SESSION_COOKIE, token, max_age=age, httponly=True, samesite="strict", secure=secure)
    response.set_cookie(CSRF_COOKIE, csrf, max_age=age, httponly=False, samesite="strict", secure=secure)
    return {"user": me, "csrf_token": csrf}


@router.post("/logout", summary="Sign out")
def logout(request: Request, response: Response, db: DbDep, p: Principal = Depends(signed_in)) -> dict:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with db.write() as s:
            end_session(s, token)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return {"ok": True}


@router.get("/me", response_model=MeOut, summary="Who is signed in, and the CSRF token for unsafe requests")
def me(p: Principal = Depends(signed_in)) -> dict:
    return {"user": user_to_dict(p.user), "csrf_token": p.csrf}
