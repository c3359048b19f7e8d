"""Incident clips on real streams: before the request (pre-roll), across a camera outage, from a
non-H.264 source; and files that play."""

import os
import signal
import time

import av
import pytest

from streams.camera import CameraSource
from streams.packets import PacketRing, StoredPacket, StreamFormat

from .conftest import shared_path


def decode_all(path):
    """(frames, codec, seconds between first and last frame) of a video file."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        times = [f.time for f in c.decode(s) if f.time is not None]
        return len(times), s.codec_context.name, (times[-1] - times[0]) if times else 0.0


def wait_clip(src, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        done = src.finished_clips()
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError("clip not finished")


def test_ring_keeps_whole_groups_of_pictures():
    fmt = StreamFormat("h264", 640, 360, None, b"")
    ring = PacketRing(keep_s=3.0)
    for i in range(100):  # 10 s at 10 packets/s, a keyframe every second
        ring.push(StoredPacket(b"x" * 100, i / 10, i / 10, i % 10 == 0, fmt, 1))
    assert 2.9 <= ring.seconds <= 3.0 and ring.nbytes == 3100
    since = ring.since(8.45)
    assert since[0].keyframe and since[0].t == 8.0 and since[-1].t == 9.9
    assert ring.since(0.0)[0].t == 7.0  # as far back as it reaches, from a keyframe


def test_clip_reaches_back_before_the_request(rtsp_camera, curb_clip, tmp_path):
    cam = rtsp_camera(curb=curb_clip)
    src = CameraSource("c", cam.url("curb"), keep_s=20).start()
    try:
        assert src.latest(wait_s=10) is not None
        time.sleep(6)
        asked = time.time()
        assert src.record("c1", tmp_path / "c1.mp4", asked - 4, asked + 3)
        result = wait_clip(src)
    finally:
        src.stop()
    assert result.complete and not result.transcoded
    assert result.start_t <= asked - 3.9 and result.end_t >= asked + 2.5
    frames, codec, seconds = decode_all(result.path)
    assert codec == "h264" and 6.0 <= seconds <= 8.0 and frames >= 150  # the camera's 30 fps, untouched


def test_clip_written_while_the_camera_disconnects(rtsp_camera, curb_clip, tmp_path):
    cam = rtsp_camera(curb=curb_clip)
    src = CameraSource("c", cam.url("curb"), keep_s=20, read_timeout_s=2, open_timeout_s=2, offline_after_s=2,
                       backoff_initial_s=0.3, backoff_max_s=1).start()
    try:
        assert src.latest(wait_s=10) is not None
        time.sleep(3)
        asked = time.time()
        src.record("gap", tmp_path / "gap.mp4", asked - 2, asked + 14)
        time.sleep(2)
        cam.stop()  # the camera dies in the middle of the clip ...
        time.sleep(3)
        cam.start()  # ... and comes back before it ends
        result = wait_clip(src, timeout=40)
    finally:
        src.stop()
    frames, codec, seconds = decode_all(result.path)
    assert codec == "h264" and frames > 100
    # pictures from before the outage and after it, with the outage as a jump in time
    assert seconds >= 10 and frames < 30 * seconds * 0.9
    assert src.health().reconnects >= 1


def test_clip_cut_short_still_plays(rtsp_camera, curb_clip, tmp_path):
    """Stopping the camera reader mid-clip (as when its worker stops) leaves a playable file."""
    cam = rtsp_camera(curb=curb_clip)
    src = CameraSource("c", cam.url("curb"), keep_s=10).start()
    assert src.latest(wait_s=10) is not None
    time.sleep(2)
    src.record("cut", tmp_path / "cut.mp4", time.time() - 1, time.time() + 60)
    time.sleep(3)
    (result,) = src.stop()
    assert result.complete is False
    frames, codec, _ = decode_all(result.path)
    assert frames >= 60 and codec == "h264"


def test_hevc_source_is_transcoded_for_browsers(tmp_path):
    hevc = shared_path("data/clips/dumping/bag_dragged_hallway_hevc.mp4")
    src = CameraSource("h", str(hevc), keep_s=10).start()
    try:
        assert src.latest(wait_s=10) is not None
        time.sleep(2)
        src.record("h1", tmp_path / "h1.mp4", time.time() - 1.5, time.time() + 1.5)
        result = wait_clip(src)
    finally:
        src.stop()
    assert result.transcoded
    frames, codec, _ = decode_all(result.path)
    assert codec == "h264" and frames >= 40  # ~3 s of the 30 fps source


@pytest.mark.e2e
def test_worker_killed_mid_clip_leaves_a_playable_clip(tmp_path, rtsp_camera, curb_clip, onnx_model):
    import json
    from pathlib import Path

    from models import Database
    from models.evidence import verify
    from models.media import MediaStore

    from .test_end_to_end import Service, curb_config

    gt = json.loads(Path(str(curb_clip) + ".gt.json").read_text())
    cam = rtsp_camera(curb=curb_clip)
    config = curb_config(cam.url("curb"), onnx_model, gt)
    config["evidence"] = {"pre_roll_s": 5, "post_roll_s": 120}  # a clip that is still being written
    with Service(tmp_path, config) as svc:
        deadline = time.time() + 90
        while time.time() < deadline:
            items = svc.get("/api/events")["items"]
            if items:
                break
            time.sleep(0.5)
        event = items[-1]
        assert event["clip_state"] == "recording"
        time.sleep(4)
        (worker,) = svc.get("/api/workers")
        os.kill(worker["pid"], signal.SIGKILL)  # the worker dies mid-clip
        clip = svc.media / event["clip_url"].removeprefix("/media/")
        frames, codec, _ = decode_all(clip)
        assert frames > 60 and codec == "h264"  # plays up to its last fragment
        # the restarted worker keeps it as an incomplete clip, hashed into the evidence
        deadline = time.time() + 60
        while time.time() < deadline:
            e = svc.get(f"/api/events/{event['id']}")
            if e["clip_state"] != "recording":
                break
            time.sleep(0.5)
        assert e["clip_state"] == "incomplete"
        # stored once: the restarted worker takes the standing object's event back instead of raising
        # it again (the looping clip may bring the car back later: a new event after this one ended)
        time.sleep(5)
        first = svc.get(f"/api/events/{event['id']}")
        again = [x for x in svc.get("/api/events", limit=500)["items"] if x["id"] != event["id"]
                 and x["zone_name"] == event["zone_name"] and _iou(x["bbox"], event["bbox"]) > 0.7
                 and (first["ended_at"] is None or x["started_at"] < first["ended_at"])]
        assert again == [], (first, again)
    db = Database(svc.db_url)
    with db.session() as s:
        checks = verify(s, MediaStore(svc.media), event["id"])
    db.dispose()
    assert {c.kind for c in checks} >= {"snapshot", "snapshot_annotated", "clip", "metadata"}
    assert all(c.status == "intact" for c in checks)


def _iou(a, b) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - iw * ih
    return iw * ih / union if union > 0 else 0.0


@pytest.mark.e2e
def test_clips_come_from_the_main_stream_when_the_camera_has_one(tmp_path, rtsp_camera, curb_clip, onnx_model):
    """Detection decodes the substream only; the clip is the main stream's full-resolution video."""
    import json
    import subprocess
    from pathlib import Path

    from .test_end_to_end import Service, curb_config

    gt = json.loads(Path(str(curb_clip) + ".gt.json").read_text())
    sub = tmp_path / "curb_sub.mp4"  # the same scene at half size, as a camera's substream
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(curb_clip), "-an", "-vf",
                    "scale=804:360", "-c:v", "libx264", "-preset", "veryfast", str(sub)], check=True)
    cam = rtsp_camera(main=curb_clip, sub=sub)
    for zone in gt["zones"]:
        zone["polygon"] = [[x / 2, y / 2] for x, y in zone["polygon"]]  # zones in the substream's pixels
    config = curb_config(cam.url("sub"), onnx_model, gt)
    config["cameras"][0]["record_url"] = cam.url("main")
    config["evidence"] = {"pre_roll_s": 3, "post_roll_s": 2}
    with Service(tmp_path, config) as svc:
        deadline = time.time() + 120
        done = None
        while time.time() < deadline and done is None:
            done = next((e for e in svc.get("/api/events")["items"] if e["clip_state"] == "complete"), None)
            time.sleep(0.5)
        assert done is not None, "no event with a finished clip"
        health = svc.get("/api/cameras")[0]["health"]
    assert done["frame_size"] == [804, 360]  # detected on the substream
    assert health["recording"] == "online" and health["width"] == 804
    with av.open(str(svc.media / done["clip_url"].removeprefix("/media/"))) as c:
        s = c.streams.video[0]
        assert (s.codec_context.width, s.codec_context.height) == (1608, 720)  # the main stream, untouched
        assert s.codec_context.name == "h264"
    # the evidence record says so
    meta = svc.media / done["snapshot_url"].removeprefix("/media/").replace("-clean.jpg", "-metadata.json")
    assert json.loads(meta.read_text())["clip"]["video"] == {"width": 1608, "height": 720, "codec": "h264"}


def test_a_recording_stream_is_kept_for_clips_and_never_decoded(rtsp_camera, curb_clip, tmp_path):
    cam = rtsp_camera(curb=curb_clip)
    src = CameraSource("c", cam.url("curb"), keep_s=10, decode=False).start()
    try:
        deadline = time.time() + 15
        while time.time() < deadline and src.health().state != "online":
            time.sleep(0.2)
        assert src.health().state == "online"
        time.sleep(2)
        asked = time.time()
        assert src.record("m1", tmp_path / "m1.mp4", asked - 1.5, asked + 1.5)
        result = wait_clip(src)
        health = src.health()
    finally:
        src.stop()
    assert src.latest() is None and health.frames_decoded == 0 and health.frames_in > 60
    frames, codec, seconds = decode_all(result.path)
    assert codec == "h264" and frames >= 60 and seconds >= 2.5
