"""A decoded picture with where and when it came from."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Frame:
    camera_id: str
    seq: int  # counts decoded frames of this source since it started
    t: float  # wall clock, seconds since the epoch, when the frame was decoded
    pts_s: float | None  # position in the stream, seconds (for a replayed file: in the file)
    image: np.ndarray  # BGR, H x W x 3, at the source's output size
    native_size: tuple[int, int]  # (width, height) the camera sends

    @property
    def size(self) -> tuple[int, int]:
        return self.image.shape[1], self.image.shape[0]

    @property
    def scale(self) -> tuple[float, float]:
        """Factors from the camera's native pixels to this image's pixels."""
        return self.size[0] / self.native_size[0], self.size[1] / self.native_size[1]


def display_size(frame) -> tuple[int, int]:
    """(width, height) of a decoded av.VideoFrame as it is meant to be shown: phone recordings
    carry a display rotation (90, 270) that swaps the two."""
    quarter_turns = (int(getattr(frame, "rotation", 0) or 0) // 90) % 4
    return (frame.height, frame.width) if quarter_turns % 2 else (frame.width, frame.height)


def to_bgr(frame, size: tuple[int, int] | None = None) -> np.ndarray:
    """Converts an av.VideoFrame to a BGR array in display orientation, scaled to `size` in the
    same step (one pass of swscale, no second resize)."""
    quarter_turns = (int(getattr(frame, "rotation", 0) or 0) // 90) % 4
    w, h = size or display_size(frame)
    if quarter_turns % 2:
        w, h = h, w
    image = frame.to_ndarray(format="bgr24", width=w, height=h)
    if quarter_turns:
        image = np.rot90(image, quarter_turns)
    return np.ascontiguousarray(image)
