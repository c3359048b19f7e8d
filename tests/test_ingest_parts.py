"""The parts a camera reader is made of, each alone and on a given clock (no waiting): the ingest
figures, the pace of a replayed file, and the clip buffer fed from a real H.264 encode."""

import av

from streams.clip_buffer import ClipBuffer
from streams.ingest_stats import IngestStats
from streams.packets import StoredPacket, StreamFormat
from streams.replay import ReplayPacer

from .helpers import encode_clip


class Clock:
    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_ingest_figures_count_and_rate_on_their_clock():
    clock = Clock()
    stats = IngestStats(clock, window_s=5.0)
    assert stats.connected() == 1 and stats.connected() == 2
    for _ in range(50):  # 25 packets a second for two seconds, every other one decoded
        stats.packet()
        if int(clock.t * 25) % 2 == 0:
            stats.decoded()
        clock.t += 0.04
    stats.processed(inferences=3)
    f = stats.figures()
    assert f.frames_in == 50 and f.frames_processed == 1 and f.inferences == 3 and f.connects == 2
    assert abs(f.fps_in - 25.0) < 0.6 and 10 < f.fps_decoded < 15
    clock.t += 10  # nothing for longer than the window: no rate, the totals stay
    later = stats.figures()
    assert later.fps_in == 0.0 and later.frames_in == 50


def test_a_replayed_file_keeps_its_own_pace():
    clock = Clock()
    waits = []

    def wait(seconds: float) -> bool:
        waits.append(round(seconds, 3))
        clock.t += seconds
        return False

    pacer = ReplayPacer(wait, clock)
    assert pacer.hold(5.0) is False and waits == []  # the first packet: due now
    assert pacer.hold(5.04) is False and waits == [0.04]
    clock.t += 1.0  # the reader fell behind: no waiting until it catches up
    assert pacer.hold(5.08) is False and waits == [0.04]
    pacer.reset()  # the file starts again
    assert pacer.hold(0.0) is False and waits == [0.04]
    assert ReplayPacer(lambda s: True, clock).hold(0.0) is False  # stopping only ends a real wait


def test_the_clip_buffer_cuts_clips_from_the_past_and_the_live_packets(tmp_path):
    src = encode_clip(tmp_path / "src.ts", 100, fps=25)  # MPEG-TS: H.264 as cameras send it
    with av.open(str(src)) as c:
        stream = c.streams.video[0]
        fmt = StreamFormat.of(stream)
        packets = [StoredPacket(bytes(p), float(p.pts * p.time_base), float(p.dts * p.time_base), p.is_keyframe,
                                fmt, 1) for p in c.demux(stream) if p.size]
    buffer = ClipBuffer(keep_s=10.0)
    for p in packets[:50]:  # the first two seconds are in the past when the clip is asked for
        buffer.store(p)
    buffer.record("c1", tmp_path / "clip.mp4", start_t=1.0, end_t=3.0)
    assert buffer.finished(now=2.5) == []  # its end has not come
    for p in packets[50:]:
        buffer.store(p)
    (done,) = buffer.finished(now=4.0)
    assert done.complete and done.path.is_file()
    with av.open(str(done.path)) as c:
        frames = sum(1 for _ in c.decode(video=0))
    assert done.frames == frames and 60 <= frames <= 80  # from the keyframe before 1 s (the first) to 3 s
    buffer.record("c2", tmp_path / "cut.mp4", start_t=3.5, end_t=9.0)
    (cut,) = buffer.close_all()  # the camera stops first: kept, incomplete
    assert not cut.complete
