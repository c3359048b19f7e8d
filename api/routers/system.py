
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import feed
from models.cameras import list_cameras
from models.failed_writes import failed_write_to_dict, list_failed_writes
from models.media import disk_usage
from models.schema import FeedEntry
from models.serialize import feed_message
from models.sinks import failures
from models.types import utcnow
from urbanwatch import __version__
from urbanwatch.config import Settings

from ..deps import DbDep, MetricsDep, SessionDep, SettingsDep, SupervisorDep, get_session, get_settings
from ..params import PageDep, refusals
from ..schemas import FailedWriteOut, SinkFailureOut, WorkerOut
from ..security import Principal, admin, client_ip, resolve_principal, signed_in, within

router = APIRouter(prefix="/api", tags=["system"], responses=refusals(401, 403))


@router.get("/info", summary="What the console needs to know about this installation")
def info(settings: Settings = Depends(get_settings)) -> dict:
    return {"version": __version__, "timezone": settings.timezone, "day_start": settings.day_start,
            "default_language": "vi"}


@router.get("/system/failed-writes", response_model=list[FailedWriteOut],
            summary="Writes the workers set aside because they could never succeed, "
            "newest first, with their tracebacks (admins)")
def failed_writes(session: SessionDep, page: PageDep, p: Principal = Depends(admin)) -> list[dict]:
    return [failed_write_to_dict(f) for f in list_failed_writes(session, *page)]


probes = APIRouter(tags=["system"])
STALE_HEALTH_S = 60  # a camera whose worker has not reported for this long is not being watched


@probes.get("/metrics", summary="Prometheus metrics (from metrics_networks, or with an admin's bearer token)",
            response_class=Response, responses={403: {"description": "Not from metrics_networks, and no admin token"}})
def metrics(request: Request, db: DbDep, settings: SettingsDep, registry: MetricsDep) -> Response:
    if not within(client_ip(request), settings.server.metrics_networks):
        p = resolve_principal(db, None, request.headers.get("authorization"))
        if p is None or not p.can("admin"):
            raise HTTPException(403, "metrics are for server.metrics_networks, or an admin's bearer token")
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@probes.get("/healthz", summary="Liveness for a process supervisor: the API process answers")
def healthz() -> dict:
    return {"ok": True}


@probes.get("/readyz", summary="Readiness: the database answers, its schema is current, the workers report",
            responses={503: {"description": "Not ready, with the reasons"}})
def readyz(db: DbDep, supervisor: SupervisorDep) -> JSONResponse:
    problems = []
    try:
        current, head = db.schema_current()
        if current != head:
            problems.append(f"database schema at {current}, this version needs {head}")
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database is the answer
        problems.append(f"database: {str(exc).splitlines()[0][:200]}")
    if supervisor is not None and not problems:
        dead = [w["index"] for w in supervisor.status() if not w["alive"]]
        if dead:
            problems.append(f"workers not running: {', '.join(map(str, dead))}")
        with db.session() as s:
            enabled = [c for c in list_cameras(s) if c.enabled]
        stale = [c for c in enabled if c.health_updated_at is None
                 or (utcnow() - c.health_updated_at).total_seconds() > STALE_HEALTH_S]
        if stale:  # counted, not named: probes are answered without signing in
            problems.append(f"{len(stale)} of {len(enabled)} cameras without a worker report for {STALE_HEALTH_S} s")
    return JSONResponse({"ready": not problems, "problems": problems}, 200 if not problems else 503)


@router.get("/system/sink-failures", response_model=list[SinkFailureOut],
            summary="Messages an outgoing sink (a webhook) gave up on after all its "
            "attempts, newest first (admins)")
def sink_failures(session: SessionDep, page: PageDep, p: Principal = Depends(admin)) -> list[dict]:
    return failures(session, *page)


@router.get("/health", summary="Liveness: the database answers")
def health(session: Session = Depends(get_session)) -> dict:
    return {"ok": True, "feed_last_id": feed.last_id(session)}


@router.get("/workers", response_model=list[WorkerOut],
            summary="Worker processes of this machine and the cameras each serves")
def workers(supervisor: SupervisorDep, p: Principal = Depends(admin)) -> list[dict]:
    return supervisor.status() if supervisor else []


@router.get("/system/status", summary="Media disk and the latest system warning, for the console's banner")
def system_status(settings: SettingsDep, session: Session = Depends(get_session),
                  p: Principal = Depends(signed_in)) -> dict:
    usage = disk_usage(settings.storage.resolved_media_dir)
    warning = session.scalar(select(FeedEntry).where(FeedEntry.type == "system.warning")
                             .order_by(FeedEntry.id.desc()).limit(1))
    return {"media_free_percent": round(100 * usage.free / usage.total, 1),
            "media_free_gb": round(usage.free / 1e9, 1),
            "min_free_percent": settings.retention.min_free_percent,
            "last_warning": feed_message(warning) if warning else None}
