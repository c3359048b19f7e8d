"""REST, media and the WebSocket feed, on both databases, through real sockets."""

import json
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from websockets.sync.client import connect

from api.app import create_app
from models import Database
from models.cameras import record_status_change, update_health
from models.events import end_event
from models.types import utcnow
from urbanwatch.config import parse_config

from .helpers import T0, add_camera, add_event, add_user, bearer
from .live_server import LiveServer


def settings_for(db_url: str, media: Path):
    return parse_config({"storage": {"database_url": db_url, "media_dir": str(media)}}, Path("."), {})


@pytest.fixture
def app(db_url, tmp_path):
    settings = settings_for(db_url, tmp_path / "media")
    application = create_app(settings, poll_s=0.05)
    yield application
    application.state.db.dispose()


@pytest.fixture
def tokens(db) -> dict[str, str]:
    """admin (city-wide), supervisor and operator of Bến Thành ward, supervisor of Bàn Cờ ward."""
    return {
        "admin": add_user(db, "admin", "admin", city_wide=True),
        "sup1": add_user(db, "sup1", "supervisor"),
        "op1": add_user(db, "op1", "operator"),
        "sup3": add_user(db, "sup3", "supervisor", areas=("Bàn Cờ",)),
    }


@pytest.fixture
def client(app, tokens):
    """Signed in as the city-wide admin through a bearer token."""
    with TestClient(app, headers=bearer(tokens["admin"])) as c:
        yield c


def test_events_list_filters_and_paging(client, db):
    add_camera(db, "cam1")
    add_camera(db, "cam2", "Bàn Cờ")
    ids = [add_event(db, camera_id="cam1" if i < 3 else "cam2", minutes=i) for i in range(5)]
    r = client.get("/api/events", params={"limit": 2})
    body = r.json()
    assert r.status_code == 200 and body["total"] == 5 and [e["id"] for e in body["items"]] == ids[::-1][:2]
    r = client.get("/api/events", params={"camera": "cam1", "offset": 1})
    assert [e["id"] for e in r.json()["items"]] == [ids[1], ids[0]]
    # local time without offset: 08:02 in Ho Chi Minh City is 01:02 UTC
    r = client.get("/api/events", params={"since": "2026-11-27T08:02:00", "until": "2026-11-27T01:04:00Z"})
    assert [e["id"] for e in r.json()["items"]] == [ids[3], ids[2]]
    r = client.get("/api/events", params={"status": "unreviewed", "type": "encroachment", "ward": "Bàn Cờ"})
    assert r.json()["total"] == 2
    r = client.get("/api/events", params={"area": "ban co"})  # diacritics optional
    assert r.json()["total"] == 2
    r = client.get("/api/events", params={"area": "Quận 3 (cũ)"})  # a group: its wards
    assert r.json()["total"] == 2
    r = client.get("/api/events", params={"area": "Quận 99"})
    assert r.status_code == 422 and "no ward, commune" in r.json()["detail"]
    e = client.get(f"/api/events/{ids[0]}").json()
    assert e["camera_name"] == "Nguyễn Huệ 1" and e["snapshot_url"].startswith("/media/")


def test_bad_queries_get_clear_errors(client, db):
    assert client.get("/api/events/999").status_code == 404
    r = client.get("/api/events", params={"type": "littering"})
    assert r.status_code == 422 and "type" in json.dumps(r.json())
    r = client.get("/api/events", params={"since": "2026-11-27T02:00:00Z", "until": "2026-11-27T01:00:00Z"})
    assert r.status_code == 422
    assert client.get("/api/events", params={"limit": 0}).status_code == 422


def test_cameras_with_health(client, db):
    add_camera(db, "cam1")
    with db.write() as s:
        record_status_change(s, "cam1", "online", T0)
        update_health(s, "cam1", {"fps_in": 30.0, "fps_processed": 2.0, "width": 640, "height": 360}, utcnow())
    cams = client.get("/api/cameras").json()
    assert cams[0]["state"] == "online" and cams[0]["health"]["fps_processed"] == 2.0
    assert cams[0]["zones"][0]["name"] == "via_he" and "pw" not in cams[0]["source"]
    detail = client.get("/api/cameras/cam1").json()
    assert detail["status_changes"][0]["state"] == "online"
    assert client.get("/api/cameras/nope").status_code == 404
    with db.write() as s:  # the worker stopped reporting: the console must not show a stale "online"
        update_health(s, "cam1", {}, utcnow() - timedelta(minutes=5))
    assert client.get("/api/cameras").json()[0]["state"] == "unknown"


def test_media_console_and_docs(client, app, db):
    add_camera(db, "cam1")
    media = app.state.settings.storage.resolved_media_dir
    folder = media / "events" / "2026" / "11" / "27" / "cam1"
    folder.mkdir(parents=True)
    (folder / "a.jpg").write_bytes(b"\xff\xd8jpeg")
    assert client.get("/media/events/2026/11/27/cam1/a.jpg").content == b"\xff\xd8jpeg"
    assert client.get("/media/events/2026/11/27/cam1/../../../../../../etc/passwd").status_code == 404
    assert client.get("/media/events/2026/11/27/nocam/a.jpg").status_code == 404
    page = client.get("/")
    assert page.status_code == 200 and "urbanwatch" in page.text and "app.js" in page.text
    assert client.get("/static/app.js").status_code == 200
    assert "/api/events" in client.get("/openapi.json").json()["paths"]
    assert client.get("/docs").status_code == 200


def _connect(srv, token, query=""):
    return connect(srv.ws_url + "/ws/events" + query, additional_headers=bearer(token))


def _recv(ws, timeout=5.0):
    return json.loads(ws.recv(timeout=timeout))


def test_websocket_pushes_new_events_and_updates(app, db, tokens):
    add_camera(db)
    with LiveServer(app) as srv, _connect(srv, tokens["op1"]) as ws:
        time.sleep(0.2)
        t0 = time.time()
        eid = add_event(db)
        msg = _recv(ws)
        latency = time.time() - t0
        assert msg["type"] == "event.new" and msg["id"] == eid and msg["event_id"] == eid
        assert msg["snapshot_url"] == "/media/events/x/0-clean.jpg" and msg["event"]["camera_id"] == "cam1"
        assert latency < 1.0
        with db.write() as s:
            end_event(s, eid, T0, "left")
        upd = _recv(ws)
        assert upd["type"] == "event.updated" and upd["event"]["state"] == "ended" and upd["id"] > eid
        with db.write() as s:
            record_status_change(s, "cam1", "offline", T0, "stream ended")
        st = _recv(ws)
        assert st["type"] == "camera.status" and st["state"] == "offline" and st["camera_id"] == "cam1"


def test_reconnect_with_since_has_no_gap_and_no_duplicate(app, db, tokens):
    add_camera(db)
    first = [add_event(db, minutes=i) for i in range(3)]
    with LiveServer(app) as srv:
        with _connect(srv, tokens["op1"], "?since=0") as ws:
            got = [_recv(ws)["id"] for _ in range(3)]
        assert got == first
        missed = [add_event(db, minutes=10 + i) for i in range(4)]
        with _connect(srv, tokens["op1"], f"?since={got[-1]}") as ws:
            replay = [_recv(ws)["id"] for _ in range(4)]
            assert replay == missed
            live = add_event(db, minutes=30)
            assert _recv(ws)["id"] == live
            with pytest.raises(TimeoutError):
                ws.recv(timeout=0.5)  # and nothing twice


def test_no_gap_while_events_arrive_during_reconnects(app, db_url, db, tokens):
    """A writer keeps adding events while a console disconnects and resumes repeatedly."""
    add_camera(db)
    n = 60
    done = threading.Event()

    def writer():
        d = Database(db_url)
        for i in range(n):
            add_event(d, minutes=i)
            time.sleep(0.01)
        d.dispose()
        done.set()

    received = []
    with LiveServer(app) as srv:
        w = threading.Thread(target=writer)
        w.start()
        last = 0
        while len(received) < n:
            with _connect(srv, tokens["admin"], f"?since={last}") as ws:
                for _ in range(7):  # take a few, then drop the connection
                    try:
                        m = _recv(ws, timeout=5)
                    except TimeoutError:
                        break
                    received.append(m["id"])
                    last = m["id"]
                    if len(received) == n:
                        break
        w.join()
    assert len(received) == n and received == sorted(set(received))


def test_health_endpoint(app):
    with TestClient(app) as anonymous:
        assert anonymous.get("/api/health").json() == {"ok": True, "feed_last_id": 0}
        assert anonymous.get("/api/info").status_code == 200
