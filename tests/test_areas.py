"""Administrative areas as they are since 1 July 2025: wards and communes, groups of them, Vietnamese
search and order, and the migration that turns yesterday's districts into groups, losing nothing."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from models import Database
from models.areas import expand, list_areas, resolve
from models.schema import Area, Event, User
from models.users import Scope
from models.vietnamese import fold, matches, sort_key

from .conftest import empty_pg_database
from .helpers import add_areas, add_camera, add_user, bearer
from .test_api import settings_for


def test_search_ignores_diacritics_and_case():
    assert fold("Đặc khu CÔN ĐẢO") == "dac khu con dao"
    assert matches("ben thanh", "Bến Thành") and matches("BEN TH", "Bến Thành")
    assert matches("thanh", "Thạnh An") and not matches("thanh an", "Bến Thành")


def test_vietnamese_order():
    names = ["Đông Hòa", "Dĩ An", "Bình Tân", "Bến Thành", "Bàn Cờ", "An Phú Đông", "An Phú", "Ân", "Anh",
             "Thạnh An", "Thanh An", "Tăng Nhơn Phú", "Tân Định", "Ơn", "Ôn", "Phú Thọ Hòa", "Phú Thọ"]
    assert sorted(names, key=sort_key) == [
        "An Phú", "An Phú Đông", "Anh", "Ân", "Bàn Cờ", "Bến Thành", "Bình Tân", "Dĩ An", "Đông Hòa",
        "Ôn", "Ơn", "Phú Thọ", "Phú Thọ Hòa", "Tăng Nhơn Phú", "Tân Định", "Thanh An", "Thạnh An"]


def test_areas_resolve_expand_and_list(db):
    add_areas(db)
    with db.session() as s:
        assert resolve(s, "ben thanh").name == "Bến Thành" and resolve(s, "Phường Bến Thành").name == "Bến Thành"
        with pytest.raises(ValueError, match="could be Xã Thanh An or Xã Thạnh An"):
            resolve(s, "thanh an")
        with pytest.raises(ValueError, match="no ward, commune, special zone or group named 'Quận 1'"):
            resolve(s, "Quận 1")
        assert expand(s, ["Quận 1 (cũ)", "Bàn Cờ"]) == {
            "Quận 1 (cũ)", "Sài Gòn", "Tân Định", "Bến Thành", "Cầu Ông Lãnh", "Bàn Cờ"}
        found = [a.name for a in list_areas(s, "tan dinh")]
        assert found == ["Tân Định"]
        wards = [a.name for a in list_areas(s, kind="ward")]
        assert len(wards) == 113 and wards == sorted(wards, key=sort_key) and wards[0] == "An Đông"


def test_admin_adds_a_group_and_its_members_see_it_at_once(db_url, tmp_path):
    db = Database(db_url)
    add_camera(db, "cam1", "Bến Thành")
    add_camera(db, "cam2", "Tân Định", name="Hai Bà Trưng")
    admin = add_user(db, "admin", "admin", city_wide=True)
    team = add_user(db, "team", "operator", areas=("Bến Thành",))
    app = create_app(settings_for(db_url, tmp_path / "media"))
    with TestClient(app, headers=bearer(admin)) as c:
        r = c.get("/api/areas", params={"q": "tan dinh"}).json()
        assert r["city"] == "Thành phố Hồ Chí Minh"
        assert [(a["name"], a["label"]) for a in r["items"]] == [("Tân Định", "Phường Tân Định")]
        r = c.put("/api/areas/Đội 2", json={"kind": "group", "members": ["tan dinh", "Nowhere"]})
        assert r.status_code == 422 and "Nowhere" in r.json()["detail"]
        r = c.put("/api/areas/Đội 2", json={"kind": "group", "members": ["tan dinh", "Bến Thành"]})
        assert r.status_code == 200 and r.json()["members"] == ["Bến Thành", "Tân Định"]
        users = {u["username"]: u for u in c.get("/api/users").json()}
        assert c.patch(f"/api/users/{users['team']['id']}", json={"areas": ["Đội 2"]}).json()["areas"] == ["Đội 2"]
        assert c.delete("/api/areas/Tân Định").status_code == 409  # a camera and a group are in it
        assert c.delete("/api/areas/Đội 2").status_code == 409  # a user is scoped to it
        assert [e["action"] for e in c.get("/api/audit", params={"target_type": "area"}).json()] == ["area.create"]
    with TestClient(app, headers=bearer(team)) as c:
        assert sorted(cam["id"] for cam in c.get("/api/cameras").json()) == ["cam1", "cam2"]
        assert c.put("/api/areas/Đội 3", json={"kind": "group", "members": ["Bàn Cờ"]}).status_code == 403
    app.state.db.dispose()
    db.dispose()


# ---------------------------------------------------------------------------- the migration
@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'before.db'}"
        return
    with empty_pg_database("urbanwatch_migration") as url:
        yield url


def _migrate(db: Database, revision: str, down: bool = False) -> None:
    with db.engine.begin() as conn:
        (command.downgrade if down else command.upgrade)(db.alembic_config(conn), revision)


def _table(name, *cols):
    return sa.table(name, *(sa.column(c, sa.JSON if c in ("districts", "health", "bbox", "details", "payload")
                                      else None) for c in cols))


def _districts_era(db: Database) -> None:
    """What an office had before the reform: cameras, events, feed and users by district."""
    t = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
    cams = [("c1", "Quận 1", "Bến Nghé"), ("c2", "Quận 1", "Bến Thành"), ("c3", "Quận 3", None)]
    with db.engine.begin() as conn:
        conn.execute(sa.insert(_table("cameras", "id", "name", "district", "ward", "source", "zones_edited",
                                      "zones_version", "enabled", "state", "health", "created_at", "updated_at")),
                     [{"id": i, "name": i, "district": d, "ward": w, "source": "rtsp://x", "zones_edited": False,
                       "zones_version": 0, "enabled": True, "state": "online", "health": {}, "created_at": t,
                       "updated_at": t} for i, d, w in cams])
        conn.execute(sa.insert(_table("feed", "id", "type", "event_id", "camera_id", "district", "payload",
                                      "created_at")),
                     [{"id": n, "type": "event.new", "event_id": n, "camera_id": c, "district": d, "payload": {},
                       "created_at": t} for n, (c, d, _) in enumerate(cams * 2, start=1)])
        conn.execute(sa.insert(_table(
            "events", "id", "type", "camera_id", "district", "zone_name", "category", "class_name", "confidence",
            "bbox", "frame_width", "frame_height", "started_at", "raised_at", "state", "status", "snapshot",
            "snapshot_annotated", "details", "created_at", "updated_at")),
            [{"id": n, "type": "dumping", "camera_id": c, "district": d, "zone_name": "z", "category": "bag",
              "class_name": "static_object", "confidence": 0.5, "bbox": [0, 0, 1, 1], "frame_width": 10,
              "frame_height": 10, "started_at": t, "raised_at": t, "state": "ended",
              "status": "confirmed" if n == 1 else "unreviewed", "snapshot": "s", "snapshot_annotated": "a",
              "details": {}, "created_at": t, "updated_at": t} for n, (c, d, _) in enumerate(cams * 2, start=1)])
        conn.execute(sa.insert(_table("users", "id", "username", "display_name", "password_hash", "role",
                                      "districts", "city_wide", "active", "created_at")),
                     [{"id": i, "username": u, "display_name": u, "password_hash": "x", "role": "supervisor",
                       "districts": d, "city_wide": cw, "active": True, "created_at": t}
                      for i, (u, d, cw) in enumerate([("q1", ["Quận 1"], False), ("q3", ["Quận 3"], False),
                                                      ("q7", ["Quận 7"], False), ("city", [], True)], start=1)])


def test_migration_turns_districts_into_groups_losing_nothing(empty_db_url):
    db = Database(empty_db_url)
    _migrate(db, "0003")
    _districts_era(db)
    _migrate(db, "head")
    with db.session() as s:
        events = {e.id: e for e in s.scalars(sa.select(Event))}
        assert len(events) == 6 and events[1].status == "confirmed"  # every event, with its decision
        assert [events[n].ward for n in range(1, 7)] == ["Bến Nghé", "Bến Thành", "Quận 3"] * 2
        groups = {a.name: a.members for a in s.scalars(sa.select(Area).where(Area.kind == "group"))}
        assert groups == {"Quận 1": ["Bến Nghé", "Bến Thành"], "Quận 3": [], "Quận 7": []}
        users = {u.username: u for u in s.scalars(sa.select(User))}
        assert {n: u.areas for n, u in users.items()} == {"q1": ["Quận 1"], "q3": ["Quận 3"], "q7": ["Quận 7"],
                                                          "city": []}
        seen = {n: sorted(e.id for e in events.values() if Scope.of(u, s).allows(e.ward)) for n, u in users.items()}
        assert seen == {"q1": [1, 2, 4, 5], "q3": [3, 6], "q7": [], "city": [1, 2, 3, 4, 5, 6]}  # as before
        feed_wards = [w for (w,) in s.execute(text("SELECT ward FROM feed ORDER BY id"))]
        assert feed_wards == ["Quận 1", "Quận 1", "Quận 3"] * 2
    # and back: the districts come back from the groups
    _migrate(db, "0003", down=True)
    with db.engine.connect() as conn:
        assert [d for (d,) in conn.execute(text("SELECT district FROM events ORDER BY id"))] == [
            "Quận 1", "Quận 1", "Quận 3"] * 2
        assert conn.execute(text("SELECT ward FROM cameras WHERE id = 'c3'")).scalar() == "Quận 3"
    db.dispose()
