"""A camera that sends damaged H.264 (bits flipped all through the stream): the reader survives,
keeps delivering what can be decoded, and says what went wrong; nothing crashes."""

import random
import time

from streams.camera import CameraSource

from ..helpers import encode_clip


def damaged_copy(clean, out, every: int):
    """Bits flipped in one byte of every `every`, past the stream's first tables."""
    data = bytearray(clean.read_bytes())
    rng = random.Random(7)
    for i in rng.sample(range(188 * 8, len(data)), len(data) // every):
        data[i] ^= 1 << rng.randrange(8)
    out.write_bytes(bytes(data))
    return out


def test_a_damaged_stream_is_read_as_far_as_it_can_be(tmp_path):
    # MPEG-TS, as cameras send: no index to break, damage lands in the data as on a bad link
    clean = encode_clip(tmp_path / "clean.ts", 150, noise=True)
    src = CameraSource("fuzz", str(damaged_copy(clean, tmp_path / "damaged.ts", 300)), offline_after_s=2,
                       backoff_initial_s=0.1, backoff_max_s=0.5).start()
    try:
        seen = 0
        deadline = time.monotonic() + 12  # the 6 s file looped twice
        while time.monotonic() < deadline:
            if src.latest(wait_s=0.5) is not None:
                seen += 1
        assert src._thread is not None and src._thread.is_alive()  # the reader lives on
        assert seen > 10
    finally:
        src.stop()

