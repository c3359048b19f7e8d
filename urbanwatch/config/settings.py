"""The root of the configuration: one pydantic model for config.yaml, validated in one place."""

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .areas import AreasConfig
from .base import Section, require_unique
from .camera import CameraConfig, ZoneConfig
from .detector import DetectorConfig
from .evidence import EvidenceConfig, RetentionConfig
from .ingest import IngestConfig
from .rules import RulesConfig
from .server import ServerConfig
from .sinks import SinksConfig
from .static_objects import StaticObjectsConfig
from .storage import StorageConfig


class WorkersConfig(Section):
    processes: int = Field(
        1,
        ge=1,
        le=64,
        title="Worker processes",
        description="Processes that read cameras and run detection; cameras are shared out among them. "
        "Each process loads the detector once.",
    )
    leases: bool = Field(
        False,
        title="Camera leases",
        description="Share the cameras out by leases in the database, with the workers of other machines "
        "(`urbanwatch worker`, always on there): a dead or cut-off worker's cameras move to the others "
        "within 15 s. Off: this machine's processes split the configured cameras between them.",
    )


class Settings(Section):
    timezone: str = Field(
        "Asia/Ho_Chi_Minh", title="Time zone", description="Local time zone for snapshots and the console."
    )
    day_start: str = Field(
        "06:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", title="Start of the office's day",
        description="Local time (HH:MM) at which the daily review and digest turn to the next day: the night's "
        "incidents belong to the shift that watched them, not to the calendar day after midnight.",
    )
    server: ServerConfig = Field(default_factory=ServerConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    detector: DetectorConfig = Field(default_factory=DetectorConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    rules: RulesConfig = Field(default_factory=RulesConfig)
    static_objects: StaticObjectsConfig = Field(default_factory=StaticObjectsConfig)
    workers: WorkersConfig = Field(default_factory=WorkersConfig)
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    areas: AreasConfig = Field(default_factory=AreasConfig)
    sinks: SinksConfig = Field(default_factory=SinksConfig)
    cameras: list[CameraConfig] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{v}'") from None
        return v

    @field_validator("storage")
    @classmethod
    def _anchor_paths(cls, v: StorageConfig, info: ValidationInfo) -> StorageConfig:
        base = Path((info.context or {}).get("base_dir", "."))
        data_dir = v.data_dir.expanduser()
        media = v.media_dir.expanduser() if v.media_dir else None
        models = v.models_dir.expanduser() if v.models_dir else None
        return v.model_copy(
            update={
                "data_dir": (base / data_dir).resolve(),
                "media_dir": (base / media).resolve() if media else None,
                "models_dir": (base / models).resolve() if models else None,
            }
        )

    @field_validator("cameras")
    @classmethod
    def _unique_ids(cls, cams: list[CameraConfig]) -> list[CameraConfig]:
        require_unique([c.id for c in cams], "camera ids")
        return cams

    @model_validator(mode="after")
    def _resolve_zone_rules(self) -> "Settings":
        """Fill each zone's rule parameters from the global defaults and check the object names."""
        errors = []
        for ci, cam in enumerate(self.cameras):
            if self.areas.unit_kind(cam.ward) is None:
                close = self.areas.suggest(cam.ward)
                hint = f" (did you mean {' or '.join(close)}?)" if close else ""
                errors.append(f"cameras[{ci}].ward: '{cam.ward}' is not a ward, commune or special zone of "
                              f"{self.areas.city} in `areas`{hint}")
            for zi, zone in enumerate(cam.zones):
                unknown = self.fill_zone(zone)
                if unknown:
                    errors.append(
                        f"cameras[{ci}].zones[{zi}].objects: unknown {', '.join(unknown)} "
                        f"(use a category of detector.categories or a class listed there)"
                    )
        for wi, hook in enumerate(self.sinks.webhooks):
            names = {n for n, _ in self.areas.units()} | {g.name for g in self.areas.groups}
            unknown = [a for a in hook.areas or [] if a not in names]
            if unknown:
                errors.append(f"sinks.webhooks[{wi}].areas: {', '.join(unknown)} is not a ward, commune or group")
        errors += self.sinks.problems(self.storage.redis_url)
        if errors:
            raise ValueError("\n".join(errors))
        return self

    def fill_zone(self, zone: ZoneConfig) -> list[str]:
        """The one place a zone's rule parameters are resolved: what the zone leaves out comes from
        `rules`. Returns the object names the detector does not know (none: the zone is usable)."""
        if zone.kind == "sidewalk":
            if zone.dwell_s is None:
                zone.dwell_s = self.rules.encroachment.dwell_s
            if zone.objects is None:
                zone.objects = list(self.rules.encroachment.objects)
            known = set(self.detector.categories) | set(self.detector.class_to_category())
            return [o for o in zone.objects if o not in known]
        if zone.unattended_s is None:
            zone.unattended_s = self.rules.dumping.unattended_s
        return []

    def camera(self, camera_id: str) -> CameraConfig:
        for cam in self.cameras:
            if cam.id == camera_id:
                return cam
        raise KeyError(camera_id)

    def object_classes(self, objects: list[str]) -> set[str]:
        """Detector class names meant by a zone's `objects` (categories expand to their classes)."""
        out: set[str] = set()
        for name in objects:
            out.update(self.detector.categories.get(name, [name]))
        return out
