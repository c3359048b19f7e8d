"""People who use the console: accounts, roles, the wards they see, sessions and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from . import feed
from .areas import AreaError, expand, resolve_all
from .schema import ApiToken, LoginFailure, User, UserSession
from .types import utcnow

ROLES = ("operator", "supervisor", "admin")  # each can do what the ones before it can
ROLE_RANK = {r: i for i, r in enumerate(ROLES)}
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 200  # what the sign-in form and API accept: a longer one could never be used

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
    if len(password) > MAX_PASSWORD:
        raise UserError(f"password must have at most {MAX_PASSWORD} characters")


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


REVOKED = "auth.revoked"  # a feed entry no console receives: API servers close that user's sockets


def announce_revoked(session: Session, user_id: int, session_id: int | None = None) -> None:
    """Tells every API server (through the feed, so across machines too) that credentials of this
    user ended: one browser session, or all of them with every token. Open WebSockets signed in
    with them check again and close."""
    feed.append(session, REVOKED, {"type": REVOKED, "user_id": user_id, "session_id": session_id})


def sign_out_everywhere(session: Session, user: User) -> None:
    """Every session and token of the account ends now, open sockets included."""
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    for tok in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))):
        tok.revoked = True
    announce_revoked(session, user.id)


def set_active(session: Session, user: User, active: bool) -> None:
    user.active = active
    if not active:  # a disabled account is signed out everywhere at once
        sign_out_everywhere(session, user)


def change_password(session: Session, user: User, password: str) -> None:
    """A new password ends every session and token made with the old one (they may be stolen)."""
    check_password_policy(password)
    user.password_hash = hash_password(password)
    sign_out_everywhere(session, user)


# ---------------------------------------------------------------------------- sign-in
@dataclass(frozen=True)
class LoginLimits:
    """Failed sign-ins allowed per `window`. An account is limited per address first, so that a
    stranger guessing an admin's password from elsewhere does not lock the admin out at their own
    desk; the account's cap over all addresses stops a guess spread over many, except from the
    address the account last signed in from (admins can also clear it: `urbanwatch users unlock`)."""

    window: timedelta = timedelta(minutes=15)
    per_account_address: int = 5
    per_address: int = 20
    per_account: int = 20


_LOGIN_LOCK_KEY = 0x75726C67  # "urlg": PostgreSQL serialises the booking of sign-in attempts on it


def book_login_attempt(session: Session, username: str, ip: str, now: datetime, limits: LoginLimits) -> bool:
    """Counts earlier failures and books this attempt as one more, in one step that parallel
    attempts cannot interleave (the write lock on SQLite, an advisory lock on PostgreSQL). The
    booking stays a failure unless the password turns out right. False: a limit is reached."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOGIN_LOCK_KEY})
    username, since = username.strip().lower()[:64], now - limits.window

    def failures(*where) -> int:
        q = select(func.count()).select_from(LoginFailure).where(LoginFailure.at >= since, *where)
        return session.scalar(q) or 0

    known = session.scalar(select(User.last_login_ip).where(User.username == username))
    if (failures(LoginFailure.username == username, LoginFailure.ip == ip) >= limits.per_account_address
            or failures(LoginFailure.ip == ip) >= limits.per_address
            or (ip != known and failures(LoginFailure.username == username) >= limits.per_account)):
        return False
    session.add(LoginFailure(username=username, ip=ip[:64], at=now))
    return True


def password_record(session: Session, username: str) -> tuple[int, str] | None:
    """(user id, password hash) of an active account, read without holding any lock."""
    row = session.execute(select(User.id, User.password_hash).where(
        User.username == username.strip().lower(), User.active.is_(True))).first()
    return None if row is None else (row[0], row[1])


def password_matches(record: tuple[int, str] | None, password: str) -> bool:
    """The slow argon2 check, outside any transaction; the same work for an unknown account."""
    return verify_password(record[1] if record else _dummy_hash(), password) and record is not None


def finish_login(session: Session, user: User, password: str, ip: str) -> None:
    """The password was right: this address's failures for the account go (a stranger's elsewhere
    stay counted), and an old hash is brought up to date."""
    session.execute(delete(LoginFailure).where(LoginFailure.username == user.username, LoginFailure.ip == ip[:64]))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)


@cache
def _dummy_hash() -> str:  # made on first use, not when the module is imported
    return _hasher.hash("urbanwatch-timing-equaliser")


def clear_failures(session: Session, username: str) -> int:
    return session.execute(delete(LoginFailure).where(LoginFailure.username == username.strip().lower())).rowcount


def create_session(session: Session, user: User, ttl: timedelta, user_agent: str | None,
                   ip: str | None = None) -> tuple[str, str]:
    """Returns (session token for the cookie, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    now = utcnow()
    session.add(UserSession(token_hash=_digest(token), csrf_token=csrf, user_id=user.id, created_at=now,
                            expires_at=now + ttl, user_agent=(user_agent or "")[:300]))
    user.last_login_at = now
    if ip is not None:
        user.last_login_ip = ip[:64]
    # sessions that ran out are removed as new ones are made
    session.execute(delete(UserSession).where(UserSession.expires_at < now))
    return token, csrf


def resolve_session(session: Session, token: str) -> UserSession | None:
    s = session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token)))
    if s is None or s.expires_at < utcnow() or not s.user.active:
        return None
    return s


def end_session(session: Session, token: str) -> None:
    """Signing out: this browser's session ends, and its open sockets with it."""
    row = session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token)))
    if row is not None:
        session.delete(row)
        announce_revoked(session, row.user_id, row.id)


def create_api_token(session: Session, user: User, name: str) -> str:
    token = "uwt_" + secrets.token_urlsafe(32)
    session.add(ApiToken(token_hash=_digest(token), name=name[:100], user_id=user.id))
    return token


def resolve_api_token(session: Session, token: str) -> ApiToken | None:
    t = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if t is None or t.revoked or not t.user.active:
        return None
    return t
