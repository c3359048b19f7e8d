"""`urbanwatch run`: the database brought up to date, the workers, and the API in one process tree."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from models import Database
from models.cameras import mask_credentials

from ..config import Settings
from .duties import Duties
from .registry import sync_cameras
from .retention import Purger, PurgeSchedule
from .sinks import start_sinks
from .supervisor import Supervisor

log = logging.getLogger(__name__)


class StartupError(RuntimeError):
    pass


def check_model(settings: Settings) -> None:
    """Nothing is downloaded at run time: a model that is not on this machine stops the start."""
    model = Path(settings.detector.model).expanduser()
    if not model.exists():
        raise StartupError(f"detector.model: no such file {model} (urbanwatch never downloads a model; set "
                           "detector.model or URBANWATCH_MODEL to a .pt, .onnx or OpenVINO folder on this machine)")


def check_cameras(settings: Settings) -> None:
    if not any(cam.enabled for cam in settings.cameras):
        raise StartupError("cameras: none configured and enabled; add one to the configuration "
                           "(`urbanwatch demo` runs on a replayed video)")


def check_redis(url: str | None) -> None:
    if not url:
        return
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3).ping()
    except (redis.RedisError, OSError) as exc:
        raise StartupError(f"storage.redis_url: no Redis answers at {url} ({exc})") from None


def check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def prepare_database(settings: Settings) -> Database:
    from models.users import count_users

    db = Database(settings.storage.resolved_database_url)
    try:
        db.upgrade()
    except (SQLAlchemyError, OSError) as exc:
        db.dispose()
        where = mask_credentials(settings.storage.resolved_database_url)
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StartupError(f"storage.database_url: cannot open the database {where}: {reason}") from None
    sync_cameras(db, settings)
    with db.session() as s:
        if count_users(s) == 0:
            log.warning("no console accounts yet: create the first admin with "
                        "`urbanwatch users add NAME --role admin --city-wide`")
    return db


ROLES = ("all", "worker", "api")


def _start_duties(settings: Settings, db: Database):
    def start() -> list:
        purging = PurgeSchedule(Purger(settings, db), settings.retention.purge_every_min * 60)
        purging.start()
        return [purging, *start_sinks(settings, db)]

    duties = Duties(settings, start)
    duties.start()
    return duties


def run_service(settings: Settings, log_level: str = "INFO", role: str = "all") -> None:
    """`all`: workers, API and duties on this machine (`urbanwatch run`); `worker`: camera workers
    only, sharing the cameras with every other worker by camera leases (`urbanwatch worker`);
    `api`: the API and console only, any number behind a load balancer (`urbanwatch api`)."""
    from api.app import create_app

    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    if role != "api":
        check_cameras(settings)
        check_model(settings)
    if role != "worker":
        check_port(settings.server.host, settings.server.port)
    check_redis(settings.storage.redis_url)
    db = prepare_database(settings)
    supervisor = None
    if role != "api":
        supervisor = Supervisor(settings, log_level, leases=role == "worker" or settings.workers.leases)
        supervisor.start()
    duties = _start_duties(settings, db) if role != "worker" else None
    try:
        if role == "worker":
            _wait_for_signal()
            return
        app = create_app(settings, db)
        app.state.supervisor = supervisor
        log.info("console at http://%s:%d/", settings.server.host, settings.server.port)
        # proxy_headers off: the API itself decides whose X-Forwarded-For to believe (trusted_proxies)
        uvicorn.run(app, host=settings.server.host, port=settings.server.port, log_level="warning",
                    ws_ping_interval=20, ws_ping_timeout=20, proxy_headers=False)
    finally:
        if duties is not None:
            duties.stop()
        if supervisor is not None:
            log.info("stopping workers")
            supervisor.stop()
        db.dispose()


def _wait_for_signal() -> None:
    """Until SIGTERM (systemd stop) or Ctrl-C."""
    import signal
    import threading

    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    log.info("worker node running; stop with SIGTERM or Ctrl-C")
    while not done.wait(1.0):
        pass
