"""The detector model registry through the API (admins): the list with the live model and the
configuration's, promotion, rollback to the model replaced and then to the configuration's,
shadow mode and its comparison, the audit log, and refusals in words, on both databases."""

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from models import registry
from models.events import create_event
from models.schema import User
from models.types import utcnow
from urbanwatch.config import parse_config

from .helpers import add_camera, add_user, bearer, new_event

CONFIGURED = "/srv/urbanwatch/models/yolov8n_coco.pt"


@pytest.fixture
def app(db_url, tmp_path):
    settings = parse_config({"storage": {"database_url": db_url, "media_dir": str(tmp_path / "media")},
                             "detector": {"model": CONFIGURED}}, Path("."), {})
    application = create_app(settings, poll_s=0.05)
    yield application
    application.state.db.dispose()


@pytest.fixture
def office(app, db):
    """An admin, a supervisor and an operator, and two registered models (v1, v2)."""
    tokens = {"admin": add_user(db, "admin", "admin", city_wide=True),
              "sup": add_user(db, "sup", "supervisor"), "op": add_user(db, "op", "operator")}
    with db.write() as s:
        trainer = s.query(User).filter_by(username="admin").one()
        trainer.display_name = "Nguyễn Văn An"
        v1 = registry.register(s, name="vỉa hè Q1 tháng 10", path="/srv/models/a.pt", sha256="a1" * 32,
                               classes=["car", "motorcycle"], user=trainer,
                               metrics={"clips": {"candidate": {"f1": 0.81, "precision": 0.8, "recall": 0.82},
                                                  "running": {"f1": 0.7, "precision": 0.75, "recall": 0.66}}},
                               trained_from={"dataset": "q1-2026-10", "epochs": 40, "base_model": "yolov8n.pt"})
        v2 = registry.register(s, name="vỉa hè Q1 tháng 11", path="/srv/models/b.pt", sha256="b2" * 32,
                               classes=["car", "motorcycle", "stool_chair"], user=None)
        ids = {"v1": v1.id, "v2": v2.id}
    with TestClient(app) as client:
        yield {"c": client, "tokens": tokens, **ids}


def call(office, method, url, who="admin", **kw):
    return office["c"].request(method, url, headers=bearer(office["tokens"][who]), **kw)


def listing(office) -> dict:
    r = call(office, "GET", "/api/models")
    assert r.status_code == 200, r.text
    return r.json()


def test_list_says_the_configurations_model_runs_while_none_is_live(office):
    body = listing(office)
    assert [m["label"] for m in body["models"]] == ["v2", "v1"]  # newest first
    assert body["live"] is None and body["shadow"] is None
    assert body["configured"] == {"model": "yolov8n_coco.pt"}
    v1 = body["models"][1]
    assert v1["state"] == "candidate" and v1["created_by_name"] == "Nguyễn Văn An"
    assert v1["metrics"]["clips"]["candidate"]["f1"] == 0.81 and v1["trained_from"]["epochs"] == 40


def test_promote_promote_rollback_rollback(office, db):
    r = call(office, "POST", "/api/models/v1/promote", json={"note": "tốt hơn trên clip mẫu"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "live" and r.json()["promoted_by"] == "admin" and r.json()["replaced_id"] is None
    assert listing(office)["live"] == office["v1"]

    r = call(office, "POST", f"/api/models/{office['v2']}/promote", json={})  # by id, no note
    assert r.status_code == 200, r.text
    assert r.json()["replaced_id"] == office["v1"]
    body = listing(office)
    assert body["live"] == office["v2"]
    assert {m["label"]: m["state"] for m in body["models"]} == {"v1": "retired", "v2": "live"}

    r = call(office, "POST", "/api/models/rollback", json={"note": "báo sai nhiều ở Bến Thành"})
    assert r.status_code == 200, r.text
    assert r.json()["live"]["id"] == office["v1"] and r.json()["live"]["state"] == "live"
    assert listing(office)["live"] == office["v1"]

    r = call(office, "POST", "/api/models/rollback", json={"note": "quay về mô hình trong cấu hình"})
    assert r.status_code == 200, r.text
    assert r.json() == {"live": None}
    assert listing(office)["live"] is None

    # nothing left to roll back: a conflict, said in words
    r = call(office, "POST", "/api/models/rollback", json={"note": "lần nữa"})
    assert r.status_code == 409 and "configuration's model is running" in r.json()["detail"]

    audit = call(office, "GET", "/api/audit", params={"target_type": "model"}).json()
    actions = [a["action"] for a in reversed(audit)]
    assert actions == ["model.register", "model.register", "model.promote", "model.promote", "model.rollback",
                       "model.rollback"]
    promoted = next(a for a in audit if a["action"] == "model.promote" and a["target_id"] == str(office["v1"]))
    assert promoted["username"] == "admin" and promoted["note"] == "tốt hơn trên clip mẫu" and promoted["ip"]
    rollbacks = [a for a in audit if a["action"] == "model.rollback"]
    assert {a["note"] for a in rollbacks} == {"báo sai nhiều ở Bến Thành", "quay về mô hình trong cấu hình"}


def test_only_admins(office):
    for who in ("op", "sup"):
        for method, url, body in [("GET", "/api/models", None), ("POST", "/api/models/v1/promote", {}),
                                  ("POST", "/api/models/rollback", {"note": "x"}),
                                  ("POST", "/api/models/v1/shadow", {"share": 0.25}),
                                  ("DELETE", "/api/models/v1/shadow", None), ("GET", "/api/models/v1/shadow", None)]:
            r = call(office, method, url, who=who, json=body)
            assert r.status_code == 403, (who, url, r.text)
    assert listing(office)["live"] is None and listing(office)["shadow"] is None
    assert call(office, "GET", "/api/models", who="op").json()["detail"].startswith("this needs the admin role")
    r = office["c"].get("/api/models")
    assert r.status_code == 401


def test_refusals_say_why(office):
    r = call(office, "POST", "/api/models/v9/promote", json={})
    assert r.status_code == 404 and "no model 'v9'" in r.json()["detail"]
    assert call(office, "GET", "/api/models/nonsense/shadow").status_code == 404
    assert call(office, "POST", "/api/models/v1/promote", json={}).status_code == 200
    r = call(office, "POST", "/api/models/v1/promote", json={})
    assert r.status_code == 409 and r.json()["detail"] == "v1 is already the live model"
    r = call(office, "POST", "/api/models/v1/shadow", json={"share": 0.25})
    assert r.status_code == 409 and "shadow mode is for a candidate" in r.json()["detail"]
    r = call(office, "DELETE", "/api/models/v2/shadow")
    assert r.status_code == 409 and r.json()["detail"] == "v2 is not in shadow mode"
    r = call(office, "GET", "/api/models/v2/shadow")
    assert r.status_code == 404 and "has not run in shadow mode" in r.json()["detail"]
    for body in ({}, {"note": "   "}):
        r = call(office, "POST", "/api/models/rollback", json=body)
        assert r.status_code == 422 and "note" in str(r.json()["detail"])
    for share in (0, 1.5, -0.1):
        r = call(office, "POST", "/api/models/v2/shadow", json={"share": share})
        assert r.status_code == 422 and "share" in str(r.json()["detail"])
    assert listing(office)["live"] == office["v1"]


def test_shadow_start_compare_stop(office, db):
    zone = add_camera(db, "cam1", "Bến Thành")
    assert call(office, "POST", "/api/models/v1/promote", json={}).status_code == 200
    r = call(office, "POST", "/api/models/v2/shadow", json={"share": 0.25})
    assert r.status_code == 200, r.text
    assert r.json()["shadow_share"] == 0.25 and r.json()["shadow_since"]
    assert listing(office)["shadow"] == office["v2"]

    # the live model raised two events; the shadow model saw one of them and one of its own
    now = utcnow()
    with db.write() as s:
        events = []
        for i, box in enumerate(([10.0, 20.0, 50.0, 60.0], [300.0, 300.0, 360.0, 380.0])):
            ev = new_event(camera_id="cam1", zone_id=zone)
            ev.bbox, ev.raised_at, ev.started_at = box, now + timedelta(seconds=i), now - timedelta(seconds=3)
            events.append(create_event(s, ev).id)
        for box in ([12.0, 21.0, 52.0, 61.0], [600.0, 100.0, 640.0, 200.0]):
            registry.add_shadow_alert(s, office["v2"], "cam1", zone="via_he", type="encroachment", category="vehicle",
                                      class_name="car", bbox=box, started_at=now, raised_at=now + timedelta(seconds=5))
    r = call(office, "GET", "/api/models/v2/shadow")
    assert r.status_code == 200, r.text
    cmp = r.json()
    assert cmp["running"] is True and cmp["model"] == "v2" and cmp["share"] == 0.25
    assert (cmp["shadow_alerts"], cmp["live_events"], cmp["agreed"], cmp["extra"], cmp["missed"]) == (2, 2, 1, 1, 1)
    assert cmp["missed_event_ids"] == [events[1]] and cmp["missed_by_review"]["unreviewed"] == 1

    r = call(office, "DELETE", "/api/models/v2/shadow")
    assert r.status_code == 200, r.text
    assert r.json()["shadow_share"] is None and r.json()["metrics"]["shadow"]["agreed"] == 1
    assert listing(office)["shadow"] is None
    kept = call(office, "GET", "/api/models/v2/shadow").json()
    assert kept["running"] is False and (kept["agreed"], kept["extra"], kept["missed"]) == (1, 1, 1)

    audit = call(office, "GET", "/api/audit", params={"target_type": "model", "target_id": office["v2"]}).json()
    assert [a["action"] for a in audit][:2] == ["model.shadow_stop", "model.shadow_start"]
    assert all(a["username"] == "admin" and a["ip"] for a in audit[:2])
