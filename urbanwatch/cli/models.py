"""`urbanwatch train` and `urbanwatch models ...`: the learning loop from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .common import ConfigOption, console, fail, load_settings, open_database

models_app = typer.Typer(help="The model registry: list, add, measure, promote, roll back, shadow mode.",
                         no_args_is_help=True)

ByOption = Annotated[str | None, typer.Option("--by", help="The admin account doing it (named in the audit log).")]
GtOption = Annotated[list[Path] | None, typer.Option("--gt", help="Ground-truth files (*.gt.json) to score both "
                                                     "models on; repeat the option.")]


def _user(db, username: str | None):
    if username is None:
        return None
    from models.users import get_user

    with db.session() as s:
        user = get_user(s, username)
        if user is None or user.role != "admin" or not user.active:
            fail(f"--by: {username} is not an active admin account")
        s.expunge(user)
        return user


def _gts(files: list[Path] | None):
    from ..evaluation.ground_truth import GroundTruthError, load_all

    if not files:
        return None
    try:
        return load_all(files)
    except GroundTruthError as exc:
        fail(*exc.errors)


def _registry_call(db, fn):
    from models.registry import RegistryError

    try:
        with db.write() as s:
            return fn(s)
    except RegistryError as exc:
        fail(str(exc))


def _fmt(v) -> str:
    return "–" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v)


def print_comparison(metrics: dict) -> None:
    """The candidate beside the running model, one row per figure."""
    for key, title, fields in (
        ("reviews", "held-out reviews (validation split)", ("objects", "found", "recall", "background_pictures",
                                                           "alarming_boxes_on_backgrounds")),
        ("clips", "ground-truth clips (urbanwatch eval)", ("tp", "fp", "fn", "precision", "recall", "f1",
                                                           "alerts_on_negatives")),
    ):
        if key not in metrics:
            continue
        m = metrics[key]
        t = Table(title=f"{title}: candidate vs running ({m['against']['model']})")
        t.add_column("figure")
        t.add_column("candidate", justify="right")
        t.add_column("running", justify="right")
        for f in fields:
            t.add_row(f, _fmt(m["candidate"].get(f)), _fmt(m["running"].get(f)))
        console.print(t)


@models_app.command("list")
def list_models(config: ConfigOption = Path("config.yaml")) -> None:
    """The registered models, newest first; which one is live and which runs in shadow."""
    from models.registry import all_models, model_to_dict

    settings = load_settings(config)
    db = open_database(settings)
    with db.session() as s:
        rows = [model_to_dict(m) for m in all_models(s)]
    db.dispose()
    t = Table(title="model registry")
    for col in ("version", "state", "name", "sha256", "classes", "clips F1 (cand/run)", "promoted"):
        t.add_column(col)
    for m in rows:
        clips = m["metrics"].get("clips")
        f1 = f"{_fmt(clips['candidate']['f1'])} / {_fmt(clips['running']['f1'])}" if clips else "–"
        state = m["state"] + (f" + shadow {m['shadow_share']:.0%}" if m["shadow_share"] else "")
        t.add_row(m["label"], state, m["name"], m["sha256"][:12], str(len(m["classes"])), f1,
                  f"{m['promoted_at'] or '–'} {m['promoted_by'] or ''}")
    console.print(t)
    if not any(m["state"] == "live" for m in rows):
        console.print(f"no registry model is live: workers run the configuration's {settings.detector.model}")


@models_app.command("add")
def add(
    file: Annotated[Path, typer.Argument(help="A detector file (.pt or .onnx).")],
    name: Annotated[str | None, typer.Option(help="A name for people (default: the file's).")] = None,
    config: ConfigOption = Path("config.yaml"),
) -> None:
    """Register a model file as a candidate (copied into storage.models_dir under its hash)."""
    from models.registry import RegistryError

    from ..learning.candidate import add_model
    from ..learning.files import ModelFileError

    settings = load_settings(config)
    db = open_database(settings)
    try:
        m = add_model(db, settings, file, name)
    except (ModelFileError, RegistryError) as exc:
        fail(str(exc))
    console.print(f"registered v{m.version} ({m.sha256[:12]}, {len(m.classes)} classes) as a candidate")


@models_app.command("show")
def show(ref: Annotated[str, typer.Argument(help="v3, an id, or the start of the SHA-256.")],
         config: ConfigOption = Path("config.yaml")) -> None:
    """Everything the registry knows of one model, as JSON."""
    from models.registry import get, model_to_dict

    settings = load_settings(config)
    db = open_database(settings)
    console.print_json(json.dumps(_registry_call(db, lambda s: model_to_dict(get(s, ref)))))


@models_app.command("evaluate")
def evaluate(
    ref: Annotated[str, typer.Argument(help="The candidate: v3, an id, or the start of its SHA-256.")],
    dataset: Annotated[Path | None, typer.Option(help="An exported dataset: its validation split is the "
                                                 "held-out reviews.")] = None,
    gt: GtOption = None,
    fps: Annotated[float, typer.Option(help="Analysed frames per second for the clips.")] = 2.0,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Clips in this many processes.")] = 1,
    config: ConfigOption = Path("config.yaml"),
) -> None:
    """Measure a candidate against the running model (held-out reviews, ground-truth clips)."""
    from models.registry import get

    from ..learning.candidate import measure

    settings = load_settings(config)
    if dataset is None and not gt:
        fail("give --dataset, --gt or both: what to measure the candidate on")
    db = open_database(settings)
    m = _registry_call(db, lambda s: _detached(s, get(s, ref)))
    with console.status(f"measuring v{m.version} against the running model"):
        metrics = measure(db, settings, m, dataset=dataset, gts=_gts(gt), fps=fps, jobs=jobs)
    print_comparison(metrics)


def _detached(session, m):
    session.expunge(m)
    return m


@models_app.command("promote")
def promote(
    ref: Annotated[str, typer.Argument(help="v3, an id, or the start of the SHA-256.")],
    note: Annotated[str | None, typer.Option(help="Why (kept in the audit log).")] = None,
    by: ByOption = None,
    config: ConfigOption = Path("config.yaml"),
) -> None:
    """Make a model live: every worker loads it within a few seconds, without a restart."""
    from models import registry

    settings = load_settings(config)
    db = open_database(settings)
    user = _user(db, by)
    label = _registry_call(db, lambda s: f"v{registry.promote(s, registry.get(s, ref), user, note).version}")
    console.print(f"{label} is live; workers pick it up within a few seconds (`urbanwatch models rollback` undoes)")


@models_app.command("rollback")
def rollback(
    note: Annotated[str, typer.Option(help="Why (kept in the audit log).")],
    by: ByOption = None,
    config: ConfigOption = Path("config.yaml"),
) -> None:
    """Return to the model that was live before the current one (or to the configuration's)."""
    from models import registry

    settings = load_settings(config)
    db = open_database(settings)
    user = _user(db, by)
    back = _registry_call(db, lambda s: (lambda m: f"v{m.version}" if m else None)(registry.rollback(s, user, note)))
    console.print(f"{back} is live again" if back else
                  f"no registry model is live: workers return to the configuration's {settings.detector.model}")


@models_app.command("shadow")
def shadow(
    ref: Annotated[str, typer.Argument(help="The candidate: v3, an id, or the start of its SHA-256.")],
    share: Annotated[float, typer.Option(min=0.01, max=1.0, help="Share of each camera's frames it sees.")] = 0.25,
    stop: Annotated[bool, typer.Option("--stop", help="Stop shadow mode (the comparison is kept).")] = False,
    by: ByOption = None,
    config: ConfigOption = Path("config.yaml"),
) -> None:
    """Run a candidate beside the live model on a share of frames; its would-be alerts are stored,
    never shown to operators, and compared with the live events (`urbanwatch models compare`)."""
    from models import registry

    settings = load_settings(config)
    db = open_database(settings)
    user = _user(db, by)
    if stop:
        _registry_call(db, lambda s: registry.stop_shadow(s, registry.get(s, ref), user))
        console.print("shadow mode stopped; its comparison is kept with the model (`urbanwatch models show`)")
        return
    _registry_call(db, lambda s: registry.start_shadow(s, registry.get(s, ref), share, user))
    console.print(f"{ref} runs in shadow on {share:.0%} of frames from the next few seconds")


@models_app.command("compare")
def compare(
    ref: Annotated[str, typer.Argument(help="The model in (or after) shadow mode.")],
    config: ConfigOption = Path("config.yaml"),
) -> None:
    """The shadow model's would-be alerts against the live events: agreed, extra, missed."""
    from models import registry

    settings = load_settings(config)
    db = open_database(settings)

    def result(s):
        m = registry.get(s, ref)
        if m.shadow_share is not None:
            return registry.compare_shadow(s, m)
        if "shadow" in (m.metrics or {}):
            return m.metrics["shadow"]
        raise registry.RegistryError(f"v{m.version} has not run in shadow mode")

    r = _registry_call(db, result)
    t = Table(title=f"shadow {r['model']} since {r['since']}")
    for col in ("live events", "shadow alerts", "agreed", "extra (shadow only)", "missed (live only)"):
        t.add_column(col, justify="right")
    t.add_row(*map(str, (r["live_events"], r["shadow_alerts"], r["agreed"], r["extra"], r["missed"])))
    console.print(t)
    console.print(f"missed live events by review: {r['missed_by_review']}")


def train(
    dataset: Annotated[Path, typer.Argument(help="A dataset from `urbanwatch dataset export`.")],
    base: Annotated[Path | None, typer.Option("--from", help="Weights (.pt) to start from (default: the running "
                                              "model's weights).")] = None,
    epochs: Annotated[int, typer.Option(min=1, max=1000, help="Passes over the training pictures.")] = 20,
    imgsz: Annotated[int, typer.Option(help="Training picture size (multiple of 32).")] = 640,
    device: Annotated[str, typer.Option(help="cpu, or cuda:0 where there is a GPU.")] = "cpu",
    batch: Annotated[int, typer.Option(min=1, help="Pictures per step.")] = 8,
    run: Annotated[Path, typer.Option(help="Folder for the run (weights after every epoch).")] = Path("runs/train"),
    resume: Annotated[bool, typer.Option("--resume", help="Go on with an interrupted run in --run.")] = False,
    pseudo_labels: Annotated[bool, typer.Option("--pseudo-labels/--reviews-only", help="Label the other cars, "
                             "motorbikes and people in reviewed pictures with the running model's confident boxes "
                             "(otherwise they are taught as background).")] = True,
    gt: GtOption = None,
    fps: Annotated[float, typer.Option(help="Analysed frames per second for the clips.")] = 2.0,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Clips in this many processes.")] = 1,
    config: ConfigOption = Path("config.yaml"),
) -> None:
    """Fine-tune the detector on the office's reviewed incidents, then measure the candidate.

    Trains from the running model (offline, CPU or GPU; resumable with --resume), registers the
    result as a candidate (in ONNX too when the running model is ONNX, so workers keep the fast
    path), and scores it beside the running model on the dataset's held-out reviews and, with
    --gt, on ground-truth clips. Nothing changes for the cameras until someone promotes it
    (`urbanwatch models promote vN`, or the console's Models page).
    """
    from models.registry import RegistryError

    from ..learning.candidate import add_model, measure, running_model
    from ..learning.files import ModelFileError
    from ..learning.train import TrainError, dataset_names
    from ..learning.train import train as run_training

    settings = load_settings(config)
    if imgsz % 32:
        fail("--imgsz must be a multiple of 32")
    try:
        dataset_names(dataset)
    except TrainError as exc:
        fail(str(exc))
    gts = _gts(gt)
    db = open_database(settings)
    running = running_model(db, settings)
    start = base or _weights_of(db, settings, running)
    if not resume and (start is None or start.suffix != ".pt" or not start.is_file()):
        fail(f"--from: training starts from .pt weights; the running model is {running.name} (give its .pt)")
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(f"training from {start.name if start else 'the interrupted run'}", total=epochs)

        def epoch_done(epoch: int, total: int, metrics: dict) -> None:
            m50 = metrics.get("metrics/mAP50(B)")
            bar.update(task, completed=min(epoch, total), total=total,
                       description=f"epoch {min(epoch, total)}/{total}" + (f" · val mAP50 {m50:.3f}" if m50 else ""))

        try:
            result = run_training(dataset, start, run, epochs=epochs, imgsz=imgsz, device=device, batch=batch,
                                  resume=resume, on_epoch=epoch_done,
                                  labeller=Path(running.path) if pseudo_labels else None)
        except TrainError as exc:
            fail(str(exc))
    console.print(f"trained {result.epochs} epochs in {result.seconds:.0f} s → {result.weights}")
    file = result.weights
    if Path(running.path).suffix.lower() == ".onnx":
        from ..model_export import export_onnx

        with console.status("exporting the candidate to ONNX (the running model's fast path)"):
            file = export_onnx(result.weights, settings.detector.imgsz,
                               result.run_dir / f"{result.weights.stem}_{settings.detector.imgsz}.onnx")
    card = (dataset / "README.md").read_text() if (dataset / "README.md").is_file() else ""
    from ..learning.files import store_model

    weights, _ = store_model(settings.storage.resolved_models_dir, result.weights)  # to train on from, later
    trained_from = {"dataset": str(dataset.resolve()), "dataset_card": card, "base": start.name if start else None,
                    "base_model": running.version or running.name, "epochs": result.epochs, "imgsz": imgsz,
                    "device": device, "seconds": result.seconds, "run_dir": str(result.run_dir),
                    "weights": weights, "pseudo_boxes": result.pseudo_boxes, "ultralytics_metrics": result.metrics}
    try:
        m = add_model(db, settings, file, f"{dataset.name}-e{result.epochs}", trained_from)
    except (ModelFileError, RegistryError) as exc:
        fail(str(exc))
    with console.status(f"measuring v{m.version} against the running model"):
        metrics = measure(db, settings, m, dataset=dataset, gts=gts, fps=fps, jobs=jobs)
    print_comparison(metrics)
    console.print(f"registered v{m.version} as a candidate: `urbanwatch models promote v{m.version}` makes it live")
    db.dispose()


def _weights_of(db, settings, running) -> Path | None:
    """The .pt behind the running model: itself, or the weights a registry model was trained as."""
    from models.registry import get

    path = Path(running.path)
    if path.suffix == ".pt":
        return path
    if running.registry_id is not None:
        from ..runtime.model_choice import registry_path

        with db.session() as s:
            weights = (get(s, running.registry_id).trained_from or {}).get("weights")
        if weights and registry_path(settings, weights).is_file():
            return registry_path(settings, weights)
    sibling = path.with_suffix(".pt")
    return sibling if sibling.is_file() else None
