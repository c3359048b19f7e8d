"""What a city IT department runs urbanwatch with: probes for its process supervisor, Prometheus
metrics, and logs its log system parses."""

import json
import re
import time
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from models import Database
from urbanwatch.config import parse_config

from .conftest import ROOT
from .helpers import add_camera, add_event, add_user, bearer
from .live_server import LiveServer
from .test_end_to_end import Service, curb_config
from .test_sinks import Subscriber


def settings_for(db_url, tmp_path, **server):
    return parse_config({"server": server, "storage": {"database_url": db_url, "media_dir": str(tmp_path / "media")}},
                        Path("."), {})


def metrics_of(text: str) -> dict[str, dict[tuple, float]]:
    """name -> {(label values...): value}, as Prometheus would read them."""
    out: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def test_probes_say_alive_and_ready(db_url, tmp_path):
    app = create_app(settings_for(db_url, tmp_path))
    with TestClient(app) as c:
        assert c.get("/healthz").json() == {"ok": True}
        assert c.get("/readyz").json() == {"ready": True, "problems": []}
    app.state.db.dispose()


def test_not_ready_on_a_database_a_version_behind(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url)
    from alembic import command

    with db.engine.begin() as conn:
        command.upgrade(db.alembic_config(conn), "0004")
    app = create_app(settings_for(url, tmp_path), db)
    with TestClient(app) as c:
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["ready"] is False
        assert r.json()["problems"][0].startswith("database schema at 0004, this version needs 00")
        assert c.get("/healthz").status_code == 200  # alive all the same: restarting it would not help
    db.dispose()


def test_metrics_for_the_prometheus_network_or_an_admin_token(db, db_url, tmp_path):
    zone = add_camera(db)
    add_event(db, zone_id=zone)
    admin, operator = add_user(db, "admin", "admin", city_wide=True), add_user(db, "op", "operator")
    app = create_app(settings_for(db_url, tmp_path))  # metrics_networks: 127.0.0.1 and ::1
    with LiveServer(app) as srv:
        r = httpx.get(srv.url + "/metrics")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        m = metrics_of(r.text)
        assert m["urbanwatch_events_total"] == {(("camera", "cam1"), ("type", "encroachment"), ("zone", "via_he")): 1}
        assert m["urbanwatch_websocket_clients"][()] == 0 and m["urbanwatch_media_free_bytes"][()] > 0
        # every series the example Grafana dashboard draws is one /metrics serves
        def base(names):
            return {re.sub(r"_(total|bucket|count|sum)$", "", n) for n in names}

        served = base(re.findall(r"^# TYPE (\S+)", r.text, re.M))
        drawn = base(re.findall(r"urbanwatch_[a-z_]+", (ROOT / "docs/grafana-dashboard.json").read_text()))
        assert drawn <= served, drawn - served
    app.state.db.dispose()
    app = create_app(settings_for(db_url, tmp_path, metrics_networks=["10.0.0.0/8"]))
    with LiveServer(app) as srv:
        assert httpx.get(srv.url + "/metrics").status_code == 403
        assert httpx.get(srv.url + "/metrics", headers=bearer(operator)).status_code == 403
        assert httpx.get(srv.url + "/metrics", headers=bearer(admin)).status_code == 200
    app.state.db.dispose()


@pytest.mark.e2e
def test_metrics_move_and_logs_are_json_while_a_clip_plays(tmp_path, rtsp_camera, curb_clip, onnx_model, monkeypatch):
    gt = json.loads(Path(str(curb_clip) + ".gt.json").read_text())
    cam = rtsp_camera(curb=curb_clip)
    monkeypatch.setenv("URBANWATCH_LOG_FORMAT", "json")
    config = curb_config(cam.url("curb"), onnx_model, gt)
    prefix = f"uwtest/{uuid.uuid4().hex[:8]}"
    config["sinks"] = {"mqtt": {"host": "127.0.0.1", "topic_prefix": prefix}}
    sub = Subscriber(prefix)
    with Service(tmp_path, config) as svc:
        def scrape():  # from 127.0.0.1: the default metrics network
            return metrics_of(httpx.get(svc.http + "/metrics", timeout=10).text)

        def runs(m):
            return sum(m.get("urbanwatch_detector_runs_total", {}).values())

        deadline = time.time() + 60
        while time.time() < deadline and runs(first := scrape()) == 0:
            time.sleep(1)
        time.sleep(6)
        second = scrape()
        assert runs(second) > runs(first) > 0  # the detector works on while the clip plays
        hist = second["urbanwatch_detector_inference_seconds_count"]
        assert sum(hist.values()) == runs(second)
        assert second["urbanwatch_camera_fps"][(("camera", "q1-le-loi"), ("kind", "processed"))] > 0
        assert second["urbanwatch_camera_online"][(("camera", "q1-le-loi"), ("ward", "Bến Thành"))] == 1
        assert second["urbanwatch_worker_up"][(("worker", "worker-0"),)] == 1
        assert httpx.get(svc.http + "/readyz", timeout=10).json()["ready"] is True
        # every event of the replayed clip went out on MQTT too, once
        deadline = time.time() + 90
        while time.time() < deadline and not (stored := svc.get("/api/events", limit=500)["items"]):
            time.sleep(1)
        stored = {e["id"] for e in stored}

        def published() -> list[int]:
            messages = [json.loads(p) for p in sub.on(f"{prefix}/events")]
            return [m["event_id"] for m in messages if m["type"] == "event.new"]

        deadline = time.time() + 15
        while time.time() < deadline and not stored <= set(published()):
            time.sleep(0.2)
        assert stored <= set(published()) and len(published()) == len(set(published()))
    sub.close()
    lines = [json.loads(line) for line in svc.log_path.read_text().splitlines() if line.startswith("{")]
    assert lines and all({"at", "level", "logger", "process", "message"} <= set(line) for line in lines)
    assert any(line["process"] == "worker-0" for line in lines)
