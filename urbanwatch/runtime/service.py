"""`urbanwatch run`: the database brought up to date, the workers, and the API in one process tree."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import uvicorn

from models import Database

from ..config import Settings
from .registry import sync_cameras
from .retention import Purger, PurgeSchedule
from .supervisor import Supervisor

log = logging.getLogger(__name__)


class StartupError(RuntimeError):
    pass


def check_model(settings: Settings) -> None:
    model = Path(settings.detector.model).expanduser()
    if model.exists():
        return
    if model.is_absolute() or len(model.parts) > 1:
        raise StartupError(f"detector.model: no such file {model} (set URBANWATCH_MODEL or detector.model)")
    log.warning("model %s is not a local file: Ultralytics will try to download it", model)


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
    db.upgrade()
    sync_cameras(db, settings)
    with db.session() as s:
        if count_users(s) == 0:
            log.warning("no console accounts yet: create the first admin with "
                        "`urbanwatch users add NAME --role admin --city-wide`")
    return db


def run_service(settings: Settings, log_level: str = "INFO") -> None:
    from api.app import create_app

    check_model(settings)
    check_port(settings.server.host, settings.server.port)
    db = prepare_database(settings)
    supervisor = Supervisor(settings, log_level)
    supervisor.start()
    purging = PurgeSchedule(Purger(settings, db), settings.retention.purge_every_min * 60)
    purging.start()
    app = create_app(settings, db)
    app.state.supervisor = supervisor
    try:
        log.info("console at http://%s:%d/", settings.server.host, settings.server.port)
        # proxy_headers off: the API itself decides whose X-Forwarded-For to believe (trusted_proxies)
        uvicorn.run(app, host=settings.server.host, port=settings.server.port, log_level="warning",
                    ws_ping_interval=20, ws_ping_timeout=20, proxy_headers=False)
    finally:
        log.info("stopping workers")
        purging.stop()
        supervisor.stop()
        db.dispose()
