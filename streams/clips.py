"""Incident clips: a camera's packets from before the incident to after it, written as MP4.

- H.264 is remuxed, never re-encoded: the clip is the camera's own picture, bit for bit.
- Other codecs (HEVC, MJPEG, ...) are transcoded to H.264, because browsers do not reliably play
  them in MP4 (HEVC needs hardware support that most office PCs lack).
- The MP4 is fragmented (a fragment per keyframe, flushed as written): a worker killed in the
  middle of a clip leaves a file that plays up to the last fragment.
- A clip that spans a reconnection resumes at the new connection's first keyframe, on the wall
  clock (the gap shows as a jump in time, not as a splice).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from .packets import StoredPacket, StreamFormat

log = logging.getLogger(__name__)

BROWSER_CODECS = {"h264"}
MP4_OPTIONS = {"movflags": "+frag_keyframe+empty_moov+default_base_moof", "flush_packets": "1"}
TB = Fraction(1, 90000)


@dataclass(frozen=True)
class ClipResult:
    clip_id: str
    path: Path
    start_t: float | None  # first and last picture written, wall clock
    end_t: float | None
    frames: int
    complete: bool  # covered the whole window it was asked for
    transcoded: bool
    note: str | None = None


class ClipWriter:
    def __init__(self, clip_id: str, path: Path, start_t: float, end_t: float):
        self.clip_id = clip_id
        self.path = Path(path)
        self.start_t, self.end_t = start_t, end_t
        self._out = None
        self._stream = None
        self._fmt: StreamFormat | None = None
        self._connection: int | None = None
        self._waiting_keyframe = True
        self._t0: float | None = None
        self._last_dts = -1
        self._first_t: float | None = None
        self._last_t: float | None = None
        self._frames = 0
        self._decoder = None
        self._encoder = None
        self._note: str | None = None
        self.closed = False

    @property
    def transcoding(self) -> bool:
        return self._fmt is not None and self._fmt.codec not in BROWSER_CODECS

    def _open(self, fmt: StreamFormat) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fmt = fmt
        self._out = av.open(str(self.path), "w", format="mp4", options=MP4_OPTIONS)
        if fmt.codec in BROWSER_CODECS:
            self._stream = self._out.add_stream(fmt.codec, rate=fmt.rate or 25)
            self._stream.codec_context.extradata = fmt.extradata
        else:
            self._decoder = av.CodecContext.create(fmt.codec, "r")
            if fmt.extradata:
                self._decoder.extradata = fmt.extradata
            self._stream = self._out.add_stream("libx264", rate=fmt.rate or 25)
            self._stream.pix_fmt = "yuv420p"
            self._stream.options = {"preset": "veryfast", "crf": "23", "profile": "high"}
        if self._decoder is not None:  # the encoder counts in the same ticks as the muxer
            self._stream.codec_context.time_base = TB
            self._stream.width, self._stream.height = fmt.width // 2 * 2, fmt.height // 2 * 2  # 4:2:0 needs even sizes
        else:
            self._stream.width, self._stream.height = fmt.width, fmt.height
        self._stream.time_base = TB

    def feed(self, p: StoredPacket) -> None:
        """Takes packets in order; those outside the window, or before a usable keyframe, are skipped."""
        if self.closed or p.t > self.end_t:
            return
        if self._fmt is not None and (p.fmt.codec, p.fmt.width, p.fmt.height) != (
            self._fmt.codec, self._fmt.width, self._fmt.height
        ):
            self._note = "the camera changed its picture format; the clip ends there"
            self.end_t = min(self.end_t, p.t)
            return
        if p.connection != self._connection:
            self._connection, self._waiting_keyframe = p.connection, True
        if self._waiting_keyframe:
            if not p.keyframe:
                return
            self._waiting_keyframe = False
        if self._out is None:
            self._open(p.fmt)
            self._t0 = p.t
        try:
            self._write(p)
        except (av.error.FFmpegError, ValueError) as exc:  # one bad packet must not lose the clip
            log.warning("clip %s: packet skipped: %s", self.clip_id, exc)

    def _write(self, p: StoredPacket) -> None:
        if self._first_t is None:
            self._first_t = p.t
        self._last_t = p.t
        if self._decoder is None:
            pkt = av.Packet(p.data)
            dts = max(self._last_dts + 1, round((p.dts_t - self._t0) / TB))
            pkt.dts, pkt.pts = dts, max(dts, round((p.t - self._t0) / TB))
            pkt.time_base = TB
            pkt.is_keyframe = p.keyframe
            pkt.stream = self._stream
            self._last_dts = dts
            self._out.mux(pkt)
            self._frames += 1
            return
        for decoded in self._decoder.decode(av.Packet(p.data)):
            frame = decoded.reformat(width=self._stream.width, height=self._stream.height, format="yuv420p")
            frame.pts = max(self._last_dts + 1, round((p.t - self._t0) / TB))
            frame.time_base = TB
            self._last_dts = frame.pts
            for out in self._stream.encode(frame):
                self._out.mux(out)
            self._frames += 1

    def due(self, now: float) -> bool:
        return now >= self.end_t

    def close(self, complete: bool = True) -> ClipResult:
        if not self.closed:
            self.closed = True
            if self._out is not None:
                try:
                    if self._decoder is not None:
                        for out in self._stream.encode():
                            self._out.mux(out)
                finally:
                    self._out.close()
        if self._out is None:
            note = "no picture from the camera in the clip's window"
            return ClipResult(self.clip_id, self.path, None, None, 0, False, False, note)
        covered = complete and self._note is None and self._last_t is not None and self._last_t >= self.end_t - 2.0
        return ClipResult(self.clip_id, self.path, self._first_t, self._last_t, self._frames, covered,
                          self.transcoding, self._note)
