"""Cameras that die and come back, on a real RTSP server: offline and online each time, no crash,
and back within seconds of the camera's return even after a long outage has grown the backoff."""

import time

from streams.camera import CameraSource
from streams.health import CameraState

from ..test_camera_ingest import wait_for


def test_a_camera_back_after_a_long_outage_is_read_again_within_5_s(rtsp_camera, curb_clip):
    cam = rtsp_camera(curb=curb_clip)
    # the service's defaults: backoff from 1 s doubling to 30 s
    src = CameraSource("c", cam.url("curb"), read_timeout_s=2, open_timeout_s=2, offline_after_s=2).start()
    try:
        for outage_s in (2, 20, 2):  # 20 s: attempts after 1, 2, 4, 8 s, then a 16 s wait
            assert src.latest(wait_s=15) is not None
            cam.stop()
            assert wait_for(lambda: src.health().state == CameraState.OFFLINE, 10)
            time.sleep(outage_s)
            cam.start()
            back = time.monotonic()
            assert wait_for(lambda: src.health().state == CameraState.ONLINE, 15)
            assert time.monotonic() - back <= 5.0, f"back after {time.monotonic() - back:.1f} s"
        assert src.health().reconnects >= 3
    finally:
        src.stop()
        cam.stop()
