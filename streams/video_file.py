"""Reading a recorded clip as fast as it decodes, sampled at a chosen rate, with the clock taken
from the video's own timestamps (offline evaluation; replays for live use are in camera.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import av

from .frames import BgrConverter, display_size


@dataclass(frozen=True)
class ClipInfo:
    width: int
    height: int
    fps: float
    frames: int  # as the container announces it (may differ from what decodes)
    duration_s: float


def probe(path: str) -> ClipInfo:
    with av.open(path) as c:
        s = c.streams.video[0]
        first = next(c.decode(s))
        w, h = display_size(first)
        fps = float(s.average_rate or s.guessed_rate or 0) or 25.0
        duration = float(s.duration * s.time_base) if s.duration else (float(c.duration) / 1e6 if c.duration else 0.0)
        return ClipInfo(w, h, fps, int(s.frames or round(duration * fps)), duration)


def sample_frames(path: str, fps: float, size: tuple[int, int] | None = None) -> Iterator[tuple[float, int, object]]:
    """Yields (t, frame index, BGR image) every 1/fps seconds of video time, t from the first frame."""
    step = 1.0 / fps
    with av.open(path) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"  # offline: use every core for decoding
        t0, due = None, 0.0
        to_bgr = BgrConverter()
        for i, frame in enumerate(c.decode(s)):
            ts = frame.time if frame.time is not None else i / float(s.average_rate or 25)
            if t0 is None:
                t0 = ts
            t = ts - t0
            if t + 1e-6 < due:
                continue
            due += step * (1 + int((t - due) // step))  # skip slots a long frame gap jumped over
            yield t, i, to_bgr(frame, size)


def stills(path: str, n: int, size: tuple[int, int] | None = None) -> list[tuple[float, object]]:
    """`n` BGR frames evenly spread over a clip, at the middle of each n-th of it (a frame strip for
    the evidence sheet): [(t from the first frame, image)]. Each is found by seeking to the keyframe
    before it and decoding forward, so a minute-long clip costs a few GOPs, not every frame. A clip
    with no readable video gives []."""
    with av.open(path) as c:
        if not c.streams.video:
            return []
        s = c.streams.video[0]
        tb = float(s.time_base)
        pts = [p.pts for p in c.demux(s) if p.pts is not None]  # packets only: nothing is decoded
        if not pts:
            return []
        first, last = min(pts), max(pts)
        to_bgr, out = BgrConverter(), []
        for k in range(n):
            due = first + (last - first) * (k + 0.5) / n
            c.seek(int(due), stream=s, backward=True, any_frame=False)
            picked = None
            for frame in c.decode(s):
                if frame.pts is None:
                    continue
                picked = frame
                if frame.pts >= due:
                    break
            if picked is not None:
                out.append(((picked.pts - first) * tb, to_bgr(picked, size)))
        return out
