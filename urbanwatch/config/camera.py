import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .base import MAX_WAIT_S, Section, require_unique
from .permits import PermitConfig, ScheduleConfig

ZoneKind = Literal["sidewalk", "no_dumping"]
CAMERA_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
STREAM_SCHEMES = ("rtsp://", "rtsps://")
MAX_POLYGON_POINTS = 256  # a zone drawn by hand has a dozen; more is a mistake or an attack
MAX_COORDINATE = 100_000  # camera pixels (the largest sensors are ~16,000 wide)


def _crossing_edges(pts: list[tuple[float, float]]) -> tuple[int, int] | None:
    """Two edges of the polygon that cross each other (a bow tie: its inside is ambiguous)."""

    def side(a, b, c) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    n = len(pts)
    edges = [(pts[i], pts[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        a, b = edges[i]
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue  # neighbours through the closing corner
            c, d = edges[j]
            if side(a, b, c) * side(a, b, d) < 0 and side(c, d, a) * side(c, d, b) < 0:
                return i, j
    return None


class ZoneConfig(Section):
    name: str = Field(..., min_length=1, max_length=64, title="Name", description="Zone name, unique per camera.")
    label: str | None = Field(
        None, min_length=1, max_length=120, title="Display name",
        description='What staff read in the console, e.g. "Vỉa hè bên phải, trước số 12" (default: the name).',
    )
    kind: ZoneKind = Field(
        ..., title="Kind", description="sidewalk: encroachment rule; no_dumping: dumping rule."
    )
    polygon: list[tuple[float, float]] = Field(
        ...,
        title="Polygon",
        max_length=MAX_POLYGON_POINTS,
        description="Corners [x, y] in the camera's own pixels (full resolution), in drawing order.",
    )
    objects: list[str] | None = Field(
        None,
        title="Objects",
        description="sidewalk zones: categories or class names that count (default: rules.encroachment).",
    )
    dwell_s: float | None = Field(
        None, gt=0, le=MAX_WAIT_S, title="Dwell", description="sidewalk zones: seconds standing still before an alert."
    )
    unattended_s: float | None = Field(
        None,
        gt=0,
        le=MAX_WAIT_S,
        title="Unattended",
        description="no_dumping zones: seconds a left object stays after its owner has gone.",
    )
    schedule: ScheduleConfig | None = Field(
        None, title="Schedule", description="When the zone's rule applies (default: always), in local time."
    )
    permits: list[PermitConfig] = Field(
        default_factory=list, title="Permits",
        description="sidewalk zones: temporary sidewalk-use permits; within a permit's area, hours and use no "
        "alert, outside them an event that names the permit.",
    )

    @field_validator("polygon")
    @classmethod
    def _polygon(cls, pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
        if len(pts) < 3:
            raise ValueError("needs at least 3 points")
        if any(x < 0 or y < 0 for x, y in pts):
            raise ValueError("coordinates must not be negative")
        if any(x > MAX_COORDINATE or y > MAX_COORDINATE for x, y in pts):
            raise ValueError(f"coordinates are camera pixels, at most {MAX_COORDINATE:,}")
        area2 = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True))
        if abs(area2) < 2.0:
            raise ValueError("encloses no area (are the points on one line?)")
        crossing = _crossing_edges(pts)
        if crossing is not None:
            i, j = crossing
            raise ValueError(f"edges {i + 1} and {j + 1} cross: draw the corners in order around the zone")
        return pts

    @property
    def params(self) -> dict:
        """The rule parameters as stored with the zone (after Settings.fill_zone), and its display name."""
        shown = {"label": self.label} if self.label else {}
        if self.schedule is not None:
            shown["schedule"] = self.schedule.stored()
        if self.permits:
            shown["permits"] = [p.stored() for p in self.permits]
        if self.kind == "sidewalk":
            return {"objects": list(self.objects or []), "dwell_s": self.dwell_s, **shown}
        return {"unattended_s": self.unattended_s, **shown}

    @model_validator(mode="after")
    def _params_match_kind(self) -> "ZoneConfig":
        if self.kind == "sidewalk" and self.unattended_s is not None:
            raise ValueError("unattended_s applies to no_dumping zones, not sidewalk zones")
        if self.kind == "no_dumping" and (self.dwell_s is not None or self.objects is not None):
            raise ValueError("dwell_s and objects apply to sidewalk zones, not no_dumping zones")
        if self.kind == "no_dumping" and self.permits:
            raise ValueError("permits apply to sidewalk zones: nobody is licensed to dump")
        require_unique([p.number for p in self.permits], "permit numbers per zone")
        return self


class DetectConfig(Section):
    fps: float = Field(2, gt=0, le=30, title="Detect fps", description="Frames per second sent to the detector.")
    width: int | None = Field(
        None, ge=64, le=3840, title="Width", description="Decoded frames are scaled to this width (default: native)."
    )
    height: int | None = Field(
        None, ge=64, le=2160, title="Height", description="Decoded frames are scaled to this height (default: native)."
    )

    @model_validator(mode="after")
    def _both_or_neither(self) -> "DetectConfig":
        if (self.width is None) != (self.height is None):
            raise ValueError("set both width and height, or neither")
        return self

    @property
    def size(self) -> tuple[int, int] | None:
        return (self.width, self.height) if self.width and self.height else None


class CameraConfig(Section):
    id: str = Field(..., title="Id", description="Stable identifier: letters, digits, '_', '-', '.'.")
    name: str = Field(..., min_length=1, title="Name", description="Name shown to operators.")
    ward: str = Field(
        ...,
        min_length=1,
        title="Ward",
        description="The ward (phường), commune (xã) or special zone (đặc khu) the camera is in, as named in `areas`.",
    )
    address: str | None = Field(
        None, max_length=300, title="Address",
        description='Where the camera looks, as staff would say it: "trước số 12 Lê Lợi".',
    )
    location: tuple[float, float] | None = Field(
        None, title="Location", description="[latitude, longitude] of the place watched, for the map link.",
    )
    url: str = Field(
        ...,
        title="Stream",
        description="rtsp:// or rtsps:// URL (credentials through ${ENV_VAR}), or a video file replayed at "
        "real speed as a live camera.",
    )
    record_url: str | None = Field(
        None,
        title="Recording stream",
        description="The camera's main stream for incident clips, if `url` is its substream: clips are cut "
        "from it without decoding (full resolution as evidence), while only `url` is decoded for "
        "detection. Default: clips from `url`.",
    )
    enabled: bool = Field(True, title="Enabled", description="Disabled cameras are kept but not read.")
    tampering: bool = Field(
        True, title="Tampering checks",
        description="Watch the view for being covered, defocused, moved or frozen (a camera problem each; a moved "
        "camera's zone rules wait for the view to return or be accepted). Off for a PTZ camera that turns on purpose.",
    )
    detect: DetectConfig = Field(default_factory=DetectConfig)
    zones: list[ZoneConfig] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _no_district(cls, data: Any) -> Any:
        if isinstance(data, dict) and "district" in data:
            raise ValueError("district: districts no longer exist since 1 July 2025; put the camera in its ward "
                             "or commune with `ward:` (and a former district in `areas.groups`)")
        return data

    @field_validator("location")
    @classmethod
    def _location(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        if v is not None and not (-90 <= v[0] <= 90 and -180 <= v[1] <= 180):
            raise ValueError("[latitude, longitude] in degrees: latitude within ±90, longitude within ±180")
        return v

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not CAMERA_ID.match(v):
            raise ValueError("use 1-64 letters, digits, '_', '-' or '.', starting with a letter or digit")
        return v

    @field_validator("url", "record_url")
    @classmethod
    def _url(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is None:
            return None
        if "://" in v:
            if not v.startswith(STREAM_SCHEMES):
                raise ValueError("must be an rtsp:// or rtsps:// URL, or the path of a video file")
            return v
        path = Path(v).expanduser()
        if not path.is_absolute():  # relative to the configuration file, like every path in it
            path = Path((info.context or {}).get("base_dir", ".")) / path
        if not path.is_file():
            raise ValueError(f"no such video file: {path}")
        return str(path.resolve())

    @field_validator("zones")
    @classmethod
    def _unique_zone_names(cls, zones: list[ZoneConfig]) -> list[ZoneConfig]:
        require_unique([z.name for z in zones], "zone names per camera")
        return zones

    @property
    def is_file(self) -> bool:
        return "://" not in self.url
