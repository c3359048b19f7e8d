"""Sign-in and sign-out for the console."""

from datetime import timedelta

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from models.types import utcnow
from models.users import (
    authenticate,
    clear_failures,
    create_session,
    end_session,
    recent_failures,
    record_login_failure,
    user_to_dict,
)

from ..security import CSRF_COOKIE, SESSION_COOKIE, Principal, client_ip, signed_in

router = APIRouter(prefix="/api/auth", tags=["auth"])

SESSION_TTL = timedelta(hours=12)  # one shift
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


@router.post("/login", summary="Sign in; sets the session cookie")
def login(body: Credentials, request: Request, response: Response) -> dict:
    db = request.app.state.db
    ip = client_ip(request)
    with db.write() as s:
        by_user, by_ip = recent_failures(s, body.username, ip, utcnow() - FAILURE_WINDOW)
        if by_user >= MAX_FAILURES_PER_USER or by_ip >= MAX_FAILURES_PER_ADDRESS:
            raise HTTPException(429, "too many failed sign-ins; try again in 15 minutes",
                                headers={"Retry-After": str(int(FAILURE_WINDOW.total_seconds()))})
        user = authenticate(s, body.username, body.password)
        if user is None:
            record_login_failure(s, body.username, ip, utcnow())
        else:
            clear_failures(s, body.username)
            token, csrf = create_session(s, user, SESSION_TTL, request.headers.get("user-agent"))
            me = user_to_dict(user)
    if user is None:
        raise HTTPException(401, "wrong username or password")
    secure = request.url.scheme == "https"
    age = int(SESSION_TTL.total_seconds())
    response.set_cookie(SESSION_COOKIE, token, max_age=age, httponly=True, samesite="strict", secure=secure)
    response.set_cookie(CSRF_COOKIE, csrf, max_age=age, httponly=False, samesite="strict", secure=secure)
    return {"user": me, "csrf_token": csrf}


@router.post("/logout", summary="Sign out")
def logout(request: Request, response: Response, p: Principal = Depends(signed_in)) -> dict:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with request.app.state.db.write() as s:
            end_session(s, token)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return {"ok": True}


@router.get("/me", summary="Who is signed in, and the CSRF token for unsafe requests")
def me(p: Principal = Depends(signed_in)) -> dict:
    return {"user": user_to_dict(p.user), "csrf_token": p.csrf}
