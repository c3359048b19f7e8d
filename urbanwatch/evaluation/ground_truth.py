"""Ground-truth files (`*.gt.json`, schema `urbanwatch-gt/1`; see docs/ground-truth.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

SCHEMA = "urbanwatch-gt/1"


class _Open(BaseModel):
    # informational fields (notes, provenance, verified_frames ...) are allowed and ignored
    model_config = ConfigDict(extra="ignore")


class GtZone(_Open):
    name: str
    kind: Literal["sidewalk", "no_dumping"]
    polygon: list[tuple[float, float]]

    @field_validator("polygon")
    @classmethod
    def _three(cls, v):
        if len(v) < 3:
            raise ValueError("needs at least 3 points")
        return v


class GtRules(_Open):
    dumping_unattended_s: float = Field(gt=0)
    encroachment_dwell_s: float = Field(gt=0)


class GtEvent(_Open):
    id: str
    type: Literal["encroachment", "dumping"]
    zone: str
    bbox: tuple[float, float, float, float]
    start_frame: int = Field(ge=0)
    owner_left_frame: int | None = Field(None, ge=0)
    end_frame: int | None = None


class GroundTruth(_Open):
    schema_: str = Field(alias="schema")
    clip: str
    width: int
    height: int
    fps: float = Field(gt=0)
    frames: int
    rules: GtRules
    zones: list[GtZone]
    events: list[GtEvent] = []
    path: Path | None = None  # of the .gt.json, set when loaded

    @field_validator("schema_")
    @classmethod
    def _schema(cls, v):
        if v != SCHEMA:
            raise ValueError(f"unsupported schema '{v}' (expected {SCHEMA})")
        return v

    @property
    def name(self) -> str:
        return self.path.name if self.path else self.clip

    @property
    def clip_path(self) -> Path:
        return (self.path.parent if self.path else Path(".")) / self.clip

    @property
    def negative(self) -> bool:
        return not self.events

    def due(self, e: GtEvent) -> float:
        """When the alert is due, in clip seconds (EVAL.md)."""
        if e.type == "dumping":
            frame = e.owner_left_frame if e.owner_left_frame is not None else e.start_frame
            return frame / self.fps + self.rules.dumping_unattended_s
        return e.start_frame / self.fps + self.rules.encroachment_dwell_s


class GroundTruthError(ValueError):
    pass


def load_ground_truth(path: str | Path) -> GroundTruth:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GroundTruthError(f"{path}: cannot read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise GroundTruthError(f"{path}: not JSON: {exc}") from None
    try:
        gt = GroundTruth.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path}: {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)]
        raise GroundTruthError("\n".join(lines)) from None
    gt.path = path.resolve()
    zones = {z.name for z in gt.zones}
    for e in gt.events:
        if e.zone not in zones:
            raise GroundTruthError(f"{path}: event {e.id} names unknown zone '{e.zone}'")
        if e.type == "dumping" and e.owner_left_frame is None:
            raise GroundTruthError(f"{path}: dumping event {e.id} needs owner_left_frame")
    if not gt.clip_path.is_file():
        raise GroundTruthError(f"{path}: clip not found: {gt.clip_path}")
    return gt
