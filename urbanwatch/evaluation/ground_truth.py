"""Ground-truth files (`*.gt.json`, schema `urbanwatch-gt/1`; see docs/ground-truth.md).

A bad file is reported as one line per problem, `<file>: <field>: <what is wrong>`, never as a
traceback: the people who annotate their own cameras are the ones who read these messages."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path, PurePath
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from ..config.loader import validation_lines

SCHEMA = "urbanwatch-gt/1"

# Strict: "640" or true where a number belongs is an annotation mistake, not something to coerce.
Int = Annotated[int, Field(strict=True)]
Num = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Coord = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0)]
Frame = Annotated[int, Field(strict=True, ge=0)]
Text = Annotated[str, Field(strict=True, min_length=1)]


class _Open(BaseModel):
    # informational fields (notes, provenance, verified_frames ...) are allowed and ignored
    model_config = ConfigDict(extra="ignore")


class GtZone(_Open):
    name: Text
    kind: Literal["sidewalk", "no_dumping"]
    polygon: list[tuple[Coord, Coord]]

    @field_validator("polygon")
    @classmethod
    def _three(cls, v):
        if len(v) < 3:
            raise ValueError("needs at least 3 points")
        return v


class GtRules(_Open):
    dumping_unattended_s: Annotated[Num, Field(gt=0)]
    encroachment_dwell_s: Annotated[Num, Field(gt=0)]


class GtEvent(_Open):
    id: Text
    type: Literal["encroachment", "dumping"]
    zone: Text
    bbox: tuple[Coord, Coord, Coord, Coord]
    start_frame: Frame
    owner_left_frame: Frame | None = None
    end_frame: Frame | None = None


class GroundTruth(_Open):
    schema_: str = Field(alias="schema")
    clip: Text
    width: Annotated[Int, Field(gt=0)]
    height: Annotated[Int, Field(gt=0)]
    fps: Annotated[Num, Field(gt=0)]
    frames: Annotated[Int, Field(gt=0)]
    rules: GtRules
    zones: list[GtZone]
    events: list[GtEvent] = []
    path: Path | None = None  # of the .gt.json, set when loaded
    _camera_id: str | None = PrivateAttr(None)
    _given: str | None = PrivateAttr(None)  # the path as the user gave it, for messages

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
    def shown(self) -> str:
        """The file as messages name it: as it was given on the command line."""
        return self._given or str(self.path or self.clip)

    @property
    def camera_id(self) -> str:
        """The id its one-camera configuration uses (unique within a run once `load_all` set it)."""
        return self._camera_id or camera_id(self.clip)

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
    """`errors`: one '<file>: <field>: <problem>' line per problem."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def camera_id(clip: str) -> str:
    """A valid camera id from the clip's file name: `../clips/q1 cam07.mp4` -> `q1_cam07`."""
    stem = PurePath(clip.replace("\\", "/")).name
    stem = stem.rsplit(".", 1)[0] if "." in stem.lstrip(".") else stem
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", stem)
    stem = re.sub(r"^[^A-Za-z0-9]+", "", stem)  # ids start with a letter or digit
    return stem[:56] or "clip"


_MESSAGES = {"model_type": "must be a JSON object"}


def _validation_lines(exc: ValidationError) -> list[str]:
    """The configuration's formatter, worded for annotators ("must be", the value they wrote)."""
    lines = validation_lines(exc, messages=_MESSAGES, show_input=True, names={"schema_": "schema"},
                             top="(top level)")
    return [line.replace("Input should be", "must be") for line in lines]


def _check_consistency(gt: GroundTruth) -> list[str]:
    """What the schema alone cannot say: boxes inside the frame, frames inside the clip, zones named."""
    out = []
    last = gt.frames - 1
    for i, z in enumerate(gt.zones):
        for j, (x, y) in enumerate(z.polygon):
            if x > gt.width or y > gt.height:
                out.append(f"zones[{i}].polygon[{j}]: [{x:g}, {y:g}] is outside the {gt.width}x{gt.height} frame")
    dup = sorted(n for n, c in Counter(z.name for z in gt.zones).items() if c > 1)
    if dup:
        out.append(f"zones: names must be unique: {', '.join(dup)}")
    kinds = {z.name: z.kind for z in gt.zones}
    dup = sorted(n for n, c in Counter(e.id for e in gt.events).items() if c > 1)
    if dup:
        out.append(f"events: ids must be unique: {', '.join(dup)}")
    for i, e in enumerate(gt.events):
        at = f"events[{i}]"
        x1, y1, x2, y2 = e.bbox
        if x2 <= x1 or y2 <= y1:
            out.append(f"{at}.bbox: [x1, y1, x2, y2] needs x2 > x1 and y2 > y1, got {[x1, y1, x2, y2]}")
        if x2 > gt.width or y2 > gt.height:
            out.append(f"{at}.bbox: {[x1, y1, x2, y2]} reaches outside the {gt.width}x{gt.height} frame")
        want = "no_dumping" if e.type == "dumping" else "sidewalk"
        if e.zone not in kinds:
            out.append(f"{at}.zone: unknown zone '{e.zone}'")
        elif kinds[e.zone] != want:
            out.append(f"{at}.zone: '{e.zone}' is a {kinds[e.zone]} zone; {e.type} events need a {want} zone")
        if e.type == "dumping" and e.owner_left_frame is None:
            out.append(f"{at}.owner_left_frame: required for a dumping event")
        for name in ("start_frame", "owner_left_frame", "end_frame"):
            v = getattr(e, name)
            if v is not None and v > last:
                out.append(f"{at}.{name}: {v} is past the clip's last frame ({last}; frames is {gt.frames})")
        if e.owner_left_frame is not None and e.owner_left_frame < e.start_frame:
            out.append(f"{at}.owner_left_frame: {e.owner_left_frame} is before start_frame ({e.start_frame})")
        if e.end_frame is not None and e.end_frame < e.start_frame:
            out.append(f"{at}.end_frame: {e.end_frame} is before start_frame ({e.start_frame})")
    return out


def _check_video(gt: GroundTruth) -> list[str]:
    from streams.video_file import probe

    if not gt.clip_path.is_file():
        return [f"clip: not found: {gt.clip_path}"]
    try:
        info = probe(str(gt.clip_path))
    except Exception as exc:  # noqa: BLE001 - PyAV raises many kinds; any of them means unreadable
        why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return [f"clip: cannot read the video {gt.clip_path}: {why}"]
    if (info.width, info.height) != (gt.width, gt.height):
        return [f"width, height: {gt.width}x{gt.height}, but the clip's frames are {info.width}x{info.height}"]
    return []


def load_ground_truth(path: str | Path, check_video: bool = True) -> GroundTruth:
    """Reads and checks one file; raises GroundTruthError with every problem found in it."""
    path = Path(path)

    def fail(lines: list[str]) -> GroundTruthError:
        return GroundTruthError([f"{path}: {line}" for line in lines])

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise fail([f"cannot read ({exc.strerror})"]) from None
    try:
        text = raw.decode("utf-8-sig")  # a BOM from a Windows editor is harmless
    except UnicodeDecodeError as exc:
        bad = f"byte 0x{raw[exc.start]:02x} at offset {exc.start}"
        raise fail([f"not UTF-8 text ({bad}): is it a JSON file?"]) from None
    if "\x00" in text:
        raise fail(["binary data, not JSON text"])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail([f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"]) from None
    if not isinstance(data, dict):
        raise fail([f"(top level): must be a JSON object, got {type(data).__name__}"])
    try:
        gt = GroundTruth.model_validate(data)
    except ValidationError as exc:
        raise fail(_validation_lines(exc)) from None
    gt.path = path.resolve()
    gt._given = str(path)
    problems = _check_consistency(gt) + (_check_video(gt) if check_video else [])
    if problems:
        raise fail(problems)
    return gt


def load_all(paths: list[Path], check_video: bool = True) -> list[GroundTruth]:
    """Every file, or GroundTruthError with the problems of all of them; camera ids made unique."""
    gts, errors = [], []
    for p in paths:
        try:
            gts.append(load_ground_truth(p, check_video))
        except GroundTruthError as exc:
            errors += exc.errors
    if errors:
        raise GroundTruthError(errors)
    used: set[str] = set()
    for gt in gts:  # two cameras/clip.mp4 files: clip, clip-2
        base = cid = camera_id(gt.clip)
        n = 1
        while cid in used:
            n += 1
            cid = f"{base}-{n}"
        used.add(cid)
        gt._camera_id = cid
    return gts
