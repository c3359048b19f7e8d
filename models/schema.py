"""Tables. Times are UTC; the console shows them in the configured local zone."""

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .types import UTCDateTime, utcnow


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict: JSON, list: JSON}


class Camera(Base):
    __tablename__ = "cameras"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    district: Mapped[str] = mapped_column(String(100), index=True)
    ward: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(Text)  # stream URL with any password masked
    enabled: Mapped[bool] = mapped_column(default=True)
    state: Mapped[str] = mapped_column(String(16), default="unknown")
    state_changed_at: Mapped[datetime | None]
    health: Mapped[dict] = mapped_column(default=dict)  # fps in/processed/skipped, reconnects, error
    health_updated_at: Mapped[datetime | None]
    width: Mapped[int | None]
    height: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    zones: Mapped[list["Zone"]] = relationship(back_populates="camera", order_by="Zone.id")


class Zone(Base):
    __tablename__ = "zones"
    __table_args__ = (UniqueConstraint("camera_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    polygon: Mapped[list]  # [[x, y], ...] camera pixels
    params: Mapped[dict] = mapped_column(default=dict)  # objects, dwell_s / unattended_s
    active: Mapped[bool] = mapped_column(default=True)  # False once removed from the configuration
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    camera: Mapped[Camera] = relationship(back_populates="zones")


class Event(Base):
    """A violation raised by a rule. Its id is the id of the feed entry that announced it, so one
    sequence orders everything the console receives (see `feed.py`)."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_camera_raised", "camera_id", "raised_at"),
        Index("ix_events_status_raised", "status", "raised_at"),
        Index("ix_events_district_raised", "district", "raised_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(32), index=True)  # encroachment, dumping
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id"))
    district: Mapped[str] = mapped_column(String(100))  # as it was when raised
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"))
    zone_name: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(64))
    class_name: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    bbox: Mapped[list]  # [x1, y1, x2, y2] camera pixels
    frame_width: Mapped[int]
    frame_height: Mapped[int]
    track_id: Mapped[int | None]
    started_at: Mapped[datetime]  # object came to rest / was put down
    raised_at: Mapped[datetime] = mapped_column(index=True)  # the rule was satisfied
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="active")  # active, ended
    status: Mapped[str] = mapped_column(String(16), default="unreviewed")  # unreviewed, confirmed, dismissed
    snapshot: Mapped[str] = mapped_column(Text)  # media path of the clean JPEG
    snapshot_annotated: Mapped[str] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(default=dict)  # rule parameters and other evidence
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    camera: Mapped[Camera] = relationship()


class FeedEntry(Base):
    """Everything pushed to consoles, in order: new and updated events, camera status changes.
    Written in the same transaction as the change it announces (a transactional outbox)."""

    __tablename__ = "feed"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused, even after purges

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(32))  # event.new, event.updated, camera.status
    event_id: Mapped[int | None] = mapped_column(index=True)
    camera_id: Mapped[str | None] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(100))
    payload: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CameraStatusChange(Base):
    __tablename__ = "camera_status_changes"
    __table_args__ = (Index("ix_camera_status_camera_at", "camera_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))  # online, offline
    previous: Mapped[str | None] = mapped_column(String(16))
    at: Mapped[datetime]
    detail: Mapped[str | None] = mapped_column(Text)
