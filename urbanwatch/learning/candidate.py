"""A candidate model into the registry: its file stored where every node finds it, measured
against the running model, registered with what it was trained from."""

from __future__ import annotations

from pathlib import Path

from models import Database
from models.registry import register, set_metrics
from models.schema import DetectorModel

from ..config import Settings
from ..evaluation.ground_truth import GroundTruth
from ..runtime.model_choice import ModelChoice, current_models, registry_path
from .compare import on_clips, on_reviews
from .files import model_classes, store_model


def running_model(db: Database, settings: Settings) -> ModelChoice:
    return current_models(db, settings)[0]


def add_model(db: Database, settings: Settings, file: Path, name: str | None = None,
              trained_from: dict | None = None, user=None) -> DetectorModel:
    """Stores `file` in the models folder and registers it as a candidate."""
    classes = model_classes(file)
    rel, sha = store_model(settings.storage.resolved_models_dir, file)
    with db.write() as s:
        m = register(s, name=name or file.stem, path=rel, sha256=sha, classes=classes,
                     trained_from=trained_from or {}, user=user)
        s.expunge(m)
        return m


def choice_of(settings: Settings, m: DetectorModel) -> ModelChoice:
    return ModelChoice(str(registry_path(settings, m.path)), m.sha256, f"v{m.version}", m.id)


def measure(db: Database, settings: Settings, m: DetectorModel, *, dataset: Path | None = None,
            gts: list[GroundTruth] | None = None, fps: float = 2.0, jobs: int = 1, progress=None) -> dict:
    """The candidate and the running model side by side, on the held-out reviews (`dataset`'s
    validation split) and on ground-truth clips; stored in the candidate's metrics."""
    running = running_model(db, settings)
    candidate = choice_of(settings, m)
    out: dict = {}
    against = {"model": running.version or running.name, "sha256": running.sha256}
    if dataset is not None:
        out["reviews"] = {"dataset": str(dataset), "against": against,
                          "candidate": on_reviews(settings, dataset, candidate, progress),
                          "running": on_reviews(settings, dataset, running, progress)}
    if gts:
        out["clips"] = {"against": against, "candidate": on_clips(settings, gts, candidate, fps, jobs),
                        "running": on_clips(settings, gts, running, fps, jobs)}
    with db.write() as s:
        row = s.get(DetectorModel, m.id)
        for key, value in out.items():
            set_metrics(s, row, key, value)
    return out
