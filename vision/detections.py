"""The one value type that flows through the pipeline: parallel numpy arrays, one row per object.

Modelled on supervision's `Detections`: filter with boolean masks (`d[d.confidence > 0.5]`),
and every stage (detector, tracker, zones, rules) takes and returns this type.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NO_TRACK = -1


# The extra columns that stages add to `Detections.data`, by name.
CLASS_NAME = "class_name"  # the detector's class names (object)
CATEGORY = "category"  # what the rules call the object: vehicle, goods, person ... (categorize)
APPEARED_AT = "appeared_at"  # static regions: when the pixels became static, seconds
MOTION = "motion"  # share of the box changing now (something passing in front)
COVERED = "covered"  # share of the box hidden by people and vehicles now
HIDDEN = 0.5  # a static region covered this much is not judged now (by any rule)
SINCE = "since"  # encroachment candidates: when the object came to rest, seconds
SEEN_AT = "seen_at"  # carried detections: when a tile last saw them, seconds
TILE = "tile"  # merged tiles: the tile a box came from
COLUMN_TYPES = {CLASS_NAME: object, CATEGORY: object, APPEARED_AT: np.float64, MOTION: np.float32,
                COVERED: np.float32, SINCE: np.float64, SEEN_AT: np.float64, TILE: np.int32}

# What each stage hands on, so that an empty result has the same columns as a full one (and the
# two merge).
DETECTED = (CLASS_NAME,)  # the detector
STATIC_REGIONS = (CLASS_NAME, APPEARED_AT, MOTION)  # the static-object stage
OBSERVED_STATIC = (*STATIC_REGIONS, COVERED)  # static regions as the rules see them
RESTING = (CLASS_NAME, CATEGORY, SINCE, MOTION)  # the encroachment rule's candidates


def _column(values, dtype, n: int | None = None) -> np.ndarray:
    arr = np.asarray(values, dtype=dtype)
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"expected {n} rows, got {arr.shape[0]}")
    return arr


@dataclass(frozen=True, eq=False)
class Detections:
    xyxy: np.ndarray  # (N, 4) float32 pixel corners x1, y1, x2, y2
    confidence: np.ndarray  # (N,) float32
    class_id: np.ndarray  # (N,) int32, the detector's class index
    tracker_id: np.ndarray = None  # (N,) int64, NO_TRACK where untracked
    data: dict[str, np.ndarray] = field(default_factory=dict)  # other parallel columns, e.g. class_name

    def __post_init__(self):
        xyxy = np.asarray(self.xyxy, dtype=np.float32).reshape(-1, 4)
        n = len(xyxy)
        object.__setattr__(self, "xyxy", xyxy)
        object.__setattr__(self, "confidence", _column(self.confidence, np.float32, n))
        object.__setattr__(self, "class_id", _column(self.class_id, np.int32, n))
        tid = np.full(n, NO_TRACK, np.int64) if self.tracker_id is None else _column(self.tracker_id, np.int64, n)
        object.__setattr__(self, "tracker_id", tid)
        data = {}
        for key, col in self.data.items():
            arr = np.asarray(col)
            if arr.shape[0] != n:
                raise ValueError(f"data['{key}'] has {arr.shape[0]} rows, expected {n}")
            data[key] = arr
        object.__setattr__(self, "data", data)

    @classmethod
    def empty(cls, columns: tuple[str, ...] = ()) -> Detections:
        """No detections, with the named extra columns (see the column sets above)."""
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int32),
                   data={c: np.zeros(0, COLUMN_TYPES[c]) for c in columns})

    @classmethod
    def merge(cls, parts: list[Detections]) -> Detections:
        non_empty = [p for p in parts if len(p)]
        if not non_empty:
            return parts[0] if parts else cls.empty()  # keeps the columns
        parts = non_empty
        keys = set(parts[0].data)
        for p in parts:
            if set(p.data) != keys:
                raise ValueError(f"cannot merge detections with columns {sorted(keys)} and {sorted(p.data)}")
        return cls(
            np.concatenate([p.xyxy for p in parts]),
            np.concatenate([p.confidence for p in parts]),
            np.concatenate([p.class_id for p in parts]),
            np.concatenate([p.tracker_id for p in parts]),
            {k: np.concatenate([p.data[k] for p in parts]) for k in keys},
        )

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index) -> Detections:
        """Rows by boolean mask, integer array or slice; a single int keeps the 2-D shape."""
        if isinstance(index, (int, np.integer)):
            index = [int(index)]
        return Detections(
            self.xyxy[index],
            self.confidence[index],
            self.class_id[index],
            self.tracker_id[index],
            {k: v[index] for k, v in self.data.items()},
        )

    def with_data(self, **columns) -> Detections:
        return Detections(self.xyxy, self.confidence, self.class_id, self.tracker_id, {**self.data, **columns})

    def with_tracker_id(self, tracker_id: np.ndarray) -> Detections:
        return Detections(self.xyxy, self.confidence, self.class_id, tracker_id, self.data)

    def scaled(self, sx: float, sy: float) -> Detections:
        """Boxes in another resolution of the same picture."""
        xyxy = self.xyxy * np.array([sx, sy, sx, sy], np.float32)
        return Detections(xyxy, self.confidence, self.class_id, self.tracker_id, self.data)

    @property
    def bottom_center(self) -> np.ndarray:
        """(N, 2) ground points: where an object stands is the middle of its box's lower edge."""
        return np.stack([(self.xyxy[:, 0] + self.xyxy[:, 2]) / 2, self.xyxy[:, 3]], axis=1)

    @property
    def width(self) -> np.ndarray:
        return self.xyxy[:, 2] - self.xyxy[:, 0]

    @property
    def height(self) -> np.ndarray:
        return self.xyxy[:, 3] - self.xyxy[:, 1]

    @property
    def class_name(self) -> np.ndarray:
        return self.data.get(CLASS_NAME, np.array([str(c) for c in self.class_id], dtype=object))

    def __repr__(self) -> str:
        return f"Detections(n={len(self)}, columns={sorted(self.data)})"
