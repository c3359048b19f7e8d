"""`urbanwatch run`, `demo`, `check-config`, `eval` and `export-model`; the other commands are
registered from `users`, `evidence` and `dataset`."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..config import ConfigError
from .common import ConfigOption, console, err, fail, load_settings

app = typer.Typer(
    help="urbanwatch: camera-feed monitoring for sidewalk encroachment and illegal dumping.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def _register_subcommands() -> None:
    from .dataset import dataset_app
    from .evidence import purge, verify
    from .models import models_app, train
    from .stream import stream_app
    from .users import areas, users_app

    app.add_typer(users_app, name="users")
    app.add_typer(dataset_app, name="dataset")
    app.add_typer(models_app, name="models")
    app.add_typer(stream_app, name="stream")
    app.command()(train)
    app.command()(areas)
    app.command()(verify)
    app.command()(purge)


LogLevel = Annotated[str, typer.Option("--log-level", help="debug, info, warning or error.")]
LogFormat = Annotated[
    str,
    typer.Option("--log-format", envvar="URBANWATCH_LOG_FORMAT",
                 help="text (readable, the default) or json (one object per line: at, level, logger, process, "
                 "message, camera, event_id, traceback) for a log system."),
]


@app.command()
def run(
    config: ConfigOption = Path("config.yaml"), log_level: LogLevel = "info", log_format: LogFormat = "text"
) -> None:
    """Run everything on this machine: camera workers, the API and the console.

    Workers read the configured cameras, detect and track objects, apply the zone rules and store
    events with snapshots; the console at http://HOST:PORT/ shows each alert as it is raised.
    Stop with Ctrl-C.
    """
    from ..logs import setup_logging

    settings = load_settings(config)
    try:
        setup_logging(log_level, log_format)
    except ValueError as exc:
        fail(f"--log-format: {exc}")
    _serve(settings, log_level)


@app.command()
def worker(
    config: ConfigOption = Path("config.yaml"), log_level: LogLevel = "info", log_format: LogFormat = "text"
) -> None:
    """Run camera workers only (no web server), on as many machines as needed.

    The workers of every machine share the enabled cameras by leases in the database (PostgreSQL
    for several machines): each takes a share in proportion to its measured detector speed,
    renews it every 2 s, and gives cameras up when a machine joins. A machine that dies or is cut
    off loses its cameras to the others within 15 s, and stops writing for them at once. Stop with
    SIGTERM or Ctrl-C: its cameras are handed over straight away.
    """
    _start_role(config, log_level, log_format, "worker")


@app.command()
def api(
    config: ConfigOption = Path("config.yaml"), log_level: LogLevel = "info", log_format: LogFormat = "text"
) -> None:
    """Run the API and the console only, on one or more machines behind any load balancer.

    Workers run elsewhere (`urbanwatch worker`). Events reach every API server's consoles through
    the database's feed (and Redis, when storage.redis_url is set). One of the API servers also runs
    the outgoing sinks and the retention purge; if it stops, another takes them over.
    """
    _start_role(config, log_level, log_format, "api")


def _start_role(config: Path, log_level: str, log_format: str, role: str) -> None:
    from ..logs import setup_logging

    settings = load_settings(config)
    try:
        setup_logging(log_level, log_format)
    except ValueError as exc:
        fail(f"--log-format: {exc}")
    _serve(settings, log_level, role)


def _serve(settings, log_level: str, role: str = "all") -> None:
    """Runs the service until stopped; a refused start is one line and exit 1."""
    from ..runtime.service import StartupError, run_service

    try:
        run_service(settings, log_level, role)
    except StartupError as exc:
        fail(str(exc))


@app.command("check-config")
def check_config(path: Annotated[Path, typer.Argument(help="Configuration file to check.")]) -> None:
    """Validate a configuration file; print every error with its YAML path and exit 1 if any.

    Environment variables referenced as ${NAME} must be set, and the URBANWATCH_* overrides
    (URBANWATCH_MODEL, URBANWATCH_DATABASE_URL, ...) are applied as `run` would.
    """
    settings = load_settings(path)
    table = Table(title=f"{path}: valid", show_lines=False)
    for col in ("camera", "ward", "source", "detect", "zones"):
        table.add_column(col)
    for cam in settings.cameras:
        from models.areas import address
        from models.cameras import mask_credentials

        size = f"{cam.detect.width}x{cam.detect.height}" if cam.detect.size else "native"
        zones = ", ".join(f"{z.name} ({z.kind})" for z in cam.zones) or "-"
        table.add_row(cam.id, address(cam.ward, settings.areas.unit_kind(cam.ward), settings.areas.city),
                      mask_credentials(cam.url),
                      f"{cam.detect.fps:g} fps, {size}", zones)
    console.print(table)
    a = settings.areas
    console.print(f"areas: {a.city}, {len(a.wards)} wards, {len(a.communes)} communes, "
                  f"{len(a.special_zones)} special zones, {len(a.groups)} groups", highlight=False)
    console.print(
        f"model {settings.detector.model} · database {settings.storage.resolved_database_url} · "
        f"media {settings.storage.resolved_media_dir}",
        highlight=False,
    )


@app.command()
def demo(
    video: Annotated[
        str | None, typer.Option(help="Video replayed as the camera (default: the shared street clip).")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Detector model file (default: URBANWATCH_MODEL).")] = None,
    port: Annotated[int, typer.Option(help="Console port.")] = 8000,
    data_dir: Annotated[Path, typer.Option(help="Where the demo keeps its database and media.")] = Path(
        "data/demo"
    ),
    dwell: Annotated[float, typer.Option(help="Seconds a vehicle must stand on the sidewalk.")] = 5.0,
    password: Annotated[
        str, typer.Option(envvar="URBANWATCH_DEMO_PASSWORD", help="Password of the console account 'demo'.")
    ] = "urbanwatch-demo",
    log_level: LogLevel = "info",
) -> None:
    """Start the whole system on a replayed street video, with no camera: open the console and an
    encroachment alert appears within a minute."""
    from ..demo import DEMO_USER, DemoError, demo_settings, ensure_demo_user
    from ..logs import setup_logging

    try:
        settings = demo_settings(video, model, port, data_dir.resolve(), dwell)
        ensure_demo_user(settings, password)
    except (DemoError, ConfigError, ValueError) as exc:
        err.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    setup_logging(log_level)
    console.print(
        f"[bold]urbanwatch demo[/bold]: camera replays {settings.cameras[0].url}\n"
        f"open http://127.0.0.1:{port}/ and sign in as [bold]{DEMO_USER}[/bold] / [bold]{password}[/bold]: "
        f"an alert appears once a car has stood {dwell:g} s on the sidewalk",
        highlight=False,
    )
    _serve(settings, log_level)


@app.command("eval")
def evaluate(
    gt_files: Annotated[list[Path], typer.Argument(help="Ground-truth files (*.gt.json, schema urbanwatch-gt/1).")],
    model: Annotated[
        str | None, typer.Option(help="Detector model file (default: URBANWATCH_MODEL, then the configuration).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Take detector settings from this configuration.")
    ] = None,
    fps: Annotated[float, typer.Option(help="Frames analysed per second of video, as a camera's detect fps.")] = 2.0,
    imgsz: Annotated[int | None, typer.Option(help="Detector input size (default: the configuration's).")] = None,
    tiles: Annotated[
        bool | None, typer.Option("--tiles/--whole-frame", help="Detect in tiles over the zones, or on whole frames.")
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, help="Clips run in this many processes, each with its own detector "
                          "(same results as one; about one per CPU core).")
    ] = 1,
    perturb: Annotated[
        str | None, typer.Option(help="Score the clips re-encoded with this perturbation instead (dusk, noise, "
                                 "low_bitrate, 320x240, fps5, fps25, shake, reencode; written to a temporary folder).")
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures and every alert here.")] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write an HTML page here (index.html and JPEGs) showing every alert, miss "
                                  "and false alert on its frame, with the zones and both boxes.")
    ] = None,
) -> None:
    """Score the real pipeline on clips with ground truth.

    Each clip runs through the detector, tracker, static-object stage and zone rules with that
    file's zones and rules, faster than real time, on the video's own clock. Alerts are matched to
    the annotated events (docs/ground-truth.md); the table gives precision, recall, F1, alert lag
    and false alerts per clip and overall. A bad ground-truth file is reported one problem a line.
    """
    import json as _json
    import tempfile

    from ..config import parse_config
    from ..evaluation.ground_truth import GroundTruthError, load_all
    from ..evaluation.parallel import run_tasks, tasks_for
    from ..evaluation.perturb import PERTURBATIONS, PerturbError
    from ..evaluation.report import table, to_json
    from ..evaluation.runner import EvalError, settings_errors
    from ..evaluation.variants import apply_variant
    from ..logs import setup_logging

    setup_logging("warning")
    if fps <= 0 or fps > 30:
        _fail(["--fps must be in (0, 30]"])
    try:
        gts = load_all(gt_files)
    except GroundTruthError as exc:
        _fail(exc.errors)
    base = load_settings(config) if config else parse_config({}, Path.cwd())
    changes = {f"detector.{k}": v for k, v in (("model", model), ("imgsz", imgsz), ("tiles", tiles)) if v is not None}
    try:
        base = apply_variant(base, changes)
    except ConfigError as exc:
        _fail(exc.errors)
    _fail([line for gt in gts for line in settings_errors(gt, base, fps)])
    if perturb and perturb not in PERTURBATIONS:
        _fail([f"--perturb: unknown perturbation '{perturb}' (one of {', '.join(PERTURBATIONS)})"])
    with tempfile.TemporaryDirectory(prefix="urbanwatch-perturb-") as tmp:
        try:
            if perturb:
                gts = _perturbed(gts, perturb, Path(tmp))
            with _clip_progress(gts) as advance:
                results = run_tasks(tasks_for(gts, base, fps), fps, jobs, keep_images=report is not None,
                                    on_progress=advance)
        except (EvalError, PerturbError, GroundTruthError) as exc:
            _fail(exc.errors if isinstance(exc, GroundTruthError) else str(exc).splitlines())
    title = f"urbanwatch eval{f' ({perturb})' if perturb else ''}"
    console.print(table(results, title))
    if json_out:
        json_out.write_text(_json.dumps(to_json(results, base.detector.model, fps), indent=2))
        console.print(f"written {json_out}")
    if report:
        from ..evaluation.html_report import write_report

        page = write_report(results, report, title, f"model {base.detector.model} · {fps:g} analysed frames/s")
        console.print(f"written {page}")


def _fail(lines: list[str]) -> None:
    """Exit 1 after one line per problem; nothing when there is none."""
    if lines:
        fail(*lines)


@contextmanager
def _clip_progress(gts):
    """A progress bar per clip; yields the callback that moves them (clip index, seconds done)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeRemainingColumn(), console=err) as progress:
        bars = [progress.add_task(gt.name, total=gt.frames / gt.fps) for gt in gts]
        yield lambda i, t: progress.update(bars[i], completed=t)
        for bar in bars:
            progress.update(bar, completed=progress.tasks[bar].total)


def _perturbed(gts, name: str, out_dir: Path):
    from ..evaluation.ground_truth import load_all
    from ..evaluation.perturb import perturb_set

    with err.status(f"re-encoding {len(gts)} clips: {name}"):
        return load_all(perturb_set(gts, name, out_dir))


@app.command("export-model")
def export_model(
    model: Annotated[Path, typer.Argument(help="Ultralytics weights (.pt) to export.")],
    imgsz: Annotated[int, typer.Option(help="Input size: the tile size the detector will work at.")] = 320,
    out: Annotated[Path | None, typer.Option(help="Where to write the .onnx (default: beside the weights).")] = None,
) -> None:
    """Export a model to ONNX with a dynamic batch, for the fast detector path (offline).

    urbanwatch runs ONNX models through onnxruntime directly, several tiles per call; at 320
    pixels on a CPU that is about twice as fast as Ultralytics' predictor on the same network.
    """
    from urbanwatch.model_export import export_onnx

    if not model.is_file():
        err.print(f"[red]error[/red] no such file: {model}")
        raise typer.Exit(1)
    if imgsz % 32 or imgsz < 32:
        err.print(f"[red]error[/red] --imgsz must be a positive multiple of 32, got {imgsz}")
        raise typer.Exit(2)
    target = out or model.with_name(f"{model.stem}_{imgsz}.onnx")
    with console.status(f"exporting {model.name} at {imgsz} px"):
        export_onnx(model, imgsz, target)
    console.print(f"written {target} (set detector.model to it, and detector.imgsz: {imgsz})")


_register_subcommands()


def main() -> None:  # pragma: no cover - `python -m urbanwatch`
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()
