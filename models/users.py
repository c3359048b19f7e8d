"""People who use the console: accounts, roles, the wards they see, sessions and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .areas import AreaError, expand, resolve_all
from .schema import ApiToken, LoginFailure, User, UserSession
from .types import utcnow

ROLES = ("operator", "supervisor", "admin")  # each can do what the ones before it can
ROLE_RANK = {r: i for i, r in enumerate(ROLES)}
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class UserError(ValueError):
    pass


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password must have at least {MIN_PASSWORD} characters")


@dataclass(frozen=True)
class Scope:
    """The wards a user may see (their wards and the members of their groups); `None`: the city."""

    wards: frozenset[str] | None

    @property
    def city_wide(self) -> bool:
        return self.wards is None

    def allows(self, ward: str | None) -> bool:
        return self.wards is None or ward in self.wards

    def filter(self) -> list[str] | None:
        return None if self.wards is None else sorted(self.wards)

    def within(self, asked: list[str] | None) -> list[str] | None:
        """The wards to list: those asked for (already expanded) that the user may see."""
        if asked is None:
            return self.filter()
        return sorted(asked) if self.wards is None else sorted(set(asked) & self.wards)

    @classmethod
    def of(cls, user: User, session: Session) -> Scope:
        """Groups are expanded when asked, so a group's new member is seen at once."""
        return cls(None if user.city_wide else expand(session, user.areas or []))


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    areas: list[str] | None = None,
    city_wide: bool = False,
    display_name: str | None = None,
) -> User:
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise UserError("username: 2-64 lowercase letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    areas = checked_areas(session, areas, city_wide)
    check_password_policy(password)
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise UserError(f"user {username} exists already")
    user = User(username=username, display_name=display_name or username, password_hash=hash_password(password),
                role=role, areas=areas, city_wide=city_wide, active=True)
    session.add(user)
    session.flush()
    return user


def checked_areas(session: Session, areas: list[str] | None, city_wide: bool) -> list[str]:
    """The areas' canonical names; an area that does not exist is refused, not stored."""
    try:
        names = resolve_all(session, areas or [])
    except AreaError as exc:
        raise UserError(str(exc)) from None
    if not city_wide and not names:
        raise UserError("give at least one ward, commune or group, or make the user city-wide")
    return names


def get_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def user_to_dict(u: User) -> dict:
    return {"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role,
            "areas": u.areas, "city_wide": u.city_wide, "active": u.active,
            "last_login_at": u.last_login_at.isoformat().replace("+00:00", "Z") if u.last_login_at else None}


def set_active(session: Session, user: User, active: bool) -> None:
    user.active = active
    if not active:  # a disabled account is signed out everywhere at once
        session.execute(delete(UserSession).where(UserSession.user_id == user.id))
        for tok in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
            tok.revoked = True


# ---------------------------------------------------------------------------- sign-in
def authenticate(session: Session, username: str, password: str) -> User | None:
    user = get_user(session, username)
    if user is None:
        verify_password(_DUMMY_HASH, password)  # same work either way: no timing hint
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


_DUMMY_HASH = _hasher.hash("urbanwatch-timing-equaliser")


def record_login_failure(session: Session, username: str, ip: str, at: datetime) -> None:
    session.add(LoginFailure(username=username.strip().lower()[:64], ip=ip[:64], at=at))


def recent_failures(session: Session, username: str, ip: str, since: datetime) -> tuple[int, int]:
    """Failed sign-ins since `since`: (for this username, from this address)."""
    by_user = session.scalar(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.username == username.strip().lower(), LoginFailure.at >= since)) or 0
    by_ip = session.scalar(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.ip == ip, LoginFailure.at >= since)) or 0
    return by_user, by_ip


def clear_failures(session: Session, username: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.username == username.strip().lower()))


def create_session(session: Session, user: User, ttl: timedelta, user_agent: str | None) -> tuple[str, str]:
    """Returns (session token for the cookie, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    now = utcnow()
    session.add(UserSession(token_hash=_digest(token), csrf_token=csrf, user_id=user.id, created_at=now,
                            expires_at=now + ttl, user_agent=(user_agent or "")[:300]))
    user.last_login_at = now
    # sessions that ran out are removed as new ones are made
    session.execute(delete(UserSession).where(UserSession.expires_at < now))
    return token, csrf


def resolve_session(session: Session, token: str) -> UserSession | None:
    s = session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token)))
    if s is None or s.expires_at < utcnow() or not s.user.active:
        return None
    return s


def end_session(session: Session, token: str) -> None:
    session.execute(delete(UserSession).where(UserSession.token_hash == _digest(token)))


def create_api_token(session: Session, user: User, name: str) -> str:
    token = "uwt_" + secrets.token_urlsafe(32)
    session.add(ApiToken(token_hash=_digest(token), name=name[:100], user_id=user.id))
    return token


def resolve_api_token(session: Session, token: str) -> ApiToken | None:
    t = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if t is None or t.revoked or not t.user.active:
        return None
    return t
