"""Administrative areas: the wards, communes and special zone a camera belongs to, and groups of them
(a team's wards, a former district). Loaded from the configuration at start-up; admins may add and
change them in the console, and what they change is kept over the configuration."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .schema import Area, Camera, User
from .vietnamese import fold, matches, sort_key

UNIT_KINDS = ("ward", "commune", "special_zone")
KINDS = (*UNIT_KINDS, "group")
# How a unit is written in an address and in lists.
KIND_PREFIX = {"ward": "Phường", "commune": "Xã", "special_zone": "Đặc khu"}


class AreaError(ValueError):
    pass


def label(name: str, kind: str | None) -> str:
    """ "Phường Bến Thành", "Xã Thạnh An"; a group or an unknown kind is its bare name."""
    prefix = KIND_PREFIX.get(kind or "")
    return f"{prefix} {name}" if prefix else name


def address(ward: str, kind: str | None, city: str) -> str:
    """The administrative address since 1 July 2025: ward or commune, then the city."""
    return f"{label(ward, kind)}, {city}"


def area_to_dict(a: Area) -> dict:
    return {"name": a.name, "kind": a.kind, "label": label(a.name, a.kind),
            "members": list(a.members or []) if a.kind == "group" else [], "edited": a.edited}


def list_areas(session: Session, query: str | None = None, kind: str | None = None) -> list[Area]:
    """In Vietnamese dictionary order; `query` ignores diacritics and case ('ben thanh')."""
    rows = session.scalars(select(Area) if kind is None else select(Area).where(Area.kind == kind))
    found = [a for a in rows if not query or matches(query, a.name) or matches(query, label(a.name, a.kind))]
    return sorted(found, key=lambda a: (a.kind == "group", sort_key(a.name)))


def kinds_of(session: Session, names) -> dict[str, str]:
    names = list(set(names))
    if not names:
        return {}
    return dict(session.execute(select(Area.name, Area.kind).where(Area.name.in_(names))).all())


def resolve(session: Session, name: str) -> Area:
    """The area an operator meant: its exact name, or the one name that reads the same without
    diacritics and case. Anything else is refused with what there is to choose from."""
    name = " ".join(name.split())
    area = session.get(Area, name)
    if area is not None:
        return area
    bare = name
    for prefix in KIND_PREFIX.values():  # "Phường Bến Thành" names the ward "Bến Thành"
        bare = bare.removeprefix(f"{prefix} ")
    key = fold(bare)
    every = list(session.scalars(select(Area)))
    close = [a for a in every if fold(a.name) == key]
    if len(close) == 1:
        return close[0]
    if close:
        raise AreaError(f"'{name}' could be {' or '.join(sorted(label(a.name, a.kind) for a in close))}: "
                        "write it with its diacritics")
    near = [a for a in every if key and matches(name, a.name)][:5]
    hint = f" (did you mean {', '.join(label(a.name, a.kind) for a in near)}?)" if near else ""
    raise AreaError(f"no ward, commune, special zone or group named '{name}'{hint}; "
                    "list them with `urbanwatch areas` or GET /api/areas")


def resolve_all(session: Session, names: list[str]) -> list[str]:
    return sorted({resolve(session, n).name for n in names if n.strip()}, key=sort_key)


def expand(session: Session, names) -> frozenset[str]:
    """The units that names stand for: a unit itself, a group its members. A group's own name is
    kept too: rows written before the reform carry a former district's name (see migration 0004)."""
    names = set(names)
    out = set(names)
    for a in session.scalars(select(Area).where(Area.name.in_(names), Area.kind == "group")):
        out.update(a.members or [])
    return frozenset(out)


def sync_areas(session: Session, units: list[tuple[str, str]], groups: list[tuple[str, list[str]]]) -> None:
    """Make the table hold the configuration's areas. Areas an admin changed in the console stay
    as the admin left them; areas the configuration no longer names stay too (cameras, events and
    users may refer to them)."""
    for name, kind, members in [*((n, k, []) for n, k in units), *((n, "group", m) for n, m in groups)]:
        row = session.get(Area, name)
        if row is None:
            session.add(Area(name=name, kind=kind, members=members))
        elif not row.edited:
            row.kind, row.members = kind, members


def save_area(session: Session, name: str, kind: str, members: list[str] | None) -> Area:
    """An admin's change: a new unit or group, or a group's members. Kept over config.yaml."""
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise AreaError("name: 1-100 characters")
    if kind not in KINDS:
        raise AreaError(f"kind must be one of {', '.join(KINDS)}")
    if kind == "group":
        units = []
        for m in members or []:
            a = resolve(session, m)
            if a.kind == "group":
                raise AreaError(f"'{a.name}' is a group; a group's members are wards, communes or special zones")
            units.append(a.name)
        if not units:
            raise AreaError("a group needs at least one ward, commune or special zone")
        members = sorted(set(units), key=sort_key)
    elif members:
        raise AreaError("only a group has members")
    row = session.get(Area, name)
    if row is None:
        row = Area(name=name, kind=kind, members=members or [], edited=True)
        session.add(row)
    else:
        if (row.kind == "group") != (kind == "group"):
            raise AreaError(f"'{name}' is a {row.kind}; it cannot become a {kind}")
        row.kind, row.members, row.edited = kind, members or [], True
    session.flush()
    return row


def delete_area(session: Session, name: str) -> None:
    """Refused while a camera, a user or a group refers to it: nothing may be left pointing nowhere."""
    row = session.get(Area, name)
    if row is None:
        raise KeyError(name)
    cams = session.scalar(select(func.count()).select_from(Camera).where(Camera.ward == name)) or 0
    if cams:
        raise AreaError(f"{cams} camera(s) are in {label(name, row.kind)}; move them first")
    users = [u.username for u in session.scalars(select(User)) if name in (u.areas or [])]
    if users:
        raise AreaError(f"users {', '.join(users)} are scoped to {label(name, row.kind)}; change them first")
    groups = [g.name for g in session.scalars(select(Area).where(Area.kind == "group")) if name in (g.members or [])]
    if groups:
        raise AreaError(f"groups {', '.join(groups)} include {label(name, row.kind)}; change them first")
    session.delete(row)
