"""The model registry: detectors the office trained or registered, which one is live, which one
runs in shadow, and what the shadow one would have raised. Promotions and rollbacks are audited;
a rollback returns to the model that was live before (or to the configuration's, when none was).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit
from .schema import DetectorModel, Event, ShadowAlert, User
from .serialize import iso
from .types import utcnow

LIVE, CANDIDATE, RETIRED = "live", "candidate", "retired"
MATCH_IOU = 0.3  # a shadow alert and a live event at the same place: the same object
MATCH_SLACK_S = 60.0  # ... raised within this time of each other (models differ in when they see it)


class RegistryError(ValueError):
    """A request the registry cannot honour, in words for the person who made it."""


def model_to_dict(m: DetectorModel) -> dict:
    return {
        "id": m.id, "version": m.version, "label": f"v{m.version}", "name": m.name, "path": m.path,
        "sha256": m.sha256, "classes": list(m.classes), "metrics": m.metrics or {},
        "trained_from": m.trained_from or {}, "state": m.state, "shadow_share": m.shadow_share,
        "shadow_since": iso(m.shadow_since), "created_at": iso(m.created_at),
        "created_by": m.creator.username if m.creator is not None else None,
        "created_by_name": m.creator.display_name if m.creator is not None else None,
        "promoted_at": iso(m.promoted_at),
        "promoted_by": m.promoter.username if m.promoter is not None else None,
        "promoted_by_name": m.promoter.display_name if m.promoter is not None else None,
        "replaced_id": m.replaced_id,
    }


def _audited(m: DetectorModel | None) -> dict | None:
    if m is None:
        return None
    return {"id": m.id, "version": m.version, "name": m.name, "sha256": m.sha256, "state": m.state,
            "shadow_share": m.shadow_share}


def all_models(session: Session) -> list[DetectorModel]:
    return list(session.scalars(select(DetectorModel).order_by(DetectorModel.version.desc())))


def get(session: Session, ref: int | str) -> DetectorModel:
    """A model by id, by version label ("v3") or by the start of its SHA-256 (8 characters or more)."""
    text = str(ref).strip()
    m = None
    if text.lower().startswith("v") and text[1:].isdigit():
        m = session.scalar(select(DetectorModel).where(DetectorModel.version == int(text[1:])))
    elif text.isdigit():
        m = session.get(DetectorModel, int(text))
    elif len(text) >= 8:
        found = list(session.scalars(select(DetectorModel).where(DetectorModel.sha256.startswith(text.lower()))))
        m = found[0] if len(found) == 1 else None
    if m is None:
        raise RegistryError(f"no model {text!r} in the registry (see `urbanwatch models list`)")
    return m


def live(session: Session) -> DetectorModel | None:
    return session.scalar(select(DetectorModel).where(DetectorModel.state == LIVE))


def in_shadow(session: Session) -> DetectorModel | None:
    return session.scalar(select(DetectorModel).where(DetectorModel.shadow_share.is_not(None)))


def by_sha(session: Session, sha256: str) -> DetectorModel | None:
    return session.scalar(select(DetectorModel).where(DetectorModel.sha256 == sha256))


def register(session: Session, *, name: str, path: str, sha256: str, classes: list[str], metrics: dict | None = None,
             trained_from: dict | None = None, user: User | None = None) -> DetectorModel:
    if by_sha(session, sha256) is not None:
        raise RegistryError(f"this model is already registered as v{by_sha(session, sha256).version}")
    version = (session.scalar(select(func.max(DetectorModel.version))) or 0) + 1
    m = DetectorModel(version=version, name=name, path=path, sha256=sha256, classes=list(classes),
                      metrics=metrics or {}, trained_from=trained_from or {}, state=CANDIDATE,
                      created_by=user.id if user else None, created_at=utcnow())
    session.add(m)
    session.flush()
    audit.record(session, user, "model.register", "model", m.id, None, _audited(m))
    return m


def set_metrics(session: Session, m: DetectorModel, key: str, value: dict) -> None:
    m.metrics = {**(m.metrics or {}), key: value}
    session.flush()


def promote(session: Session, m: DetectorModel, user: User | None, note: str | None = None,
            ip: str | None = None) -> DetectorModel:
    """`m` becomes the live model; the one live before is remembered for a rollback."""
    current = live(session)
    if current is not None and current.id == m.id:
        raise RegistryError(f"v{m.version} is already the live model")
    before = _audited(current)
    if current is not None:
        current.state = RETIRED
    m.state, m.promoted_at, m.promoted_by = LIVE, utcnow(), user.id if user else None
    m.replaced_id = current.id if current is not None else None
    m.shadow_share, m.shadow_since = None, None  # live now: nothing left to compare it with
    session.flush()
    audit.record(session, user, "model.promote", "model", m.id, before, _audited(m), note=note, ip=ip)
    return m


def rollback(session: Session, user: User | None, note: str | None = None,
             ip: str | None = None) -> DetectorModel | None:
    """The live model is retired and the one it replaced is live again (None: the configuration's)."""
    current = live(session)
    if current is None:
        raise RegistryError("no model from the registry is live: the configuration's model is running already")
    previous = session.get(DetectorModel, current.replaced_id) if current.replaced_id else None
    current.state = RETIRED
    if previous is not None:
        previous.state = LIVE
    session.flush()
    audit.record(session, user, "model.rollback", "model", current.id, _audited(current), _audited(previous),
                 note=note, ip=ip)
    return previous


def start_shadow(session: Session, m: DetectorModel, share: float, user: User | None,
                 ip: str | None = None) -> DetectorModel:
    """`m` runs beside the live model on `share` of the frames; one model at a time."""
    if not 0 < share <= 1:
        raise RegistryError("the shadow share must be more than 0 and at most 1")
    if m.state == LIVE:
        raise RegistryError(f"v{m.version} is the live model; shadow mode is for a candidate")
    other = in_shadow(session)
    if other is not None and other.id != m.id:
        stop_shadow(session, other, user, ip=ip)
    before = _audited(m)
    m.shadow_share, m.shadow_since = float(share), utcnow()
    session.flush()
    audit.record(session, user, "model.shadow_start", "model", m.id, before, _audited(m), ip=ip)
    return m


def stop_shadow(session: Session, m: DetectorModel, user: User | None, ip: str | None = None) -> None:
    if m.shadow_share is None:
        raise RegistryError(f"v{m.version} is not in shadow mode")
    before = _audited(m)
    set_metrics(session, m, "shadow", compare_shadow(session, m))  # the comparison as it stood, kept
    m.shadow_share = None
    session.flush()
    audit.record(session, user, "model.shadow_stop", "model", m.id, before, _audited(m), ip=ip)


# ---------------------------------------------------------------------- shadow alerts
def add_shadow_alert(session: Session, model_id: int, camera_id: str, *, zone: str, type: str, category: str,
                     class_name: str, bbox: list[float], started_at: datetime, raised_at: datetime) -> ShadowAlert:
    a = ShadowAlert(model_id=model_id, camera_id=camera_id, zone_name=zone, type=type, category=category,
                    class_name=class_name, bbox=[float(v) for v in bbox], started_at=started_at,
                    raised_at=raised_at)
    session.add(a)
    session.flush()
    return a


def end_shadow_alert(session: Session, alert_id: int, at: datetime) -> None:
    a = session.get(ShadowAlert, alert_id)
    if a is not None and a.ended_at is None:
        a.ended_at = at


def _iou(a: list[float], b: list[float]) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def compare_shadow(session: Session, m: DetectorModel, since: datetime | None = None) -> dict:
    """The shadow model's would-be alerts against the live events of the same cameras over the same
    time: agreed (both raised it), extra (only the shadow model), missed (only the live one).
    Where reviewers decided the live event, the split says how many of each were confirmed."""
    since = since or m.shadow_since or m.created_at
    alerts = list(session.scalars(select(ShadowAlert).where(ShadowAlert.model_id == m.id,
                                                            ShadowAlert.raised_at >= since)))
    # every worker runs the shadow model on all its cameras: every live event since is comparable
    events = list(session.scalars(select(Event).where(Event.raised_at >= since)))
    used: set[int] = set()
    agreed, extra = [], []
    for a in sorted(alerts, key=lambda x: x.raised_at):
        match = next((e for e in events if e.id not in used and e.camera_id == a.camera_id
                      and e.zone_name == a.zone_name and e.type == a.type
                      and abs((e.raised_at - a.raised_at).total_seconds()) <= MATCH_SLACK_S
                      and _iou(list(e.bbox), list(a.bbox)) >= MATCH_IOU), None)
        if match is None:
            extra.append(a.id)
        else:
            used.add(match.id)
            agreed.append((a.id, match.id))
    missed = [e for e in events if e.id not in used]
    by_status = {"confirmed": 0, "dismissed": 0, "unreviewed": 0}
    for e in missed:
        by_status[e.status] = by_status.get(e.status, 0) + 1
    return {"model": f"v{m.version}", "since": iso(since), "until": iso(utcnow()), "share": m.shadow_share,
            "shadow_alerts": len(alerts), "live_events": len(events), "agreed": len(agreed), "extra": len(extra),
            "missed": len(missed), "missed_by_review": by_status,
            "extra_ids": extra, "missed_event_ids": [e.id for e in missed]}

