"""People and permissions: sign-in, CSRF, rate limits, roles, ward scope, review decisions and
the append-only audit log, on both databases and through real sockets."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from api.app import create_app
from models import Database
from models.cameras import record_status_change
from urbanwatch.config import parse_config

from .conftest import ROOT
from .helpers import PASSWORD, T0, add_camera, add_event, add_user, bearer
from .live_server import LiveServer


@pytest.fixture
def app(db_url, tmp_path):
    settings = parse_config({"storage": {"database_url": db_url, "media_dir": str(tmp_path / "media")}}, Path("."), {})
    application = create_app(settings, poll_s=0.05)
    yield application
    application.state.db.dispose()


@pytest.fixture
def world(db):
    """Two wards, a camera and events in each, and the people of the office: a supervisor of one
    ward, an operator of the group of wards that was Quận 1, a supervisor of the other ward."""
    zone1 = add_camera(db, "cam1", "Bến Thành")
    add_camera(db, "cam3", "Bàn Cờ", name="Võ Văn Tần")
    tokens = {
        "admin": add_user(db, "admin", "admin", city_wide=True),
        "sup1": add_user(db, "sup1", "supervisor"),
        "op1": add_user(db, "op1", "operator", areas=("Quận 1 (cũ)",)),
        "sup3": add_user(db, "sup3", "supervisor", areas=("Bàn Cờ",)),
    }
    e1 = [add_event(db, camera_id="cam1", zone_id=zone1, minutes=i) for i in range(3)]
    e3 = [add_event(db, camera_id="cam3", minutes=10 + i) for i in range(2)]
    return {"tokens": tokens, "q1": e1, "q3": e3}


class As:
    """Requests through one client, as the holder of a bearer token."""

    def __init__(self, client, token):
        self.c, self.h = client, bearer(token)

    def __getattr__(self, verb):
        return lambda url, **kw: getattr(self.c, verb)(url, headers=self.h, **kw)


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c


@pytest.fixture
def who(client, world):
    return {name: As(client, tok) for name, tok in world["tokens"].items()}


def signed_in(app, username):
    """A browser-like client: session cookie and CSRF token from a real sign-in."""
    c = TestClient(app)
    r = c.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert "httponly" in r.headers["set-cookie"].lower() and "samesite=strict" in r.headers["set-cookie"].lower()
    return c, r.json()["csrf_token"]


def test_everything_needs_sign_in(client, world):
    c = client
    for path in ("/api/events", "/api/cameras", f"/api/events/{world['q1'][0]}", "/api/users", "/api/audit"):
        assert c.get(path).status_code == 401, path
    assert c.post(f"/api/events/{world['q1'][0]}/ack").status_code == 401
    assert c.get("/api/health").status_code == 200 and c.get("/").status_code == 200


def test_session_sign_in_csrf_and_sign_out(app, world):
    c, csrf = signed_in(app, "sup1")
    with c:
        me = c.get("/api/auth/me").json()
        assert me["user"]["username"] == "sup1" and me["user"]["role"] == "supervisor" and me["csrf_token"] == csrf
        eid = world["q1"][0]
        # a cookie alone cannot change anything: a forged cross-site form would have no token
        assert c.post(f"/api/events/{eid}/ack").status_code == 403
        assert c.post(f"/api/events/{eid}/ack", headers={"X-CSRF-Token": "guess"}).status_code == 403
        assert c.post(f"/api/events/{eid}/ack", headers={"X-CSRF-Token": csrf}).status_code == 200
        assert c.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
        assert c.get("/api/auth/me").status_code == 401


def test_wrong_passwords_are_rate_limited(client, world):
    c = client
    for _ in range(5):
        assert c.post("/api/auth/login", json={"username": "op1", "password": "nope"}).status_code == 401
    r = c.post("/api/auth/login", json={"username": "op1", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    # another account from the same address is not locked by op1's failures
    assert c.post("/api/auth/login", json={"username": "sup1", "password": PASSWORD}).status_code == 200


def test_disabled_account_is_signed_out_everywhere(app, world):
    c, _ = signed_in(app, "op1")
    with c:
        admin, op1_api = As(c, world["tokens"]["admin"]), As(c, world["tokens"]["op1"])
        op1 = next(u for u in admin.get("/api/users").json() if u["username"] == "op1")
        assert admin.patch(f"/api/users/{op1['id']}", json={"active": False}).json()["active"] is False
        assert c.get("/api/events").status_code == 401  # the session cookie
        assert op1_api.get("/api/events").status_code == 401  # the API token
        assert c.post("/api/auth/login", json={"username": "op1", "password": PASSWORD}).status_code == 401


def test_operator_cannot_review_supervisor_can(who, world):
    eid = world["q1"][0]
    op, sup = who["op1"], who["sup1"]
    r = op.post(f"/api/events/{eid}/review", json={"decision": "confirm"})
    assert r.status_code == 403 and "supervisor" in r.json()["detail"]
    assert op.post("/api/events/review", json={"ids": [eid], "decision": "confirm"}).status_code == 403
    assert op.get("/api/users").status_code == 403
    acked = op.post(f"/api/events/{eid}/ack").json()
    assert acked["acknowledged_by"] == "op1" and acked["status"] == "unreviewed"
    r = sup.post(f"/api/events/{eid}/review", json={"decision": "confirm", "note": "xe đỗ trên vỉa hè"})
    assert r.status_code == 200 and r.json()["status"] == "confirmed" and r.json()["reviewed_by"] == "sup1"
    assert sup.put("/api/cameras/cam1/zones", json=[]).status_code == 403  # zones are for admins


def test_dismissing_needs_a_reason_and_other_needs_a_note(who, world):
    eid = world["q1"][1]
    sup = who["sup1"]
    assert sup.post(f"/api/events/{eid}/review", json={"decision": "dismiss"}).status_code == 422
    assert sup.post(f"/api/events/{eid}/review", json={"decision": "dismiss", "reason": "other"}).status_code == 422
    assert sup.post(f"/api/events/{eid}/review", json={"decision": "dismiss", "reason": "banana"}).status_code == 422
    r = sup.post(f"/api/events/{eid}/review", json={"decision": "dismiss", "reason": "permitted",
                                                    "note": "giấy phép tạm thời"})
    assert r.json()["status"] == "dismissed" and r.json()["review_reason"] == "permitted"


def test_other_wards_are_invisible(who, world):
    q1, q3 = world["q1"], world["q3"]
    sup3 = who["sup3"]
    listed = sup3.get("/api/events").json()
    assert sorted(e["id"] for e in listed["items"]) == sorted(q3) and listed["total"] == 2
    assert sup3.get("/api/events", params={"ward": "Bến Thành"}).json()["total"] == 0
    assert sup3.get("/api/events", params={"area": "Quận 1 (cũ)"}).json()["total"] == 0
    # the group's operator sees its wards' events and cameras, and no others
    op1 = who["op1"]
    assert sorted(e["id"] for e in op1.get("/api/events").json()["items"]) == sorted(q1)
    assert [c["id"] for c in op1.get("/api/cameras").json()] == ["cam1"]
    assert op1.get(f"/api/events/{q3[0]}").status_code == 404
    assert sup3.get(f"/api/events/{q1[0]}").status_code == 404
    assert sup3.post(f"/api/events/{q1[0]}/review", json={"decision": "confirm"}).status_code == 404
    # all or nothing: one event out of reach and nothing is changed
    r = sup3.post("/api/events/review", json={"ids": [q3[0], q1[0]], "decision": "confirm"})
    assert r.status_code == 404
    assert sup3.get(f"/api/events/{q3[0]}").json()["status"] == "unreviewed"
    assert [c["id"] for c in sup3.get("/api/cameras").json()] == ["cam3"]
    assert sup3.get("/api/cameras/cam1").status_code == 404
    snapshot = sup3.get(f"/api/events/{q3[0]}").json()["snapshot_url"]
    assert sup3.get(snapshot.replace("x/", "2026/11/27/cam1/")).status_code == 404


def test_bulk_review_and_audit_log(who, world, db):
    ids = world["q1"]
    sup = who["sup1"]
    r = sup.post("/api/events/review", json={"ids": ids, "decision": "dismiss", "reason": "duplicate"})
    assert r.status_code == 200 and {e["status"] for e in r.json()["items"]} == {"dismissed"}
    # a decision can be revised; both stay on record
    sup.post(f"/api/events/{ids[0]}/review", json={"decision": "confirm", "note": "xem lại: vi phạm"})
    timeline = sup.get(f"/api/events/{ids[0]}/timeline").json()["timeline"]
    kinds = [i["kind"] for i in timeline]
    assert kinds[0] == "event.new" and "event.dismiss" in kinds and kinds[-2:] == ["event.confirm", "event.updated"]
    confirm = next(i for i in timeline if i["kind"] == "event.confirm")
    assert confirm["by"] == "sup1" and confirm["before"]["status"] == "dismissed"
    assert confirm["after"]["status"] == "confirmed" and confirm["note"] == "xem lại: vi phạm"
    log = who["admin"].get("/api/audit", params={"target_type": "event"}).json()
    assert [e["action"] for e in log][:4] == ["event.confirm", "event.dismiss", "event.dismiss", "event.dismiss"]
    # append-only, enforced by the database itself
    with pytest.raises(Exception, match="append-only"), db.engine.begin() as c:
        c.execute(text("UPDATE audit_log SET username = 'someone else'"))
    with pytest.raises(Exception, match="append-only"), db.engine.begin() as c:
        c.execute(text("DELETE FROM audit_log"))


def test_decisions_reach_every_open_console(app, world, db):
    eid = world["q1"][2]
    with LiveServer(app) as srv:
        with connect(srv.ws_url + "/ws/events", additional_headers=bearer(world["tokens"]["op1"])) as op_ws, \
             connect(srv.ws_url + "/ws/events", additional_headers=bearer(world["tokens"]["sup3"])) as other_ws:
            import httpx

            httpx.post(f"{srv.url}/api/events/{eid}/review", json={"decision": "confirm"},
                       headers=bearer(world["tokens"]["sup1"]))
            msg = json.loads(op_ws.recv(timeout=5))
            assert msg["type"] == "event.updated" and msg["event_id"] == eid
            assert msg["event"]["status"] == "confirmed" and msg["event"]["reviewed_by"] == "sup1"
            with db.write() as s:  # a Bàn Cờ camera status change: only Bàn Cờ hears it
                record_status_change(s, "cam3", "offline", T0)
            msg3 = json.loads(other_ws.recv(timeout=5))
            assert msg3["type"] == "camera.status" and msg3["camera_id"] == "cam3"
            with pytest.raises(TimeoutError):
                op_ws.recv(timeout=0.5)
        with pytest.raises(InvalidStatus):  # no credentials, no feed
            with connect(srv.ws_url + "/ws/events") as ws:
                ws.recv(timeout=2)
        # a cookie from another site's page is refused (cross-site WebSocket hijacking)
        login = httpx.post(f"{srv.url}/api/auth/login", json={"username": "op1", "password": PASSWORD})
        cookie = f"uw_session={login.cookies.get('uw_session')}"
        with pytest.raises(InvalidStatus):
            with connect(srv.ws_url + "/ws/events", additional_headers={"Cookie": cookie},
                         origin="http://evil.example") as ws:
                ws.recv(timeout=2)
        with connect(srv.ws_url + "/ws/events?since=0", additional_headers={"Cookie": cookie},
                     origin=srv.url) as ws:
            assert json.loads(ws.recv(timeout=5))["type"] == "event.new"


def test_admin_manages_accounts(who):
    admin = who["admin"]
    r = admin.post("/api/users", json={"username": "op3", "password": "short", "role": "operator",
                                       "areas": ["Bàn Cờ"]})
    assert r.status_code == 422 and "10 characters" in r.json()["detail"]
    r = admin.post("/api/users", json={"username": "op3", "password": PASSWORD, "role": "operator"})
    assert r.status_code == 422  # neither an area nor city-wide
    r = admin.post("/api/users", json={"username": "op3", "password": PASSWORD, "role": "operator",
                                       "areas": ["Quận 3"]})  # districts no longer exist
    assert r.status_code == 422 and "no ward, commune, special zone or group named 'Quận 3'" in r.json()["detail"]
    assert "Quận 3 (cũ)" in r.json()["detail"]  # what was probably meant
    r = admin.post("/api/users", json={"username": "op3", "password": PASSWORD, "role": "operator",
                                       "areas": ["ban co"]})
    assert r.status_code == 201 and r.json()["areas"] == ["Bàn Cờ"]
    r = admin.patch(f"/api/users/{r.json()['id']}", json={"areas": ["Nowhere"]})
    assert r.status_code == 422 and "Nowhere" in r.json()["detail"]
    me = next(u for u in admin.get("/api/users").json() if u["username"] == "admin")
    assert admin.patch(f"/api/users/{me['id']}", json={"active": False}).status_code == 422
    assert [e["action"] for e in admin.get("/api/audit").json()][:1] == ["user.create"]


def test_zones_replace_validate_and_bump_the_version(who):
    admin = who["admin"]
    bad = admin.put("/api/cameras/cam1/zones", json=[
        {"name": "a", "kind": "sidewalk", "polygon": [[0, 0], [1, 1]]},
        {"name": "b", "kind": "no_dumping", "polygon": [[0, 0], [100, 0], [0, 100]], "dwell_s": 3},
    ])
    assert bad.status_code == 422
    detail = " ".join(bad.json()["detail"])
    assert "needs at least 3 points" in detail and "dwell_s" in detail
    before = admin.get("/api/cameras/cam1").json()["zones_version"]
    r = admin.put("/api/cameras/cam1/zones", json=[
        {"name": "via_he_moi", "kind": "sidewalk", "polygon": [[10, 10], [200, 10], [200, 100]], "dwell_s": 30},
        {"name": "goc_rac", "kind": "no_dumping", "polygon": [[0, 0], [100, 0], [0, 100]]},
    ])
    assert r.status_code == 200, r.text
    cam = r.json()
    assert cam["zones_version"] == before + 1 and cam["zones_edited"] is True
    assert [(z["name"], z["params"]) for z in cam["zones"]] == [
        ("via_he_moi", {"objects": ["vehicle", "goods"], "dwell_s": 30.0}), ("goc_rac", {"unattended_s": 60.0})]
    entry = admin.get("/api/audit", params={"target_type": "camera"}).json()[0]
    assert entry["action"] == "camera.zones" and entry["before"]["zones"][0]["name"] == "via_he"


def test_zones_with_nan_infinity_or_absurd_sizes_are_refused(who):
    """JSON parsers take NaN and Infinity; a zone built on them could never alert (or never stop)."""
    admin = who["admin"]
    before = admin.get("/api/cameras/cam1").json()["zones_version"]
    body = json.dumps([  # Python writes the NaN and Infinity tokens that JSON parsers accept
        {"name": "a", "kind": "sidewalk", "polygon": [[0, 0], [float("nan"), 0], [0, 100]]},
        {"name": "b", "kind": "sidewalk", "polygon": [[0, 0], [100, 0], [0, 100]], "dwell_s": float("inf")},
        {"name": "c", "kind": "sidewalk", "polygon": [[0, 0], [1e300, 0], [0, 100]]},
    ])
    bad = admin.c.put("/api/cameras/cam1/zones", content=body, headers={**admin.h, "content-type": "application/json"})
    assert bad.status_code == 422, bad.text
    detail = bad.json()["detail"]
    assert any(d.startswith("zones[0].polygon[1][0]: Input should be a finite number") for d in detail), detail
    assert any(d.startswith("zones[1].dwell_s: Input should be a finite number") for d in detail), detail
    assert any(d.startswith("zones[2].polygon: ") and "at most 100,000" in d for d in detail), detail
    assert admin.get("/api/cameras/cam1").json()["zones_version"] == before


def _cli(*args, stdin=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "urbanwatch", *args], input=stdin, capture_output=True, text=True,
                          timeout=120, cwd=cwd, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})


def test_users_command_line(tmp_path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("storage: {data_dir: data}\n")
    ok = _cli("users", "add", "hoa", "--role", "supervisor", "--area", "Bến Thành", "--area", "ban co",
              "--password-stdin", "-c", str(cfg), stdin=PASSWORD + "\n")
    assert ok.returncode == 0, ok.stderr
    assert _cli("users", "add", "hoa", "--area", "Bến Thành", "--password-stdin", "-c", str(cfg),
                stdin=PASSWORD + "\n").returncode == 1
    short = _cli("users", "add", "lan", "--area", "Bến Thành", "--password-stdin", "-c", str(cfg), stdin="abc\n")
    assert short.returncode == 1 and "10 characters" in short.stderr
    unknown = _cli("users", "add", "lan", "--area", "Quận 1", "--password-stdin", "-c", str(cfg),
                   stdin=PASSWORD + "\n")
    assert unknown.returncode == 1 and "no ward, commune, special zone or group named 'Quận 1'" in unknown.stderr
    twin = _cli("users", "add", "lan", "--area", "thanh an", "--password-stdin", "-c", str(cfg),
                stdin=PASSWORD + "\n")  # two communes read 'thanh an' without their diacritics
    assert twin.returncode == 1 and "Xã Thanh An or Xã Thạnh An" in twin.stderr
    listed = _cli("users", "list", "-c", str(cfg))
    assert "hoa" in listed.stdout and "supervisor" in listed.stdout and "Bàn Cờ, Bến Thành" in listed.stdout
    assert "lan" not in listed.stdout
    found = _cli("areas", "ben thanh", "-c", str(cfg))
    assert found.returncode == 0 and "Phường Bến Thành" in found.stdout and "1 area(s)" in found.stdout
    token = _cli("users", "token", "hoa", "-c", str(cfg)).stdout.strip()
    assert token.startswith("uwt_")
    assert _cli("users", "disable", "hoa", "-c", str(cfg)).returncode == 0
    db = Database(f"sqlite:///{tmp_path / 'data' / 'urbanwatch.db'}")
    from models.users import get_user, resolve_api_token

    with db.session() as s:
        assert get_user(s, "hoa").active is False and resolve_api_token(s, token) is None
    db.dispose()
    assert ROOT.exists()
