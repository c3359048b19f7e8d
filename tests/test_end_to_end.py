"""The whole system on real parts: an RTSP test camera serving a real street clip, `urbanwatch run`
as operators start it, the real detector, a real WebSocket client, the real database."""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
import yaml
from websockets.sync.client import connect

from models import Database
from models.events import get_event
from vision.matching import overlap

from .conftest import ROOT, free_port

pytestmark = pytest.mark.e2e
ARTIFACTS = ROOT / "test-artifacts"


class Service:
    """`urbanwatch run` in a subprocess."""

    def __init__(self, tmp: Path, config: dict):
        self.port = free_port()
        config.setdefault("server", {})["port"] = self.port
        config.setdefault("storage", {})["data_dir"] = str(tmp / "data")
        self.config_path = tmp / "config.yaml"
        self.config_path.write_text(yaml.safe_dump(config, allow_unicode=True))
        self.log_path = tmp / "service.log"
        self.proc: subprocess.Popen | None = None
        self.db_url = f"sqlite:///{tmp / 'data' / 'urbanwatch.db'}"
        self.media = tmp / "data" / "media"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/events"

    def __enter__(self) -> Service:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
        # an operator who sees every ward, and a token for this test's API calls
        cli = [sys.executable, "-m", "urbanwatch", "users"]
        subprocess.run([*cli, "add", "watcher", "--role", "admin", "--city-wide", "--password-stdin",
                        "-c", str(self.config_path)], input="watcher-password-1\n", text=True, check=True,
                       capture_output=True, env=env, cwd=ROOT)
        token = subprocess.run([*cli, "token", "watcher", "-c", str(self.config_path)], text=True, check=True,
                               capture_output=True, env=env, cwd=ROOT).stdout.strip()
        self.headers = {"Authorization": f"Bearer {token}"}
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "urbanwatch", "run", "-c", str(self.config_path)],
            stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"urbanwatch run exited:\n{self.log_path.read_text()}")
            try:
                if httpx.get(self.http + "/api/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"urbanwatch run did not come up:\n{self.log_path.read_text()}")

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self._log.close()

    def get(self, path: str, **params):
        r = httpx.get(self.http + path, params=params, headers=self.headers, timeout=10)
        r.raise_for_status()
        return r.json()


def curb_config(camera_url: str, model: Path, gt: dict, **ingest) -> dict:
    zone = next(z for z in gt["zones"] if z["kind"] == "sidewalk")
    return {
        "detector": {"model": str(model)},
        "ingest": {"offline_after_s": 3, "read_timeout_s": 2, "open_timeout_s": 3,
                   "backoff_initial_s": 0.5, "backoff_max_s": 2, **ingest},
        "cameras": [{
            "id": "q1-le-loi", "name": "Lê Lợi – Nguyễn Huệ", "ward": "Bến Thành",
            "url": camera_url, "detect": {"fps": 2},
            "zones": [{"name": zone["name"], "kind": "sidewalk", "polygon": zone["polygon"],
                       "dwell_s": gt["rules"]["encroachment_dwell_s"]}],
        }],
    }


def receive_until(ws, predicate, timeout: float) -> tuple[dict, float]:
    deadline = time.time() + timeout
    while True:
        remaining = deadline - time.time()
        if remaining <= 0:
            raise AssertionError("expected message did not arrive")
        msg = json.loads(ws.recv(timeout=remaining))
        if predicate(msg):
            return msg, time.time()


@pytest.fixture
def curb_gt(curb_clip) -> dict:
    return json.loads(Path(str(curb_clip) + ".gt.json").read_text())


def test_encroachment_reaches_the_console(tmp_path, rtsp_camera, curb_clip, curb_gt, onnx_model):
    cam = rtsp_camera(curb=curb_clip)
    with Service(tmp_path, curb_config(cam.url("curb"), onnx_model, curb_gt)) as svc:
        with connect(svc.ws, additional_headers=svc.headers) as ws:
            latencies, events = [], []
            msg, received_at = receive_until(ws, lambda m: m["type"] == "event.new", 90)
            while True:
                ev = msg["event"]
                latencies.append(received_at - ev["details"]["rule_satisfied_at"])
                events.append(msg)
                try:
                    msg, received_at = receive_until(ws, lambda m: m["type"] == "event.new", 4)
                except (AssertionError, TimeoutError):
                    break

        first = events[0]
        ev = first["event"]
        assert first["event_id"] == ev["id"] == first["id"]
        assert ev["type"] == "encroachment" and ev["camera_id"] == "q1-le-loi" and ev["zone_name"] == "sidewalk_right"
        assert ev["category"] == "vehicle" and ev["state"] == "active" and ev["status"] == "unreviewed"
        assert ev["frame_size"] == [1608, 720]
        # each alert is one of the annotated parked vehicles, none is a car on the road
        gt_boxes = np.array([e["bbox"] for e in curb_gt["events"]], np.float32)
        for m in events:
            iou, _ = overlap(np.array(m["event"]["bbox"], np.float32), gt_boxes)
            assert iou.max() >= 0.3, m["event"]["bbox"]
        assert len({m["event_id"] for m in events}) == len(events)

        # stored, with both snapshots on disk and served
        db = Database(svc.db_url)
        with db.session() as s:
            stored = get_event(s, ev["id"])
            assert stored is not None and stored.zone_id is not None
        db.dispose()
        for url in (first["snapshot_url"], first["snapshot_annotated_url"]):
            path = svc.media / url.removeprefix("/media/")
            assert path.is_file() and path.read_bytes()[:2] == b"\xff\xd8"
            r = httpx.get(svc.http + url, headers=svc.headers)
            assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        assert svc.get(f"/api/events/{ev['id']}")["snapshot_url"] == first["snapshot_url"]
        cams = svc.get("/api/cameras")
        assert cams[0]["state"] == "online" and cams[0]["health"]["fps_processed"] > 1.0

    ARTIFACTS.mkdir(exist_ok=True)
    report = {"rule_to_websocket_s": {"n": len(latencies), "median": statistics.median(latencies),
                                      "max": max(latencies)}}
    (ARTIFACTS / "e2e_latency.json").write_text(json.dumps(report, indent=2))
    print(f"\nrule satisfied -> WebSocket message: {report['rule_to_websocket_s']}")
    assert max(latencies) < 1.0


def test_camera_outage_and_worker_crash(tmp_path, rtsp_camera, curb_clip, curb_gt, onnx_model):
    cam = rtsp_camera(curb=curb_clip)
    with Service(tmp_path, curb_config(cam.url("curb"), onnx_model, curb_gt)) as svc, \
            connect(svc.ws, additional_headers=svc.headers) as ws:
        receive_until(ws, lambda m: m["type"] == "camera.status" and m["state"] == "online", 60)

        cam.stop()  # the camera server dies
        offline, _ = receive_until(ws, lambda m: m["type"] == "camera.status" and m["state"] == "offline", 20)
        assert offline["camera_id"] == "q1-le-loi" and offline["previous"] == "online"
        assert svc.get("/api/cameras")[0]["state"] == "offline"

        cam.start()  # and comes back
        online, _ = receive_until(ws, lambda m: m["type"] == "camera.status" and m["state"] == "online", 40)
        assert online["id"] > offline["id"]
        processed = svc.get("/api/cameras")[0]["health"]["frames_processed"]
        time.sleep(3)
        health = svc.get("/api/cameras")[0]["health"]
        assert health["frames_processed"] > processed  # processing resumed
        assert health["reconnects"] >= 1
        changes = svc.get("/api/cameras/q1-le-loi")["status_changes"]
        assert [c["state"] for c in changes[:3]] == ["online", "offline", "online"]

        # a crashed worker is restarted by the supervisor and picks its camera up again
        (worker,) = svc.get("/api/workers")
        os.kill(worker["pid"], signal.SIGKILL)
        deadline = time.time() + 60
        while time.time() < deadline:
            (w,) = svc.get("/api/workers")
            if w["alive"] and w["pid"] != worker["pid"]:
                break
            time.sleep(0.5)
        assert w["restarts"] == 1 and w["alive"]
        before = svc.get("/api/cameras")[0]["health_updated_at"]
        deadline = time.time() + 40
        while time.time() < deadline:
            after = svc.get("/api/cameras")[0]
            if after["health_updated_at"] > before and after["health"]["frames_processed"] > 0:
                break
            time.sleep(0.5)
        assert after["health_updated_at"] > before and after["health"]["frames_processed"] > 0

        # if the service itself dies, its workers do not linger holding the cameras
        (worker,) = svc.get("/api/workers")
        svc.proc.kill()
        svc.proc.wait(10)
        deadline = time.time() + 15
        while time.time() < deadline and pid_alive(worker["pid"]):
            time.sleep(0.2)
        assert not pid_alive(worker["pid"])


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purpose
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_dumping_reaches_the_console_with_its_owner(tmp_path, rtsp_camera, shared, onnx_model):
    clip = shared / "data/clips/dumping/backpack_corridor.mp4"
    gt = json.loads(Path(str(clip) + ".gt.json").read_text())
    zone = gt["zones"][0]
    cam = rtsp_camera(corridor=clip)
    config = {
        "detector": {"model": str(onnx_model)},
        "cameras": [{
            "id": "hallway-1", "name": "Hành lang tầng 1", "ward": "Bàn Cờ", "url": cam.url("corridor"),
            "detect": {"fps": 2},
            "zones": [{"name": zone["name"], "kind": "no_dumping", "polygon": zone["polygon"],
                       "unattended_s": gt["rules"]["dumping_unattended_s"]}],
        }],
    }
    bag = np.array([gt["events"][0]["bbox"]], np.float32)

    def on_the_bag(m):
        # The test camera starts its clip when the worker connects. Joined some seconds late (a slow
        # start), a piece of the bag can be raised before the bag: the test is about the path, so
        # it waits for the alert on the bag.
        return m["type"] == "event.new" and overlap(np.array(m["event"]["bbox"], np.float32), bag)[0].max() >= 0.3

    with Service(tmp_path, config) as svc, connect(svc.ws, additional_headers=svc.headers) as ws:
        msg, _ = receive_until(ws, on_the_bag, 120)
        ev = msg["event"]
        assert ev["type"] == "dumping" and ev["zone_name"] == "floor" and ev["category"] == "left_object"
        evidence = ev["details"]["evidence"]
        assert evidence["owner_track_id"] is not None and evidence["owner_left_at"] and evidence["appeared_at"]
        owner = ev["crop_urls"]["owner"]
        r = httpx.get(svc.http + owner, headers=svc.headers)
        assert r.status_code == 200 and r.content[:2] == b"\xff\xd8"
        assert ev["started_at"] < ev["raised_at"]
