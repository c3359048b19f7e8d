"""Which frames of a camera need decoding at all.

A camera sends 25-30 frames a second; the detector analyses 2. Decoding every frame costs about as
much as the analysis itself at that rate, yet a frame can only be decoded from the keyframe before
it. So once the frames still wanted before the next keyframe have been decoded, the rest of the
group of pictures (GOP) is left undecoded: the next wanted frame will be that keyframe or a later
one. The compressed packets all still go to the clip buffer; only decoding is skipped.

Safe only where a keyframe starts a closed GOP (an IDR picture: nothing after it refers to
anything before it), so it is checked in the keyframe's own NAL units; streams that are not
H.264 or HEVC, or whose keyframes are not IDR, are decoded in full.
"""

from __future__ import annotations

from collections import deque

IDR_TYPES = {"h264": {5}, "hevc": {19, 20}}  # HEVC: IDR_W_RADL, IDR_N_LP
START_CODE = b"\x00\x00\x01"


def nal_types(data: bytes, codec: str) -> set[int]:
    """NAL unit types in one packet, Annex B (start codes, as RTSP gives) or length-prefixed (as
    MP4 stores them)."""
    if codec not in IDR_TYPES:
        return set()
    headers = []
    if data.startswith(START_CODE) or data.startswith(b"\x00" + START_CODE):
        i = data.find(START_CODE)
        while i >= 0 and i + 3 < len(data):
            headers.append(data[i + 3])
            i = data.find(START_CODE, i + 3)
    else:
        i = 0
        while i + 4 < len(data):
            size = int.from_bytes(data[i : i + 4], "big")
            if size <= 0:
                break
            headers.append(data[i + 4])
            i += 4 + size
    if codec == "h264":
        return {h & 0x1F for h in headers}
    return {(h >> 1) & 0x3F for h in headers}


def is_idr(data: bytes, codec: str) -> bool:
    """The packet holds an IDR picture: decoding can start here with nothing before it."""
    return bool(nal_types(data, codec) & IDR_TYPES.get(codec, set()))


class DecodePlanner:
    """Follows a stream's keyframes and says, packet by packet, whether to decode.

    `wanted_at` is when the consumer will next take a frame (wall clock; None: it takes whatever
    comes, decode everything). A wanted frame may be served by the next keyframe instead, up to
    `slack_s` late, when that spares decoding the rest of a GOP."""

    def __init__(self, history: int = 4):
        self._gaps: deque[float] = deque(maxlen=history)  # seconds between keyframes (stream time)
        self.reset()

    def reset(self) -> None:
        """A new connection: nothing known about its GOPs yet."""
        self._gaps.clear()
        self._last_key_pts: float | None = None
        self._last_key_at: float | None = None  # wall clock of its arrival
        self._closed = False  # the current GOP began with an IDR picture
        self.skipping = False  # the rest of the current GOP is left undecoded

    def next_key_at(self) -> float | None:
        """When the next keyframe should arrive, conservatively (the longest recent GOP)."""
        if self._last_key_at is None or not self._gaps:
            return None
        return self._last_key_at + max(self._gaps)

    def decode(self, *, keyframe: bool, idr: bool, pts_s: float | None, now: float,
               wanted_at: float | None, slack_s: float) -> bool:
        """Whether to decode this packet (`idr` is only looked at for keyframes)."""
        if keyframe:
            if pts_s is not None and self._last_key_pts is not None and pts_s > self._last_key_pts:
                self._gaps.append(pts_s - self._last_key_pts)
            self._last_key_pts, self._last_key_at = pts_s, now
            self._closed, self.skipping = idr, False
            return True
        if self.skipping:
            return False
        next_key = self.next_key_at()
        if (self._closed and wanted_at is not None and next_key is not None
                and now < next_key and wanted_at >= next_key - slack_s):
            self.skipping = True  # nothing before the next keyframe will be wanted
            return False
        return True
