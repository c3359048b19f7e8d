"""A camera that sends damaged H.264 (bytes flipped all through the stream): the reader survives,
keeps delivering what can be decoded, and says what went wrong; nothing crashes."""

import random
import time

from streams.camera import CameraSource

from ..helpers import encode_clip


def test_a_damaged_stream_is_read_as_far_as_it_can_be(tmp_path):
    clean = encode_clip(tmp_path / "clean.mp4", 150, noise=True)
    data = bytearray(clean.read_bytes())
    rng = random.Random(7)
    for i in rng.sample(range(4096, len(data)), len(data) // 300):  # the header kept: a stream once opened
        data[i] ^= 1 << rng.randrange(8)
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    src = CameraSource("fuzz", str(damaged), offline_after_s=2, backoff_initial_s=0.1, backoff_max_s=0.5).start()
    try:
        seen = 0
        deadline = time.monotonic() + 12  # the 6 s file looped twice
        while time.monotonic() < deadline:
            if src.latest(wait_s=0.5) is not None:
                seen += 1
        assert src._thread is not None and src._thread.is_alive()  # the reader lives on
        assert seen > 10
        health = src.health()
        assert health.frames_in > 10 or health.reconnects > 0
    finally:
        src.stop()
