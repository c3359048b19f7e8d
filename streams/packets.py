"""A camera's recent compressed video, kept in memory so that an incident clip can start before the
alert (dumping is confirmed long after the bag was put down).

Packets are kept as the camera sent them (no decoding, no re-encoding). Their times are on the wall
clock: within one connection they follow the camera's own timestamps; a reconnection starts a new
timeline aligned to the moment it began.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class StreamFormat:
    """What a decoder or muxer needs to know about the stream the packets belong to."""

    codec: str  # h264, hevc, mjpeg, ...
    width: int
    height: int
    rate: Fraction | None
    extradata: bytes | None

    @classmethod
    def of(cls, stream) -> StreamFormat:
        cc = stream.codec_context
        return cls(cc.name, cc.width, cc.height, stream.average_rate, bytes(cc.extradata) if cc.extradata else None)


@dataclass(frozen=True, eq=False)
class StoredPacket:
    data: bytes
    t: float  # presentation time, wall clock seconds
    dts_t: float  # decoding time, wall clock seconds
    keyframe: bool
    fmt: StreamFormat
    connection: int  # which connection it came from: timelines differ between connections


class PacketRing:
    """The last `keep_s` seconds of packets. Thread-safe: the camera's reader pushes, clip writers read."""

    def __init__(self, keep_s: float):
        self.keep_s = keep_s
        self._packets: deque[StoredPacket] = deque()
        self._bytes = 0
        self._lock = threading.Lock()

    def push(self, p: StoredPacket) -> None:
        with self._lock:
            self._packets.append(p)
            self._bytes += len(p.data)
            # dropped by age alone; `since` then starts a clip at the oldest keyframe still kept
            while self._packets and p.t - self._packets[0].t > self.keep_s:
                self._bytes -= len(self._packets.popleft().data)

    def since(self, t: float) -> list[StoredPacket]:
        """Packets from the last keyframe at or before `t` (or the oldest keyframe kept) to now."""
        with self._lock:
            packets = list(self._packets)
        start = None
        for i, p in enumerate(packets):
            if p.keyframe and (start is None or p.t <= t):
                start = i
            if p.t > t and start is not None:
                break
        return [] if start is None else packets[start:]

    @property
    def nbytes(self) -> int:
        return self._bytes

    @property
    def seconds(self) -> float:
        with self._lock:
            return self._packets[-1].t - self._packets[0].t if len(self._packets) > 1 else 0.0
