"""Who is asking, and what they may do: the dependencies every endpoint declares.

- Browsers sign in and hold an HttpOnly, SameSite=Strict session cookie; unsafe methods must
  also send the session's CSRF token in `X-CSRF-Token` (the console reads it from /api/auth/me).
- API clients send `Authorization: Bearer <token>` (see `urbanwatch users token`); no CSRF
  applies, as no browser sends that header on its own.
- Roles: operator < supervisor < admin. Each user sees only their wards (named, or in their groups),
  unless city-wide.
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from functools import cache

from fastapi import Depends, HTTPException, Request, WebSocket
from sqlalchemy.orm import Session

from models import Database
from models.areas import AreaError, expand, resolve
from models.schema import User
from models.users import ROLE_RANK, Scope, resolve_api_token, resolve_session

SESSION_COOKIE = "uw_session"
CSRF_COOKIE = "uw_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Principal:
    user: User
    scope: Scope
    via: str  # "session" or "token"
    csrf: str | None = None
    session_id: int | None = None  # the browser session it signed in with

    def revoked_by(self, message: dict) -> bool:
        """An auth.revoked feed entry that may concern these credentials (check them again)."""
        return message.get("user_id") == self.user.id and message.get("session_id") in (None, self.session_id)

    @property
    def role(self) -> str:
        return self.user.role

    def can(self, role: str) -> bool:
        return ROLE_RANK[self.user.role] >= ROLE_RANK[role]


def wards_asked(session: Session, p: Principal, ward: list[str] | None, area: list[str] | None) -> list[str] | None:
    """The wards a list is limited to: `ward` (exact names) and `area` (a ward, commune or group,
    diacritics optional), within what the caller may see. None: no limit (a city-wide caller who
    asked for nothing); [] lists nothing."""
    if ward is None and area is None:
        return p.scope.filter()
    asked = set(ward or [])
    try:
        asked |= expand(session, [resolve(session, a).name for a in area or []])
    except AreaError as exc:
        raise HTTPException(422, str(exc)) from None
    return p.scope.within(sorted(asked))


def client_ip(request: Request | WebSocket) -> str:
    """The client's address: the peer, or, behind a configured proxy (`server.trusted_proxies`), the
    last address in X-Forwarded-For that is not one of those proxies."""
    peer = request.client.host if request.client else "?"
    trusted = _networks(tuple(request.app.state.settings.server.trusted_proxies))
    if not trusted or not _within(peer, trusted):
        return peer
    for hop in reversed([h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]):
        if not _within(hop, trusted):
            return hop[:64]
    return peer


@cache
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def within(address: str, networks: list[str]) -> bool:
    """The address is in one of the networks ("10.0.0.0/8", "127.0.0.1")."""
    return _within(address, _networks(tuple(networks)))


def _within(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in networks)


def resolve_principal(db: Database, cookie: str | None, authorization: str | None) -> Principal | None:
    with db.session() as s:
        if authorization and authorization.lower().startswith("bearer "):
            tok = resolve_api_token(s, authorization[7:].strip())
            if tok is None:
                return None
            s.expunge_all()
            scope = Scope.of(tok.user, s)
            s.expunge_all()
            return Principal(tok.user, scope, "token")
        if cookie:
            sess = resolve_session(s, cookie)
            if sess is None:
                return None
            user, csrf, session_id = sess.user, sess.csrf_token, sess.id
            scope = Scope.of(user, s)
            s.expunge_all()
            return Principal(user, scope, "session", csrf, session_id)
    return None


def current_principal(request: Request) -> Principal:
    p = resolve_principal(request.app.state.db, request.cookies.get(SESSION_COOKIE),
                          request.headers.get("authorization"))
    if p is None:
        raise HTTPException(401, "sign in first", headers={"WWW-Authenticate": "Bearer"})
    if request.method not in SAFE_METHODS and p.via == "session":
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not secrets.compare_digest(sent, p.csrf or ""):
            raise HTTPException(403, "missing or wrong CSRF token (send X-CSRF-Token)")
    return p


def require(role: str):
    """Dependency: the caller must have at least this role."""

    def dependency(p: Principal = Depends(current_principal)) -> Principal:
        if not p.can(role):
            raise HTTPException(403, f"this needs the {role} role; you are {p.role}")
        return p

    dependency.__name__ = f"require_{role}"
    return dependency


signed_in = require("operator")
supervisor = require("supervisor")
admin = require("admin")


def websocket_principal(websocket: WebSocket) -> Principal | None:
    """Sign-in for the WebSocket: the session cookie from the same origin, or a bearer token."""
    cookie = websocket.cookies.get(SESSION_COOKIE)
    auth = websocket.headers.get("authorization")
    if cookie and not auth:
        # A cookie rides along with any page's WebSocket: accept it only from our own pages.
        origin = websocket.headers.get("origin")
        host = websocket.headers.get("host")
        if origin is not None and origin.split("://", 1)[-1] != host:
            return None
    return resolve_principal(websocket.app.state.db, cookie, auth)
