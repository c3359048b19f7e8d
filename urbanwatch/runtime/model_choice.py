"""Which detector a worker runs: the registry's live model, else the configuration's. And the model
in shadow mode, if any. Workers ask every few seconds and change models without a restart."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models import Database
from models.registry import in_shadow, live
from models.schema import DetectorModel
from vision.detector import YoloDetector

from ..config import Settings
from .build import OPTIONAL_CLASSES, detector_classes, learned_classes
from .evidence import model_digest


@dataclass(frozen=True)
class ModelChoice:
    path: str
    sha256: str | None
    version: str | None = None  # "v3" for a registry model; None: the configuration's model
    registry_id: int | None = None
    share: float = 1.0  # of the frames it sees (a model in shadow mode sees a share)

    @property
    def name(self) -> str:
        return Path(self.path).name

    def to_dict(self) -> dict:
        return {"name": self.name, "sha256": self.sha256, "version": self.version}


def registry_path(settings: Settings, path: str) -> Path:
    """A registry model's file: paths are kept relative to storage.models_dir (shared by all nodes)."""
    p = Path(path)
    return p if p.is_absolute() else settings.storage.resolved_models_dir / p


def _choice(settings: Settings, m: DetectorModel, share: float = 1.0) -> ModelChoice:
    return ModelChoice(str(registry_path(settings, m.path)), m.sha256, f"v{m.version}", m.id, share)


def configured_model(settings: Settings) -> ModelChoice:
    return ModelChoice(settings.detector.model, model_digest(settings.detector.model))


def current_models(db: Database, settings: Settings) -> tuple[ModelChoice, ModelChoice | None]:
    """(the model to run, the model in shadow mode or None)."""
    with db.session() as s:
        m, shadow = live(s), in_shadow(s)
        running = _choice(settings, m) if m is not None else configured_model(settings)
        return running, (_choice(settings, shadow, shadow.shadow_share) if shadow is not None else None)


def load_detector(settings: Settings, choice: ModelChoice, threads: int = 0) -> YoloDetector:
    """The detector for `choice`, reporting what the rules can use. The configuration's model must
    know every configured class; a model trained on the office's classes stands in for them."""
    det = settings.detector
    return YoloDetector(choice.path, det.imgsz, det.confidence, det.device, classes=detector_classes(settings),
                        optional_classes=OPTIONAL_CLASSES, learned_classes=learned_classes(settings),
                        threads=threads)
