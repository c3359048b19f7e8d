"""Rows to the JSON that the API returns and the feed pushes: one shape for both."""

from __future__ import annotations

from datetime import datetime

from .schema import Camera, Event, FeedEntry, Zone
from .vocabulary import ClipState

MEDIA_URL = "/media/"


def iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat().replace("+00:00", "Z")


def media_url(path: str | None) -> str | None:
    return None if not path else MEDIA_URL + path


def event_to_dict(e: Event) -> dict:
    cam = e.camera
    return {
        "id": e.id,
        "type": e.type,
        "status": e.status,
        "state": e.state,
        "camera_id": e.camera_id,
        "camera_name": cam.name if cam else None,
        "ward": e.ward,
        "zone_id": e.zone_id,
        "zone_name": e.zone_name,
        "category": e.category,
        "class_name": e.class_name,
        "confidence": round(e.confidence, 3),
        "bbox": e.bbox,
        "frame_size": [e.frame_width, e.frame_height],
        "track_id": e.track_id,
        "started_at": iso(e.started_at),
        "raised_at": iso(e.raised_at),
        "ended_at": iso(e.ended_at),
        "end_reason": e.end_reason,
        "snapshot_url": media_url(e.snapshot),
        "snapshot_annotated_url": media_url(e.snapshot_annotated),
        "crop_urls": {name: media_url(path) for name, path in (e.details or {}).get("crops", {}).items()},
        "clip_url": (media_url(e.clip) if e.clip and e.clip_state != ClipState.FAILED and not e.media_purged_at
                     else None),
        "clip_state": e.clip_state,
        "clip_started_at": iso(e.clip_started_at),
        "clip_ended_at": iso(e.clip_ended_at),
        "media_purged_at": iso(e.media_purged_at),
        "details": e.details,
        "acknowledged_by": e.acknowledger.username if e.acknowledger else None,
        "acknowledged_by_name": e.acknowledger.display_name if e.acknowledger else None,
        "acknowledged_at": iso(e.acknowledged_at),
        "reviewed_by": e.reviewer.username if e.reviewer else None,
        "reviewed_by_name": e.reviewer.display_name if e.reviewer else None,
        "reviewed_at": iso(e.reviewed_at),
        "review_reason": e.review_reason,
        "review_note": e.review_note,
        "review_label": e.review_label,
        "created_at": iso(e.created_at),
        "updated_at": iso(e.updated_at),
    }


def zone_to_dict(z: Zone) -> dict:
    return {"id": z.id, "name": z.name, "kind": z.kind, "polygon": z.polygon, "params": z.params}


def camera_to_dict(c: Camera, now: datetime | None = None, stale_after_s: float = 30.0) -> dict:
    state = c.state
    # Health is written by the worker that reads the camera; if it stops writing, say so.
    if c.enabled and now is not None and c.health_updated_at is not None:
        if (now - c.health_updated_at).total_seconds() > stale_after_s:
            state = "unknown"
    return {
        "id": c.id,
        "name": c.name,
        "ward": c.ward,
        "source": c.source,
        "address": c.address,
        "location": [c.latitude, c.longitude] if c.latitude is not None and c.longitude is not None else None,
        "enabled": c.enabled,
        "state": state if c.enabled else "disabled",
        "state_changed_at": iso(c.state_changed_at),
        "health": c.health or {},
        "health_updated_at": iso(c.health_updated_at),
        "width": c.width,
        "height": c.height,
        "zones": [zone_to_dict(z) for z in c.zones if z.active],
        "zones_edited": c.zones_edited,
        "zones_version": c.zones_version,
    }


def event_message(kind: str, e: Event) -> dict:
    return {
        "type": kind,
        "event_id": e.id,
        "camera_id": e.camera_id,
        "snapshot_url": media_url(e.snapshot),
        "snapshot_annotated_url": media_url(e.snapshot_annotated),
        "event": event_to_dict(e),
    }


def feed_message(entry: FeedEntry) -> dict:
    """What a console receives: the stored payload with the feed position as `id`."""
    return {"id": entry.id, **entry.payload, "ward": entry.ward, "at": iso(entry.created_at)}
