from pydantic import Field, field_validator

from .base import Section

DEFAULT_CATEGORIES: dict[str, list[str]] = {
    "vehicle": ["car", "motorcycle", "bicycle", "truck", "bus"],
    # COCO has no class for market goods or stalls; these are the nearest it has. Objects the
    # detector has no class for are the static-object stage's job. ("potted plant" is left out:
    # COCO models give it to the street trees and hedges every sidewalk has.)
    "goods": ["chair", "dining table", "umbrella", "suitcase"],
}
# The office's own classes (models/vocabulary.LabelClass), which models trained by `urbanwatch
# train` know and COCO models do not: always understood, never required of a model.
LEARNED_CATEGORIES: dict[str, str] = {
    "stool_chair": "goods", "table": "goods", "stall_cart": "goods", "sign_board": "goods", "goods": "goods",
    "garbage_bag": "litter", "garbage_pile": "litter",
}


class DetectorConfig(Section):
    model: str = Field(
        "yolo11n.pt",
        title="Model file",
        description="Ultralytics model file (.pt, .onnx or an OpenVINO folder). A file that exists is "
        "loaded as is and nothing is downloaded; the bare default name is fetched by Ultralytics where "
        "there is internet.",
    )
    imgsz: int = Field(640, ge=32, le=4096, title="Input size", description="Detector input size in pixels.")
    confidence: float = Field(
        0.25, gt=0, lt=1, title="Confidence", description="Minimum detection confidence."
    )
    device: str = Field("cpu", title="Device", description="Inference device: cpu, cuda:0, ...")
    tiles: bool = Field(
        True,
        title="Tiles",
        description="Detect in tiles of the input size over the zones where something moved (and over all "
        "zones every recheck_s), at full resolution: small objects keep their pixels and the detector does "
        "less work. Off: the whole frame, shrunk to the input size.",
    )
    max_tiles: int = Field(
        4, ge=1, le=32, title="Tiles per frame", description="At most this many tiles per frame; beyond, tiles "
        "grow and are shrunk to the input size."
    )
    # 3 s: 6 % fewer tiles than 2 s on the shared clips at 2 fps, same eval score (also at 4 s)
    recheck_s: float = Field(
        3.0, gt=0, le=60, title="Recheck", description="Seconds between looks at the whole of the zones "
        "(objects standing still make no motion)."
    )
    categories: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_CATEGORIES.items()},
        title="Categories",
        description="Map from a category (used in zone rules) to the detector class names it covers.",
    )

    @field_validator("imgsz")
    @classmethod
    def _multiple_of_32(cls, v: int) -> int:
        if v % 32:
            raise ValueError("must be a multiple of 32")
        return v

    @field_validator("categories")
    @classmethod
    def _non_empty(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, classes in v.items():
            if not classes:
                raise ValueError(f"category '{name}' lists no detector classes")
        return v

    def class_to_category(self) -> dict[str, str]:
        """Detector class -> category, for the configured classes and the learned ones."""
        return {**LEARNED_CATEGORIES, **self.configured_classes()}

    def configured_classes(self) -> dict[str, str]:
        """The configured classes only: a model that is the configuration's own must know them all."""
        return {cls: cat for cat, classes in self.categories.items() for cls in classes}
