"""models: the persistent data model (SQLAlchemy 2, Alembic migrations) and the media files the
rows point to. SQLite in WAL mode by default; the same code runs on PostgreSQL."""

from .db import Database
from .schema import Base, Camera, CameraStatusChange, Event, FeedEntry, Zone

__all__ = ["Base", "Camera", "CameraStatusChange", "Database", "Event", "FeedEntry", "Zone"]
