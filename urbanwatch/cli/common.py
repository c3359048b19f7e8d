"""What every `urbanwatch` command shares: the consoles, the --config option, loading the
configuration with its errors printed, and failing with one line per problem."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from ..config import ConfigError, Settings, load_config

console = Console()
err = Console(stderr=True)

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config", "-c", envvar="URBANWATCH_CONFIG", help="Configuration file (YAML).", show_default=True
    ),
]


def fail(*lines: str, code: int = 1) -> NoReturn:
    """Exit after one line per problem."""
    for line in lines:
        err.print(f"[red]error[/red] {line}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def load_settings(path: Path, error_code: int = 1) -> Settings:
    try:
        return load_config(path)
    except ConfigError as exc:
        fail(*exc.errors, code=error_code)


def open_database(settings: Settings):
    """The configured database, migrated, holding the configuration's areas (a user is scoped to
    them before the service has ever run)."""
    from models import Database
    from models.areas import sync_areas

    db = Database(settings.storage.resolved_database_url)
    db.upgrade()
    with db.write() as s:
        sync_areas(s, settings.areas.units(), [(g.name, g.members) for g in settings.areas.groups])
    return db
