"""Labels from review: a supervisor corrects the object's box and class; the event keeps both the
detector's version and the reviewer's, the change is audited, and other wards and operators are
refused — on both databases."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from urbanwatch.config import parse_config

from .helpers import add_camera, add_event, add_user, bearer


@pytest.fixture
def app(db_url, tmp_path):
    settings = parse_config({"storage": {"database_url": db_url, "media_dir": str(tmp_path / "media")}}, Path("."), {})
    application = create_app(settings)
    yield application
    application.state.db.dispose()


def test_a_reviewer_label_is_kept_beside_the_detectors(db, app):
    add_camera(db, "cam1", "Bến Thành")
    add_camera(db, "cam3", "Bàn Cờ")
    eid = add_event(db, camera_id="cam1")
    other = add_event(db, camera_id="cam3", minutes=1)
    sup = add_user(db, "lan", "supervisor")
    op = add_user(db, "tuan", "operator")
    with TestClient(app) as c:
        url = f"/api/events/{eid}/label"
        body = {"bbox": [12, 18, 60, 64], "class_name": "stool_chair"}
        assert c.put(url, json=body, headers=bearer(op)).status_code == 403
        assert c.put(f"/api/events/{other}/label", json=body, headers=bearer(sup)).status_code == 404
        assert c.put(url, json={**body, "class_name": "spaceship"}, headers=bearer(sup)).status_code == 422
        outside = c.put(url, json={**body, "bbox": [10, 10, 2000, 30]}, headers=bearer(sup))
        assert outside.status_code == 422 and "inside the 1280x720 picture" in outside.text
        r = c.put(url, json=body, headers=bearer(sup))
        assert r.status_code == 200
        e = r.json()
        assert e["bbox"] == [10.0, 20.0, 50.0, 60.0] and e["class_name"] == "car"  # the detector's, unchanged
        label = e["review_label"]
        assert label["bbox"] == [12, 18, 60, 64] and label["class_name"] == "stool_chair" and label["by"] == "lan"
        kinds = [i["kind"] for i in c.get(f"/api/events/{eid}/timeline", headers=bearer(sup)).json()["timeline"]]
        assert "event.label" in kinds
        # a second correction replaces the first; the audit log keeps both
        c.put(url, json={"bbox": [10, 20, 50, 60], "class_name": "goods"}, headers=bearer(sup))
        assert c.get(f"/api/events/{eid}", headers=bearer(sup)).json()["review_label"]["class_name"] == "goods"
        assert kinds.count("event.label") == 1
        kinds = [i["kind"] for i in c.get(f"/api/events/{eid}/timeline", headers=bearer(sup)).json()["timeline"]]
        assert kinds.count("event.label") == 2
