from pathlib import Path

from pydantic import Field

from .base import Section


class StorageConfig(Section):
    data_dir: Path = Field(
        Path("data"),
        title="Data folder",
        description="Folder for the embedded database and media; relative paths are taken from the "
        "folder of the configuration file.",
    )
    database_url: str | None = Field(
        None,
        title="Database URL",
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db. Default: SQLite "
        "(WAL mode) at <data_dir>/urbanwatch.db.",
    )
    media_dir: Path | None = Field(
        None,
        title="Media folder",
        description="Where snapshots and clips are written. Default: <data_dir>/media.",
    )
    redis_url: str | None = Field(
        None,
        title="Redis URL",
        description="Optional redis://host:port/db. When set, workers announce new events over Redis "
        "pub/sub so that every API server pushes them at once; without it API servers poll the database.",
    )

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'urbanwatch.db'}"

    @property
    def resolved_media_dir(self) -> Path:
        return self.media_dir or self.data_dir / "media"
