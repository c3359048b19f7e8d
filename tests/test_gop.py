"""Decoding only the frames that will be analysed: IDR detection on real encoder output, the
planner's decisions, and a real RTSP camera read at 2 detect-fps."""

import time

import av

from streams.camera import CameraSource
from streams.gop import DecodePlanner, is_idr, nal_types

from .helpers import encode_clip


def encode(path, *, open_gop: bool, codec: str = "libx264", frames: int = 75, fps: int = 25):
    """A real encode with a keyframe every second; open GOP (I-frames that are not IDR, with
    B-frames referring across them) or closed."""
    params = "keyint=25:min-keyint=25:scenecut=0" + (":open-gop=1:bframes=2" if open_gop else ":open-gop=0:bframes=0")
    key = "x264-params" if codec == "libx264" else "x265-params"
    return encode_clip(path, frames, fps, codec=codec, options={key: params}, noise=True)


def keyframes(path) -> list[tuple[bytes, str]]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return [(bytes(p), s.codec_context.name) for p in c.demux(s) if p.size and p.is_keyframe]


def annex_b(avcc: bytes) -> bytes:
    """The same NAL units with start codes instead of length prefixes (as RTSP delivers them)."""
    out, i = b"", 0
    while i + 4 <= len(avcc):
        n = int.from_bytes(avcc[i : i + 4], "big")
        out += b"\x00\x00\x00\x01" + avcc[i + 4 : i + 4 + n]
        i += 4 + n
    return out


def test_closed_gop_keyframes_are_idr_in_both_packagings(tmp_path):
    keys = keyframes(encode(tmp_path / "closed.mp4", open_gop=False))
    assert len(keys) == 3
    for data, codec in keys:
        assert codec == "h264" and is_idr(data, codec) and is_idr(annex_b(data), codec)
        assert 5 in nal_types(annex_b(data), codec)


def test_open_gop_keyframes_are_not_idr(tmp_path):
    keys = keyframes(encode(tmp_path / "open.mp4", open_gop=True))
    assert len(keys) >= 2
    assert is_idr(*keys[0])  # a stream starts with an IDR
    assert not any(is_idr(data, codec) for data, codec in keys[1:])  # recovery points, not IDR


def test_hevc_idr_cra_and_other_codecs(tmp_path):
    closed = keyframes(encode(tmp_path / "closed.mkv", open_gop=False, codec="libx265"))  # PyAV's wheel has x265
    opened = keyframes(encode(tmp_path / "open.mkv", open_gop=True, codec="libx265"))
    assert len(closed) == 3 and all(codec == "hevc" and is_idr(data, codec) for data, codec in closed)
    assert len(opened) >= 2 and not any(is_idr(data, codec) for data, codec in opened[1:])  # CRA pictures
    assert not is_idr(b"\x00\x00\x01\x65", "mjpeg")  # only H.264 and HEVC are looked into


def simulate(planner: DecodePlanner, *, closed=True, seconds=10.0, fps=30, gop_s=1.0, detect_fps=2.0,
             slack=0.25):
    """A 30 fps camera and a consumer taking the newest decoded frame every 0.5 s."""
    interval, due = 1 / detect_fps, 0.0
    latest, decoded, delays = None, 0, []
    frames_per_gop = round(gop_s * fps)
    for n in range(int(seconds * fps)):
        now = n / fps
        key = n % frames_per_gop == 0
        if planner.decode(keyframe=key, idr=closed, pts_s=now, now=now, wanted_at=due, slack_s=slack):
            decoded += 1
            latest = now
        if now >= due and not planner.skipping and latest is not None:
            delays.append(now - due)  # how late the consumer got its frame
            due += interval
    return decoded / (seconds * fps), delays


def test_planner_skips_about_half_at_2_fps_and_serves_every_frame_in_time():
    share, delays = simulate(DecodePlanner())
    assert 0.35 <= share <= 0.65
    assert len(delays) >= 19 and max(delays) <= 0.25 + 1e-9


def test_planner_decodes_everything_without_a_consumer_time_or_closed_gops():
    p = DecodePlanner()
    assert all(p.decode(keyframe=n % 30 == 0, idr=True, pts_s=n / 30, now=n / 30, wanted_at=None, slack_s=0.25)
               for n in range(300))
    share, _ = simulate(DecodePlanner(), closed=False)
    assert share == 1.0


def test_planner_never_skips_for_a_consumer_behind_schedule():
    p = DecodePlanner()
    for n in range(300):  # the consumer wanted a frame long ago: it is overloaded, give it the newest
        assert p.decode(keyframe=n % 30 == 0, idr=True, pts_s=n / 30, now=n / 30, wanted_at=0.0, slack_s=0.25)


def test_camera_at_2_detect_fps_decodes_less_and_serves_every_frame(rtsp_camera, curb_clip):
    cam = rtsp_camera(curb=curb_clip)
    src = CameraSource("c", cam.url("curb"), size=(640, 288))
    src.target_fps = 2.0
    src.start()
    try:
        frame = src.latest(wait_s=10)
        seq, due, takes, late, ages = frame.seq, time.time(), 0, [], []
        end = time.time() + 6
        while time.time() < end:
            now = time.time()
            if now >= due and src.has_new(seq):
                f = src.latest(after_seq=seq)
                seq, takes = f.seq, takes + 1
                late.append(now - due)
                ages.append(now - f.t)
                due = max(due + 0.5, now)
                src.wanted_at = due
            time.sleep(0.005)
        h = src.health()
        assert 11 <= takes <= 13, takes  # the 2 fps asked for
        assert max(late) < 0.35 and max(ages) < 0.1, (late, ages)  # in time, and fresh
        assert 25 <= h.fps_in <= 35  # every frame the camera sent was received...
        assert h.fps_decoded < 0.7 * h.fps_in, h  # ...but not every one decoded
    finally:
        src.stop()
