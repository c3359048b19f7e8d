"""The media disk full when an alert is raised: the worker does not crash, the event waits (its
pictures already drawn) and is stored, pictures and all, once there is space again; no half
written file is left behind. A real filesystem of 2 MB (tmpfs), really full."""

import subprocess
import time

import numpy as np
import pytest

from models.events import EventFilter, list_events
from models.media import MediaStore
from streams.frames import Frame
from streams.notify import FeedNotifier
from urbanwatch.runtime.evidence import Provenance
from urbanwatch.runtime.recorder import CameraInfo, Recorder
from vision.violations import RuleEvent, Violation

from ..conftest import need
from ..helpers import add_camera


@pytest.fixture
def small_disk(tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(root)], capture_output=True)
    need(mounted.returncode == 0, f"cannot mount a small tmpfs (needs root): {mounted.stderr.decode().strip()}")
    yield root
    subprocess.run(["umount", "-l", str(root)], check=False)


def fill(root) -> None:
    with open(root / "filler", "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass


def test_a_full_media_disk_delays_the_event_and_loses_nothing(db, small_disk):
    zone = add_camera(db, "cam1")
    media = MediaStore(small_disk)
    recorder = Recorder(db, media, FeedNotifier(None),
                        Provenance("yolov8n.pt", None, 640, 0.25, "Asia/Ho_Chi_Minh", 30, 30), worker="w0")
    recorder.add_camera(CameraInfo("cam1", "Nguyễn Huệ 1", "Phường Bến Thành, Thành phố Hồ Chí Minh",
                                   {"via_he": zone}, {"via_he": np.array([[0, 0], [640, 0], [640, 360]], np.float32)},
                                   {"via_he": "sidewalk"}))
    rng = np.random.default_rng(1)
    frame = Frame("cam1", 1, time.time(), None, rng.integers(0, 255, (360, 640, 3), np.uint8), (1280, 720))
    now = time.time()
    v = Violation(1, "encroachment", "via_he", "vehicle", "car", (100, 100, 300, 300), 0.8, 3, now - 60, now)
    fill(small_disk)
    recorder.rule_events("cam1", frame, [RuleEvent.of("raised", v)])  # must not raise
    stats = recorder.write_stats()
    assert stats.backlog == 1 and stats.failed == 0 and "No space left on device" in stats.retrying
    assert not list(small_disk.rglob("*.tmp"))  # nothing half written
    with db.session() as s:
        assert list_events(s, EventFilter())[1] == 0
    (small_disk / "filler").unlink()  # retention frees space
    time.sleep(1.2)  # the queue's first pause
    recorder.flush()
    assert recorder.write_stats().backlog == 0
    with db.session() as s:
        (event,), total = list_events(s, EventFilter())
        assert total == 1 and media.path(event.snapshot).stat().st_size > 10_000
        assert media.path(event.snapshot_annotated).is_file()
