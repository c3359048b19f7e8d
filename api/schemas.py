"""What the API answers, as models: FastAPI checks each answer against them and the OpenAPI spec
documents every field. Times are ISO 8601 UTC strings; media are URLs under /media/."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a field the serializer adds must be declared here too


class EventOut(Out):
    id: int
    type: str = Field(description="encroachment or dumping")
    status: str = Field(description="unreviewed, confirmed or dismissed")
    state: str = Field(description="active or ended")
    camera_id: str
    camera_name: str | None
    ward: str = Field(description="The camera's ward or commune when the event was raised")
    zone_id: int | None
    zone_name: str
    category: str = Field(description="What the rule calls the object: vehicle, goods, bag, ...")
    class_name: str = Field(description="The detector's class, or static_object")
    confidence: float
    bbox: list[float] = Field(description="[x1, y1, x2, y2] in the camera's own pixels")
    frame_size: list[int] = Field(description="[width, height] of the camera's picture")
    track_id: int | None
    started_at: str | None = Field(description="When the object came to rest or was put down")
    raised_at: str | None
    ended_at: str | None
    end_reason: str | None
    snapshot_url: str | None
    snapshot_annotated_url: str | None
    crop_urls: dict[str, str | None]
    clip_url: str | None
    clip_state: str = Field(description="none, recording, complete, incomplete or failed")
    clip_started_at: str | None
    clip_ended_at: str | None
    media_purged_at: str | None
    details: dict
    acknowledged_by: str | None
    acknowledged_by_name: str | None = Field(description="The person's full name")
    acknowledged_at: str | None
    reviewed_by: str | None
    reviewed_by_name: str | None = Field(description="The person's full name")
    reviewed_at: str | None
    review_reason: str | None
    review_note: str | None
    review_label: dict | None = Field(
        description="The reviewer's box [x1, y1, x2, y2] (camera pixels) and class, with who and when; the "
        "detector's stay in bbox and class_name")
    created_at: str | None
    updated_at: str | None


class EventPage(Out):
    items: list[EventOut]
    total: int
    limit: int
    offset: int


class EventsOut(Out):
    items: list[EventOut]


class VerifiedFileOut(Out):
    kind: str = Field(description="snapshot, snapshot_annotated, crop_owner, clip or metadata")
    file: str = Field(description="The file's name")
    size: int = Field(description="Bytes when it was recorded")
    sha256_recorded: str = Field(description="SHA-256 taken when the file was made")
    sha256_now: str | None = Field(description="SHA-256 of the file as it is now; null when it is missing")
    status: str = Field(description="intact, modified or missing")


class VerificationOut(Out):
    event_id: int
    checked_at: str = Field(description="When the files were hashed again for this answer")
    intact: bool = Field(description="Every recorded file is there and unchanged")
    verdict: str = Field(description="intact, or tampered when any file is modified or missing (or none recorded)")
    files: list[VerifiedFileOut]


class ZoneOut(Out):
    id: int
    name: str
    kind: str = Field(description="sidewalk or no_dumping")
    polygon: list[list[float]]
    params: dict


class StatusChangeOut(Out):
    state: str
    previous: str | None
    at: str | None
    detail: str | None


class CameraOut(Out):
    id: str
    name: str
    ward: str
    source: str = Field(description="The stream's URL, password masked")
    address: str | None = Field(description="Where the camera looks, as staff say it")
    location: list[float] | None = Field(description="[latitude, longitude] of the place watched")
    enabled: bool
    state: str = Field(description="online, offline, unknown or disabled")
    state_changed_at: str | None
    health: dict
    health_updated_at: str | None
    width: int | None
    height: int | None
    zones: list[ZoneOut]
    zones_edited: bool
    zones_version: int
    status_changes: list[StatusChangeOut] | None = None


class CameraProblemOut(Out):
    id: int
    camera_id: str
    ward: str = Field(description="The camera's ward or commune when the problem was raised")
    kind: str = Field(description="covered, defocused, moved (its zones are paused) or frozen")
    open: bool
    started_at: str | None = Field(description="When the condition began to hold")
    raised_at: str | None = Field(description="When it had held long enough to be a problem")
    ended_at: str | None
    end_reason: str | None = Field(description="view_returned or accepted")
    before_url: str | None = Field(description="The reference view, before the problem")
    after_url: str | None = Field(description="The view when the problem was raised")
    details: dict = Field(description="The detector's measures when raised and ended")
    accepted_by: str | None
    accepted_at: str | None


class SuppressionOut(Out):
    id: int
    camera_id: str
    event_id: int = Field(description="The event dismissed as a false detection that made it")
    zone: str
    category: str
    class_name: str
    bbox: list[float] = Field(description="The dismissed object's box, camera pixels [x1, y1, x2, y2]")
    created_by: str | None = Field(description="The supervisor who dismissed the event")
    created_by_name: str | None = Field(description="Their full name")
    created_at: str | None
    expires_at: str | None = Field(description="Until when it holds back the same object at that place")
    hits: int = Field(description="Violations it held back")
    last_hit_at: str | None


class CameraWithProblemsOut(CameraOut):
    problems: list[CameraProblemOut] = Field(description="Its open problems (camera tampering)")


class UserOut(Out):
    id: int
    username: str
    display_name: str
    role: str
    areas: list[str]
    city_wide: bool
    active: bool
    last_login_at: str | None


class AreaOut(Out):
    name: str
    kind: str = Field(description="ward, commune, special_zone or group")
    label: str = Field(description='As written in an address: "Phường Bến Thành"')
    members: list[str]
    edited: bool
    visible: bool | None = None


class AreasOut(Out):
    city: str
    items: list[AreaOut]


class RepeatOut(Out):
    camera_id: str
    camera_name: str
    zone: str
    type: str
    count: int
    event_ids: list[int]
    bbox: list[float]


class WardDigestOut(Out):
    ward: str
    label: str = Field(description='"Phường Bến Thành"')
    address: str = Field(description='"Phường Bến Thành, Thành phố Hồ Chí Minh"')
    events: int
    by_type: dict[str, int]
    by_status: dict[str, int]
    confirmation_rate: float | None
    by_camera: dict[str, dict]
    by_zone: dict[str, int]
    repeat_locations: list[RepeatOut]
    permit_violations: int = Field(description="Violations by permit holders (outside their permit's hours or use)")
    by_permit: dict[str, int] = Field(description="Permit number -> violations by its holder")


class DigestOut(Out):
    date: str
    timezone: str
    day_start: str = Field(description="Local time at which the office's day begins (the day runs to the next day's)")
    city: str
    wards: list[WardDigestOut]


class WardSummaryOut(Out):
    ward: str
    label: str
    events: int
    by_type: dict[str, int]
    by_status: dict[str, int]
    confirmation_rate: float | None
    repeat_locations: int
    repeat_events: int


class OverviewOut(Out):
    city: str
    from_: str = Field(alias="from")
    to: str
    timezone: str
    events: int
    wards: list[WardSummaryOut]
    most_repeats: list[WardSummaryOut]


class AuditEntryOut(Out):
    id: int
    at: str | None
    username: str
    display_name: str = Field(description="The person's full name (the login where the account is gone)")
    action: str
    target_type: str
    target_id: str
    before: dict | None
    after: dict | None
    note: str | None
    ip: str | None


class TimelineOut(Out):
    event: EventOut
    timeline: list[dict] = Field(description="Feed changes and audited actions, oldest first")


class FailedWriteOut(Out):
    id: int
    at: str | None
    worker: str
    what: str
    error: str
    traceback: str


class SinkFailureOut(Out):
    id: int
    sink: str
    feed_id: int
    attempts: int
    error: str
    at: str | None


class WorkerOut(Out):
    index: int
    cameras: list[str]
    pid: int | None
    alive: bool
    restarts: int


class MeOut(Out):
    user: UserOut
    csrf_token: str | None


class DetectorModelOut(Out):
    id: int
    version: int
    label: str = Field(description="The version as people say it: v3")
    name: str
    path: str = Field(description="The weights as workers load them")
    sha256: str
    classes: list[str] = Field(description="The model's class names, in its order")
    metrics: dict = Field(description="Evaluations against the model running then (clips, reviews), and the "
                                      "shadow comparison kept when shadow mode stopped")
    trained_from: dict = Field(description="Dataset card, base model, epochs, ...")
    state: str = Field(description="candidate, live or retired")
    shadow_share: float | None = Field(description="Share of frames it sees in shadow mode; null: not in shadow")
    shadow_since: str | None
    created_at: str | None
    created_by: str | None
    created_by_name: str | None
    promoted_at: str | None
    promoted_by: str | None
    promoted_by_name: str | None
    replaced_id: int | None = Field(description="The model live before it: where a rollback returns")


class ConfiguredModelOut(Out):
    model: str = Field(description="The configuration's detector model file: what workers run while no "
                                   "registry model is live")


class DetectorModelsOut(Out):
    models: list[DetectorModelOut] = Field(description="Newest first")
    live: int | None = Field(description="The live model's id; null: workers run the configuration's model")
    shadow: int | None = Field(description="The id of the model in shadow mode, if any")
    configured: ConfiguredModelOut


class RollbackOut(Out):
    live: DetectorModelOut | None = Field(description="The model live again; null: the configuration's model")


class ShadowComparisonOut(Out):
    running: bool = Field(description="True: shadow mode is on and the numbers are as of now; false: as it "
                                      "stood when shadow mode stopped")
    model: str
    since: str | None
    until: str | None
    share: float | None
    shadow_alerts: int = Field(description="Alerts the shadow model would have raised")
    live_events: int = Field(description="Events the live model raised over the same time")
    agreed: int = Field(description="Raised by both")
    extra: int = Field(description="Raised by the shadow model only")
    missed: int = Field(description="Raised by the live model only")
    missed_by_review: dict[str, int] = Field(description="The missed events by review status")
    extra_ids: list[int]
    missed_event_ids: list[int]
