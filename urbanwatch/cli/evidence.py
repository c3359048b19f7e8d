"""`urbanwatch verify` and `urbanwatch purge`: the evidence from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from .common import ConfigOption, console, err, load_settings

MAX_EVENT_ID = 2**31 - 1  # event ids are INTEGER columns


def verify(
    event_id: Annotated[int, typer.Argument(help="The event whose evidence to check.")],
    config: ConfigOption = Path("config.yaml"),
) -> None:
    """Check that an event's evidence files are exactly as they were made.

    Each file's SHA-256 is recomputed and compared with the one recorded when the file was made.
    Prints every file with its status. Exit codes: 0 the package is intact, 1 a file was modified or
    is missing, 2 there is no such event, 3 the check could not be made (database, configuration).
    """
    from sqlalchemy.exc import SQLAlchemyError

    from models.events import get_event
    from models.evidence import verify as check
    from models.media import MediaStore

    settings = load_settings(config, error_code=3)
    from models import Database

    if not 1 <= event_id <= MAX_EVENT_ID:
        err.print(f"[red]error[/red] no event {event_id}")
        raise typer.Exit(2)
    db = Database(settings.storage.resolved_database_url)
    media = MediaStore(settings.storage.resolved_media_dir, create=False)
    try:
        with db.session() as s:
            event = get_event(s, event_id)
            if event is None:
                err.print(f"[red]error[/red] no event {event_id}")
                raise typer.Exit(2)
            checks = check(s, media, event_id)
            purged = event.media_purged_at
    except (SQLAlchemyError, OSError) as exc:
        err.print(f"[red]error[/red] could not check: {str(exc).splitlines()[0]}", highlight=False)
        raise typer.Exit(3) from None
    table = Table(title=f"evidence of event {event_id}")
    for col in ("file", "kind", "recorded SHA-256", "status"):
        table.add_column(col)
    colours = {"intact": "green", "modified": "red", "missing": "red"}
    for c in checks:
        table.add_row(Path(c.path).name, c.kind, c.expected[:16] + "…", f"[{colours[c.status]}]{c.status}[/]")
    console.print(table)
    if purged is not None:
        console.print(f"media purged by retention on {purged:%Y-%m-%d %H:%M} UTC")
    if checks and all(c.status == "intact" for c in checks):
        console.print(f"[green]intact[/green]: {len(checks)} files match their recorded SHA-256")
        return
    bad = [c for c in checks if c.status != "intact"]
    console.print(f"[red]TAMPERED[/red]: {len(bad)} of {len(checks)} files modified or missing" if checks
                  else "[red]no evidence recorded[/red]")
    raise typer.Exit(1)


def purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would be removed.")] = False,
    config: ConfigOption = Path("config.yaml"),
) -> None:
    """Remove evidence media past their retention (by review status), and, when the media disk is
    below its low-disk guard, the oldest unreviewed (then dismissed) media. Confirmed evidence is
    kept until its retention ends. The service also purges on its own schedule."""
    from models import Database

    from ..runtime.retention import Purger

    settings = load_settings(config)
    db = Database(settings.storage.resolved_database_url)
    db.upgrade()
    report = Purger(settings, db).run(dry_run=dry_run)
    table = Table(title=("would remove" if dry_run else "removed") + f": {len(report.items)} events' media")
    for col in ("event", "status", "raised (UTC)", "why", "files", "MB"):
        table.add_column(col, justify="right")
    for i in report.items:
        table.add_row(str(i.event_id), i.status, i.raised_at[:19], i.reason, str(i.files), f"{i.bytes / 1e6:.1f}")
    console.print(table)
    console.print(f"media disk: {report.free_percent_before:.1f}% free before, {report.free_percent_after:.1f}% "
                  f"{'expected ' if dry_run else ''}after (guard {settings.retention.min_free_percent:g}%)")
    if report.low_disk:
        err.print("[yellow]warning[/yellow] the media disk stays below its guard: only confirmed evidence is left")
