"""Tables. Times are UTC; the console shows them in the configured local zone."""

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .types import UTCDateTime, utcnow
from .vocabulary import ClipState, EventState, ReviewStatus


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict: JSON, list: JSON}


class Area(Base):
    """A ward (phường), commune (xã) or special zone (đặc khu) of the city, or a group of them."""

    __tablename__ = "areas"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)  # "Bến Thành", without its kind
    kind: Mapped[str] = mapped_column(String(16))  # ward, commune, special_zone, group
    members: Mapped[list] = mapped_column(default=list)  # a group's units
    edited: Mapped[bool] = mapped_column(default=False)  # changed in the console: kept over config.yaml
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Camera(Base):
    __tablename__ = "cameras"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    ward: Mapped[str] = mapped_column(String(100), index=True)  # ward, commune or special zone (an Area)
    source: Mapped[str] = mapped_column(Text)  # stream URL with any password masked
    address: Mapped[str | None] = mapped_column(String(300))  # where it looks, as staff say it
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    zones_edited: Mapped[bool] = mapped_column(default=False)  # zones drawn in the console win over the config
    zones_version: Mapped[int] = mapped_column(default=0)  # bumped on every zone change; workers follow it
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
        Index("ix_events_ward_raised", "ward", "raised_at"),
        Index("uq_events_event_key", "event_key", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(32), index=True)  # encroachment, dumping
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id"))
    ward: Mapped[str] = mapped_column(String(100))  # the camera's ward when raised
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
    state: Mapped[str] = mapped_column(String(16), default=EventState.ACTIVE)  # vocabulary.EventState
    status: Mapped[str] = mapped_column(String(16), default=ReviewStatus.UNREVIEWED)  # vocabulary.ReviewStatus
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None]
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    review_reason: Mapped[str | None] = mapped_column(String(32))  # false_detection, permitted, duplicate, other
    review_note: Mapped[str | None] = mapped_column(Text)
    # the reviewer's own box and class (the detector's stay in bbox and class_name): labels to learn from
    review_label: Mapped[dict | None] = mapped_column(JSON)
    # camera/type/zone/object start/violation: the same violation stored twice (a write retried after its
    # commit was lost, a camera taken over) is one event
    event_key: Mapped[str | None] = mapped_column(String(300))
    clip: Mapped[str | None] = mapped_column(Text)  # media path of the incident clip
    clip_state: Mapped[str] = mapped_column(String(16), default=ClipState.NONE)  # vocabulary.ClipState
    clip_started_at: Mapped[datetime | None]
    clip_ended_at: Mapped[datetime | None]
    media_purged_at: Mapped[datetime | None]  # retention removed the media files (the row stays)
    snapshot: Mapped[str] = mapped_column(Text)  # media path of the clean JPEG
    snapshot_annotated: Mapped[str] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(default=dict)  # rule parameters and other evidence
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    camera: Mapped[Camera] = relationship()
    reviewer: Mapped["User | None"] = relationship(foreign_keys=[reviewed_by])
    acknowledger: Mapped["User | None"] = relationship(foreign_keys=[acknowledged_by])


class EvidenceFile(Base):
    """A file of an event's evidence package with its SHA-256, taken when the file was made."""

    __tablename__ = "evidence_files"
    __table_args__ = (UniqueConstraint("event_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # snapshot, snapshot_annotated, crop_owner, clip, metadata
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedEntry(Base):
    """Everything pushed to consoles, in order: new and updated events, camera status changes.
    Written in the same transaction as the change it announces (a transactional outbox)."""

    __tablename__ = "feed"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused, even after purges

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(32))  # event.new, event.updated, camera.status
    event_id: Mapped[int | None] = mapped_column(index=True)
    camera_id: Mapped[str | None] = mapped_column(String(64))
    ward: Mapped[str | None] = mapped_column(String(100))  # who may receive it; None: everyone
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


class CameraProblem(Base):
    """A camera that watches nothing while its stream is up: covered, defocused, moved (its zones
    no longer fit) or frozen (vocabulary.ProblemKind). Open while `ended_at` is None; ended when the
    view returns or when an admin accepts the new view (`accepted_by`)."""

    __tablename__ = "camera_problems"
    __table_args__ = (Index("ix_camera_problems_camera_started", "camera_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    ward: Mapped[str] = mapped_column(String(100))  # the camera's ward when raised
    kind: Mapped[str] = mapped_column(String(16))  # covered, defocused, moved, frozen
    started_at: Mapped[datetime]  # the condition began to hold
    raised_at: Mapped[datetime]  # it had held long enough to be a problem
    ended_at: Mapped[datetime | None] = mapped_column(index=True)
    end_reason: Mapped[str | None] = mapped_column(String(32))  # vocabulary.ProblemEnd
    before: Mapped[str | None] = mapped_column(Text)  # media path: the reference view (JPEG)
    after: Mapped[str | None] = mapped_column(Text)  # media path: the view when raised (JPEG)
    details: Mapped[dict] = mapped_column(default=dict)  # the detector's measures when raised and ended
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[datetime | None]

    camera: Mapped[Camera] = relationship()
    acceptor: Mapped["User | None"] = relationship(foreign_keys=[accepted_by])


class Suppression(Base):
    """Hard-negative memory: an event dismissed as a false detection keeps its camera from raising
    the same object at the same place (zone, category, box, look) until `expires_at`. Removed when
    the event is confirmed after all, or by a supervisor."""

    __tablename__ = "suppressions"
    __table_args__ = (Index("ix_suppressions_camera_expires", "camera_id", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), unique=True)
    zone_name: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(64))
    class_name: Mapped[str] = mapped_column(String(64))
    bbox: Mapped[list] = mapped_column(JSON)  # [x1, y1, x2, y2] camera pixels
    signature: Mapped[dict] = mapped_column(JSON)  # vision.hard_negatives.Signature.to_dict()
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    hits: Mapped[int] = mapped_column(Integer, default=0)  # violations it held back
    last_hit_at: Mapped[datetime | None]

    creator: Mapped["User | None"] = relationship(foreign_keys=[created_by])


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(Text)  # argon2id
    role: Mapped[str] = mapped_column(String(16))  # operator, supervisor, admin
    areas: Mapped[list] = mapped_column(default=list)  # the wards and groups of wards this user may see
    city_wide: Mapped[bool] = mapped_column(default=False)  # sees every ward
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    last_login_ip: Mapped[str | None] = mapped_column(String(64))  # exempt from the account-wide sign-in cap


class UserSession(Base):
    """A signed-in browser. The cookie carries a random token; only its SHA-256 is stored."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    user_agent: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship()


class ApiToken(Base):
    """A bearer token for an API client (integrations, scripts). Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()


class LoginFailure(Base):
    """Failed sign-ins, for rate limiting across every API server."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_user_at", "username", "at"),
        Index("ix_login_failures_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class AuditEntry(Base):
    """Append-only: who did what, when, to what, with the state before and after. The database
    refuses updates and deletes of these rows (triggers in the migration)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(64))  # kept even if the user is renamed
    user: Mapped["User | None"] = relationship(foreign_keys=[user_id], lazy="joined")
    action: Mapped[str] = mapped_column(String(64))  # event.confirm, event.dismiss, user.create, zone.update, ...
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(64))


class FailedWrite(Base):
    """A worker's write that could never succeed (a dead letter): kept, with its traceback, for an
    admin to see, instead of blocking every write after it."""

    __tablename__ = "failed_writes"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    worker: Mapped[str] = mapped_column(String(64))
    what: Mapped[str] = mapped_column(Text)  # "new event on cam1", "clip ...", "status of cam2"
    error: Mapped[str] = mapped_column(Text)
    traceback: Mapped[str] = mapped_column(Text)


class SinkPosition(Base):
    """How far an outgoing sink (MQTT, a webhook) has delivered the feed: it resumes from here after
    a restart or an outage, so nothing is lost and nothing is sent twice."""

    __tablename__ = "sink_positions"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)  # "mqtt", "webhook:case-system"
    last_id: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SinkFailure(Base):
    """A feed entry a sink gave up on after all its attempts (a dead letter, for admins)."""

    __tablename__ = "sink_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    sink: Mapped[str] = mapped_column(String(100), index=True)
    feed_id: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class DetectorModel(Base):
    """The model registry: every detector the office has trained or registered, with what it was
    measured to do. At most one is `live` (workers load it without a restart; none live: the
    configuration's model); at most one runs in `shadow` beside it on a share of frames."""

    __tablename__ = "detector_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)  # v1, v2, ... in order of registration
    name: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(Text)  # weights as workers load them (under storage.models_dir)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    classes: Mapped[list] = mapped_column(JSON)  # the model's class names, in its order
    metrics: Mapped[dict] = mapped_column(JSON, default=dict)  # evaluations against the running model
    trained_from: Mapped[dict] = mapped_column(JSON, default=dict)  # dataset card, base model, epochs, ...
    state: Mapped[str] = mapped_column(String(16), default="candidate")  # candidate, live, retired
    shadow_share: Mapped[float | None] = mapped_column(Float)  # share of frames it sees in shadow mode
    shadow_since: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    promoted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    promoted_at: Mapped[datetime | None]
    replaced_id: Mapped[int | None] = mapped_column(ForeignKey("detector_models.id"))  # live before it: rollback

    creator: Mapped["User | None"] = relationship(foreign_keys=[created_by])
    promoter: Mapped["User | None"] = relationship(foreign_keys=[promoted_by])


class ShadowAlert(Base):
    """A violation a model in shadow mode would have raised (never shown to operators): compared
    with the live model's events before promotion."""

    __tablename__ = "shadow_alerts"
    __table_args__ = (Index("ix_shadow_alerts_model_camera", "model_id", "camera_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("detector_models.id", ondelete="CASCADE"))
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    zone_name: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(64))
    class_name: Mapped[str] = mapped_column(String(64))
    bbox: Mapped[list] = mapped_column(JSON)
    started_at: Mapped[datetime]
    raised_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class WorkerNode(Base):
    """A worker process taking part in camera leases, wherever it runs: its heartbeat says it is
    alive, its capacity (detector images a second, measured) sets its fair share of cameras."""

    __tablename__ = "worker_nodes"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)  # host:pid:index
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    stopping: Mapped[bool] = mapped_column(default=False)  # shutting down: gives its cameras up


class CameraLease(Base):
    """Which worker processes a camera, until when. `token` grows by one each time the camera
    changes hands: every write for the camera checks it (fencing), so a worker that lost the lease
    (killed, cut off, paused) can never write for the camera again."""

    __tablename__ = "camera_leases"

    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True)
    worker_id: Mapped[str | None] = mapped_column(String(120), index=True)
    token: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime | None]
    acquired_at: Mapped[datetime | None]
