"""`urbanwatch dataset export`: the office's reviewed incidents as a training set."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.progress import Progress

from .common import ConfigOption, console, fail, load_settings

dataset_app = typer.Typer(help="Training data from the office's own reviews.", no_args_is_help=True)


def _day(text: str | None, tz: str, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz))
    except ValueError:
        fail(f"{option}: '{text}' is not a date (YYYY-MM-DD)")


@dataset_app.command("export")
def export(
    out: Annotated[Path, typer.Argument(help="An empty or new folder for the dataset.")],
    since: Annotated[str | None, typer.Option(help="First local day (YYYY-MM-DD) of incidents to take.")] = None,
    until: Annotated[str | None, typer.Option(help="Local day (YYYY-MM-DD) before which to stop.")] = None,
    frames: Annotated[int, typer.Option(min=0, max=20, help="Frames per incident taken from its clip, besides the "
                                        "snapshot.")] = 2,
    blur: Annotated[bool, typer.Option("--blur/--no-blur", help="Blur faces and plates of people and vehicles "
                                       "that are not the incident's subject.")] = False,
    config: ConfigOption = Path("config.yaml"),
) -> None:
    """Export reviewed incidents in the Ultralytics YOLO format (images/, labels/, data.yaml) with a
    dataset card (README.md).

    Confirmed incidents (and those dismissed as permitted or duplicate: the object was real) are
    positives, with the reviewer's box and class where one was drawn; incidents dismissed as false
    detections are background images. Train and val are split by camera and day, so that no
    incident, and no camera's day, is in both.
    """
    from models import Database
    from models.media import MediaStore

    from ..dataset import export_dataset

    settings = load_settings(config)
    if out.exists() and any(out.iterdir()):
        fail(f"{out}: not empty (a dataset is exported into a new or empty folder)")
    db = Database(settings.storage.resolved_database_url)
    media = MediaStore(settings.storage.resolved_media_dir, create=False)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("exporting incidents", total=None)
        card = export_dataset(db, media, out, settings.timezone, since=_day(since, settings.timezone, "--since"),
                              until=_day(until, settings.timezone, "--until"), frames=frames, blur=blur,
                              progress=lambda i, n: bar.update(task, completed=i, total=n))
    db.dispose()
    backgrounds = card.backgrounds["train"] + card.backgrounds["val"]
    console.print(f"{card.images['train']} training and {card.images['val']} validation images "
                  f"({backgrounds} backgrounds) in {out}; see {out / 'README.md'}")
