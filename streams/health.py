"""Per-camera health as operators see it."""

from dataclasses import asdict, dataclass
from enum import StrEnum


class CameraState(StrEnum):
    CONNECTING = "connecting"  # started, no frame yet
    ONLINE = "online"
    OFFLINE = "offline"  # no new frame for `offline_after_s`
    DISABLED = "disabled"


@dataclass(frozen=True)
class CameraHealth:
    camera_id: str
    state: CameraState
    fps_in: float  # frames the camera sent per second, recent
    fps_decoded: float  # of those, decoded (the others were never going to be analysed)
    fps_processed: float  # frames analysed per second, recent
    fps_skipped: float  # decoded frames never analysed (latest-frame semantics), per second
    last_frame_at: float | None  # wall clock of the newest frame
    reconnects: int  # connections opened after the first
    frames_in: int
    frames_decoded: int
    frames_processed: int
    frames_skipped: int
    error: str | None  # last connection error, for the console
    width: int | None = None
    height: int | None = None
    fps_target: float | None = None  # the detect rate asked for
    inferences: int = 0  # detector runs (tiles) over the frames analysed
    recording: str | None = None  # state of a separate recording stream (CameraState), if any
    recording_error: str | None = None

    @property
    def shed(self) -> float:
        """Share of the asked detect rate not served (the detector is overloaded), 0..1."""
        if not self.fps_target or self.state != CameraState.ONLINE:
            return 0.0
        return max(0.0, round(1.0 - self.fps_processed / self.fps_target, 2))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["state"] = str(self.state)
        d["shed"] = self.shed
        return d
