from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .base import Section

DATABASES = ("sqlite", "postgresql")
REDIS_SCHEMES = ("redis", "rediss", "unix")


def checked_redis_url(v: str | None) -> str | None:
    """A Redis URL (redis://, rediss://, unix://) or None; anything else refused."""
    if v is not None and (urlsplit(v).scheme not in REDIS_SCHEMES or not (urlsplit(v).netloc or urlsplit(v).path)):
        raise ValueError("must be a redis://host:6379/0 (or rediss://, unix://) URL")
    return v


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
    models_dir: Path | None = Field(
        None,
        title="Models folder",
        description="Where the model registry keeps the detectors it promotes (a folder every node "
        "shares, as media). Default: <data_dir>/models.",
    )
    redis_url: str | None = Field(
        None,
        title="Redis URL",
        description="Optional redis://host:port/db. When set, workers announce new events over Redis "
        "pub/sub so that every API server pushes them at once; without it API servers poll the database.",
    )

    @field_validator("database_url")
    @classmethod
    def _database(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            backend = make_url(v).get_backend_name()
        except ArgumentError:
            backend = None
        if backend not in DATABASES:
            raise ValueError("must be a PostgreSQL URL (postgresql+psycopg://user@host:5432/db) or a SQLite one "
                             "(sqlite:////path/urbanwatch.db)")
        return v

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, v: str | None) -> str | None:
        return checked_redis_url(v)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'urbanwatch.db'}"

    @property
    def resolved_media_dir(self) -> Path:
        return self.media_dir or self.data_dir / "media"

    @property
    def resolved_models_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"
