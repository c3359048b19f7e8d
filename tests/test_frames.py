"""Frame conversion: one converter per stream gives the same pictures as PyAV's own conversion."""

import av
import numpy as np

from streams.frames import BgrConverter, to_bgr


def _frames(n=5, w=64, h=48):
    rng = np.random.default_rng(1)
    for _ in range(n):
        rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        yield av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")


def test_converter_matches_pyav_frame_after_frame():
    convert = BgrConverter()
    for f in _frames():
        ours = convert(f)
        assert ours.shape == (48, 64, 3) and ours.flags.c_contiguous
        assert np.array_equal(ours, f.to_ndarray(format="bgr24"))


def test_converter_scales_in_the_same_step():
    convert = BgrConverter()
    for f in _frames():
        assert convert(f, (32, 24)).shape == (24, 32, 3)
        assert convert(f).shape == (48, 64, 3)  # the size may change from one call to the next
    f = next(_frames())
    assert np.array_equal(to_bgr(f, (32, 24)), f.to_ndarray(format="bgr24", width=32, height=24))
