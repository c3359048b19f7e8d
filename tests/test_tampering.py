"""Camera tampering on real footage: each kind, made with ffmpeg filters on a shared clip from 8 s to
20 s, is raised within 10 s of its onset and ended when the view returns; the eleven unmodified
shared clips (a day-to-night cut among them) raise nothing. Then the detector's behaviours one by
one, and the worker's path: problems stored with their pictures, announced, paused rules,
accepted by an admin through the API."""

from __future__ import annotations

import shutil

import cv2
import numpy as np
import pytest

from streams.video_file import sample_frames
from urbanwatch.evaluation.tampering import (
    BACK_S,
    FPS,
    ONSET_S,
    STREET,
    TAMPERINGS,
    detect_tampering,
    make_tampered_clip,
)
from vision.tampering import Tamper, TamperingDetector

from .conftest import need, shared_path

DETECTED_WITHIN_S = 10.0
UNMODIFIED = [
    "dumping/backpack_corridor.mp4", "dumping/bag_dragged_hallway_hevc.mp4", "dumping/gravel_yard_dumping_kr.mp4",
    "dumping/park_path_litter_kr.mp4", "negatives/hanoi_red_light_wait.mp4",
    "negatives/hcm_expressway_day_night.mp4", "negatives/highway_shoulder.avi",
    "negatives/people_standing_indoor.mp4", "street/saigon_red_light_queue.mp4",
    "street/street_parked_cars_curb.mp4", "street/vn_cars_parked_at_curb.mp4",
]


@pytest.fixture(scope="module")
def tampered(tmp_path_factory, shared):
    need(shutil.which("ffmpeg") is not None, "ffmpeg is not installed (scripts/system-packages.sh)")
    out = tmp_path_factory.mktemp("tampered")
    return {kind: make_tampered_clip(shared, kind, out / f"{kind}.mp4") for kind in TAMPERINGS}


@pytest.fixture(scope="module")
def street_frames() -> list[tuple[float, np.ndarray]]:
    """The first 20 s of a real street at 640 wide, 2 frames a second."""
    frames = []
    for t, _, image in sample_frames(str(shared_path(STREET)), FPS, size=(640, 360)):
        if t > 20:
            break
        frames.append((t, image))
    return frames


@pytest.mark.parametrize("kind", list(Tamper))
def test_each_tampering_is_raised_within_10_s_and_ends_when_the_view_returns(tampered, kind):
    seen = detect_tampering(tampered[kind])
    assert [(s.change.kind, s.change.change) for s in seen] == [(kind, "started"), (kind, "ended")], seen
    started, ended = seen
    assert ONSET_S <= started.at <= ONSET_S + DETECTED_WITHIN_S
    assert started.change.t >= ONSET_S - 1 / FPS  # the problem's own start: near the onset
    assert BACK_S <= ended.at <= BACK_S + DETECTED_WITHIN_S and ended.change.reason == "view_returned"


@pytest.mark.parametrize("clip", UNMODIFIED)
def test_the_unmodified_shared_clips_raise_no_tampering(clip):
    """Traffic, people standing still indoors, a hallway at low light, the day-to-night cut."""
    assert detect_tampering(shared_path(f"data/clips/{clip}")) == []


def run(detector: TamperingDetector, frames) -> list:
    return [c for t, image in frames for c in detector.update(image, t).changes]


def test_a_bus_filling_the_view_for_a_few_seconds_is_not_tampering(street_frames):
    """A flat side of one colour over the whole picture for 3 s: covered, but not for long enough."""
    frames = [(t, image.copy()) for t, image in street_frames]
    for t, image in frames:
        if 10 <= t < 13:
            image[:] = (40, 150, 200)
    assert run(TamperingDetector(), frames) == []


@pytest.mark.parametrize("level", [30, 120, 200])
def test_a_cover_of_any_brightness_with_sensor_noise_is_covered(street_frames, level):
    """A hand, a bag or a cloth: one brightness, with the sensor's noise, over 94 % of the picture."""
    rng = np.random.default_rng(level)
    frames = []
    for t, image in street_frames:
        if t >= 8:
            image = image.copy()
            image[:340] = np.clip(level + rng.normal(0, 2, image[:340].shape), 0, 255).astype(np.uint8)
        frames.append((t, image))
    changes = run(TamperingDetector(), frames)
    assert [(c.kind, c.change) for c in changes] == [(Tamper.COVERED, "started")]
    assert 8 <= changes[0].t < 9


def test_light_switched_at_once_is_relearned_not_raised(street_frames):
    """The whole picture 2.5 times darker from 8 s on (a day/night switch): the reference follows."""
    frames = [(t, (image * 0.4).astype(np.uint8) if t >= 8 else image) for t, image in street_frames]
    assert run(TamperingDetector(), frames) == []


def test_a_few_pixels_of_shake_are_not_a_move(street_frames):
    rng = np.random.default_rng(1)
    frames = []
    for t, image in street_frames:
        dx, dy = rng.integers(-4, 5, size=2)  # 4 of 640 pixels
        frames.append((t, cv2.warpAffine(image, np.float32([[1, 0, dx], [0, 1, dy]]), (640, 360),
                                         borderMode=cv2.BORDER_REPLICATE)))
    assert run(TamperingDetector(), frames) == []


def shifted(image: np.ndarray, share: float = 0.15) -> np.ndarray:
    dx = int(image.shape[1] * share)
    out = np.zeros_like(image)
    out[:, dx:] = image[:, :-dx]
    return out


def test_an_accepted_view_becomes_the_reference(street_frames):
    detector = TamperingDetector()
    frames = [(t, shifted(image) if t >= 5 else image) for t, image in street_frames]
    changes = run(detector, [f for f in frames if f[0] < 12])
    assert [(c.kind, c.change) for c in changes] == [(Tamper.MOVED, "started")]
    assert detector.update(frames[24][1], 12.0).rules_paused
    (ended,) = detector.accept(12.0)
    assert (ended.kind, ended.change, ended.reason) == (Tamper.MOVED, "ended", "accepted")
    after = [detector.update(image, t) for t, image in frames if t > 12]
    assert not any(r.changes for r in after) and not after[-1].rules_paused


def test_a_reference_picture_predates_the_onset(street_frames):
    """The "before" picture of a problem is a normal frame, not one of the tampered ones."""
    detector = TamperingDetector()
    frames = [(t, np.zeros_like(image) if t >= 12 else image) for t, image in street_frames]
    changes = run(detector, frames)
    assert [c.kind for c in changes] == [Tamper.COVERED]
    assert detector.reference_picture is not None and detector.reference_picture.mean() > 30


def test_a_problem_restored_after_a_restart_ends_when_the_view_returns(street_frames):
    """A worker restarted while a camera was covered: the stored "before" picture is the reference."""
    detector = TamperingDetector()
    before = street_frames[0][1]
    detector.restore({Tamper.COVERED}, before, 0.0)
    result = None
    changes = []
    for t, image in street_frames[:10]:
        result = detector.update(image, t)
        changes += result.changes
    assert [(c.kind, c.change) for c in changes] == [(Tamper.COVERED, "ended")]
    assert result.active == frozenset()


# ---------------------------------------------------------------------------- through the worker
def test_a_moved_camera_through_the_worker_is_stored_announced_paused_and_accepted(tampered, tmp_path):
    """The worker's own path on the turned-camera clip, with the real detector: the problem stored
    with its before and after pictures and announced on the feed, the zone rules paused; the API
    lists it within the caller's wards, an admin accepts the view (audited), the worker follows and
    resumes the rules; a worker restarted while it was open takes it up again, paused."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from models import Database, feed
    from models.audit import entries
    from models.problems import open_problems
    from streams.frames import Frame
    from urbanwatch.config import parse_config
    from urbanwatch.runtime.detection import FrameJob, analyse
    from urbanwatch.runtime.registry import sync_cameras
    from urbanwatch.runtime.worker import Worker

    from .helpers import add_user, bearer

    url = f"sqlite:///{tmp_path / 'uw.db'}"
    settings = parse_config({
        "storage": {"database_url": url, "media_dir": str(tmp_path / "media")},
        "detector": {"model": str(shared_path("models/yolov8n_int8.onnx")), "imgsz": 320},
        "evidence": {"clips": False},
        "cameras": [{"id": "cam1", "name": "Hàng Bài", "ward": "Bến Thành", "url": str(tampered[Tamper.MOVED]),
                     "zones": [{"name": "via_he", "kind": "sidewalk", "dwell_s": 30,
                                "polygon": [[0, 250], [640, 250], [640, 360], [0, 360]]}]},
                    {"id": "ptz1", "name": "Ngã tư (PTZ)", "ward": "Bến Thành", "url": str(tampered[Tamper.MOVED]),
                     "tampering": False}],
    }, tmp_path, {})
    db = Database(url)
    db.upgrade()
    sync_cameras(db, settings)
    admin, outsider = add_user(db, "an", "admin", city_wide=True), add_user(db, "binh", "admin", areas=("Bàn Cờ",))
    worker = Worker(settings, ["cam1"], name="worker-test")
    cam = settings.camera("cam1")
    t0 = 1_800_000_000.0

    def play(run, until_s: float, after_s: float = -1.0) -> None:
        for seq, (t, _, image) in enumerate(sample_frames(str(tampered[Tamper.MOVED]), FPS)):
            if after_s < t <= until_s:
                frame = Frame("cam1", seq + 1, t0 + t, t, image, (image.shape[1], image.shape[0]))
                (result,) = analyse(worker.detector, [FrameJob(run.analyzer, image, frame.t, frame.scale, "cam1")])
                worker._frame_done(run, frame, result, frame.t)
                worker.recorder.flush()

    assert worker._camera_run(settings.camera("ptz1"), t0).tampering is None  # turns on purpose: not watched
    run = worker._camera_run(cam, t0)
    worker.runs.append(run)
    play(run, 14.0)
    assert run.paused and run.analyzer.rules == []
    with db.session() as s:
        (problem,) = open_problems(s)["cam1"]
        assert problem.kind == "moved" and t0 + ONSET_S <= problem.started_at.timestamp() < t0 + ONSET_S + 1
        assert problem.raised_at.timestamp() <= t0 + ONSET_S + DETECTED_WITHIN_S
        for picture in (problem.before, problem.after):
            assert worker.media.path(picture).stat().st_size > 10_000
        announced = [e.payload for e in feed.after(s, 0) if e.type == "camera.problem"]
    assert [(m["change"], m["problem"]["kind"]) for m in announced] == [("started", "moved")]

    restarted = worker._camera_run(cam, t0 + 14.5)  # a worker started again while the problem is open
    assert restarted.paused and restarted.tampering.problem_ids == {Tamper.MOVED: problem.id}

    app = create_app(settings, db, poll_s=0.05)
    with TestClient(app, headers=bearer(admin)) as client:
        listed = client.get("/api/cameras/cam1/problems").json()
        assert [(p["kind"], p["open"]) for p in listed] == [("moved", True)]
        assert listed[0]["before_url"] and client.get(listed[0]["after_url"]).status_code == 200
        assert [p["id"] for p in client.get("/api/cameras").json()[0]["problems"]] == [problem.id]
        other = {"Authorization": f"Bearer {outsider}"}  # an admin of another ward
        assert client.get("/api/cameras/cam1/problems", headers=other).status_code == 404
        assert client.post(f"/api/cameras/cam1/problems/{problem.id}/accept", headers=other).status_code == 404
        accepted = client.post(f"/api/cameras/cam1/problems/{problem.id}/accept")
        assert accepted.status_code == 200 and accepted.json()[0]["end_reason"] == "accepted"
        assert accepted.json()[0]["accepted_by"] == "an"
        assert client.post(f"/api/cameras/cam1/problems/{problem.id}/accept").status_code == 409
    with db.session() as s:
        assert [e.action for e in entries(s, "camera_problem", problem.id)] == ["camera.accept_view"]

    worker._follow_acceptance(t0 + 15.0)
    assert not run.paused and len(run.analyzer.rules) == 1 and run.tampering.problem_ids == {}
    play(run, 19.5, after_s=14.0)  # the turned view is now the reference: nothing more until it turns back
    with db.session() as s:
        assert open_problems(s) == {}
    app.state.db.dispose()
    db.dispose()


def test_zones_drawn_again_on_a_moved_camera_accept_its_view_and_nothing_else(db, db_url, tmp_path):
    """Redrawing a moved camera's zones is an acceptance (audited, announced); a covered camera's
    problem is not ended by new zones: it still sees nothing."""
    from datetime import timedelta

    from fastapi.testclient import TestClient

    from api.app import create_app
    from models import feed
    from models.audit import entries
    from models.problems import open_problems, raise_problem
    from models.types import utcnow
    from urbanwatch.config import parse_config

    from .helpers import add_camera, add_user, bearer

    add_camera(db, "cam1")
    add_camera(db, "cam2")
    admin = add_user(db, "an", "admin", city_wide=True)
    now = utcnow()
    with db.write() as s:
        moved = raise_problem(s, "cam1", "moved", now - timedelta(seconds=6), now, None, None, {"similarity": 0.1}).id
        covered = raise_problem(s, "cam2", "covered", now - timedelta(seconds=5), now, None, None, {"flat": 0.9}).id
    settings = parse_config({"storage": {"database_url": db_url, "media_dir": str(tmp_path / "media")}}, tmp_path, {})
    app = create_app(settings, db, poll_s=0.05)
    zones = [{"name": "via_he", "kind": "sidewalk", "polygon": [[0, 0], [200, 0], [200, 100]], "dwell_s": 20}]
    with TestClient(app, headers=bearer(admin)) as client:
        for cam in ("cam1", "cam2"):
            r = client.put(f"/api/cameras/{cam}/zones", json=zones)
            assert r.status_code == 200, r.text
        assert client.get("/api/cameras/cam2").json()["problems"][0]["id"] == covered
        metrics = client.get("/metrics").text
    assert 'urbanwatch_camera_problem{camera="cam2",kind="covered",ward="Bến Thành"} 1.0' in metrics
    assert 'urbanwatch_camera_problem{camera="cam1",kind="moved",ward="Bến Thành"} 0.0' in metrics
    with db.session() as s:
        assert list(open_problems(s)) == ["cam2"]
        assert [e.action for e in entries(s, "camera_problem", moved)] == ["camera.accept_view"]
        changes = [(e.payload["change"], e.payload["problem"]["kind"]) for e in feed.after(s, 0)
                   if e.type == "camera.problem"]
    assert changes == [("started", "moved"), ("started", "covered"), ("accepted", "moved")]
