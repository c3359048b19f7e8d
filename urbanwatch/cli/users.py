"""`urbanwatch users ...`: accounts from the command line (the first admin, scripted set-ups)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from .common import ConfigOption, console, fail, load_settings, open_database

users_app = typer.Typer(help="Manage console accounts: operators, supervisors and admins.", no_args_is_help=True)


def _db(config: Path):
    return open_database(load_settings(config))


def _password(password_stdin: bool, confirm: bool = True) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=confirm)


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Sign-in name: lowercase letters, digits, '.', '_', '-'.")],
    role: Annotated[str, typer.Option(help="operator, supervisor or admin.")] = "operator",
    area: Annotated[
        list[str] | None,
        typer.Option(help="A ward, commune, special zone or group the user sees (repeatable), e.g. "
                     "--area 'Bến Thành'; without diacritics works where the name is unique. "
                     "`urbanwatch areas` lists them."),
    ] = None,
    city_wide: Annotated[bool, typer.Option("--city-wide", help="The user sees the whole city.")] = False,
    display_name: Annotated[str | None, typer.Option(help="Full name shown in the console and audit log.")] = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input.")] = False,
    config: ConfigOption = Path("config.yaml"),
) -> None:
    """Create an account. The password is asked for (at least 10 characters)."""
    from models import audit
    from models.users import UserError, create_user

    db = _db(config)
    password = _password(password_stdin)
    try:
        with db.write() as s:
            u = create_user(s, username, password, role, area or [], city_wide, display_name)
            audit.record(s, None, "user.create", "user", u.id, None,
                         {"username": u.username, "role": u.role, "areas": u.areas, "city_wide": u.city_wide},
                         note="urbanwatch users add")
            scope = "the whole city" if u.city_wide else ", ".join(u.areas)
    except UserError as exc:
        fail(str(exc))
    console.print(f"created {username} ({role}; {scope})", highlight=False)


@users_app.command("list")
def list_(config: ConfigOption = Path("config.yaml")) -> None:
    """List accounts."""
    from models.users import list_users

    db = _db(config)
    table = Table()
    for col in ("username", "name", "role", "areas", "active", "last sign-in"):
        table.add_column(col)
    with db.session() as s:
        for u in list_users(s):
            last = u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "-"
            scope = "city-wide" if u.city_wide else ", ".join(u.areas)
            table.add_row(u.username, u.display_name, u.role, scope, "yes" if u.active else "no", last)
    console.print(table)


def _set_active(username: str, active: bool, config: Path) -> None:
    from models import audit
    from models.users import get_user, set_active, user_to_dict

    db = _db(config)
    with db.write() as s:
        u = get_user(s, username)
        if u is None:
            fail(f"no user {username}")
        before = user_to_dict(u)
        set_active(s, u, active)
        audit.record(s, None, "user.update", "user", u.id, before, user_to_dict(u),
                     note=f"urbanwatch users {'enable' if active else 'disable'}")
    console.print(f"{username} {'enabled' if active else 'disabled (signed out everywhere)'}")


@users_app.command("disable")
def disable(username: str, config: ConfigOption = Path("config.yaml")) -> None:
    """Disable an account: it can no longer sign in, and its sessions and tokens end now."""
    _set_active(username, False, config)


@users_app.command("enable")
def enable(username: str, config: ConfigOption = Path("config.yaml")) -> None:
    """Enable a disabled account again."""
    _set_active(username, True, config)


@users_app.command("unlock")
def unlock(username: str, config: ConfigOption = Path("config.yaml")) -> None:
    """Clear an account's failed sign-ins, so that it can sign in again at once."""
    from models import audit
    from models.users import clear_failures, get_user

    db = _db(config)
    with db.write() as s:
        u = get_user(s, username)
        if u is None:
            fail(f"no user {username}")
        n = clear_failures(s, u.username)
        audit.record(s, None, "user.unlock", "user", u.id, note=f"urbanwatch users unlock ({n} failures cleared)")
    console.print(f"{username}: {n} failed sign-ins cleared")


@users_app.command("password")
def password(
    username: str,
    password_stdin: Annotated[bool, typer.Option(help="Read the new password from standard input.")] = False,
    config: ConfigOption = Path("config.yaml"),
) -> None:
    """Set a new password for an account; every session and token it had ends (open consoles too)."""
    from models import audit
    from models.users import UserError, change_password, check_password_policy, get_user

    db = _db(config)
    new = _password(password_stdin)
    try:
        check_password_policy(new)
    except UserError as exc:
        fail(str(exc))
    with db.write() as s:
        u = get_user(s, username)
        if u is None:
            fail(f"no user {username}")
        change_password(s, u, new)
        audit.record(s, None, "user.password", "user", u.id, note="urbanwatch users password")
    console.print(f"password of {username} changed; its sessions and tokens ended")


@users_app.command("token")
def token(
    username: str,
    name: Annotated[str, typer.Option(help="What the token is for (shown in the audit log).")] = "api",
    config: ConfigOption = Path("config.yaml"),
) -> None:
    """Create a bearer token for an API client acting as this user; it is printed once."""
    from models import audit
    from models.users import create_api_token, get_user

    db = _db(config)
    with db.write() as s:
        u = get_user(s, username)
        if u is None or not u.active:
            fail(f"no active user {username}")
        tok = create_api_token(s, u, name)
        audit.record(s, None, "user.token", "user", u.id, None, {"token_name": name}, note="urbanwatch users token")
    print(tok)


def areas(
    query: Annotated[str | None, typer.Argument(help="Search: diacritics and case ignored ('ben thanh').")] = None,
    config: ConfigOption = Path("config.yaml"),
) -> None:
    """List the city's wards, communes, special zone and groups, in Vietnamese order."""
    from models.areas import label, list_areas

    db = _db(config)
    table = Table()
    for col in ("name", "kind", "members"):
        table.add_column(col)
    with db.session() as s:
        found = list_areas(s, query)
        for a in found:
            table.add_row(label(a.name, a.kind), a.kind, ", ".join(a.members or []))
    console.print(table)
    console.print(f"{len(found)} area(s)", highlight=False)
