"""The FastAPI application: REST, WebSocket and the console, on one database."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry
from sqlalchemy.exc import DataError

from models import Database
from streams.notify import FeedWaiter
from urbanwatch import __version__
from urbanwatch.config import Settings
from urbanwatch.config.loader import validation_lines

from .feed_hub import FeedHub
from .metrics import UrbanwatchCollector
from .params import RejectNul
from .routers import (
    areas,
    audit,
    auth,
    cameras,
    events,
    evidence,
    live,
    media,
    models_registry,
    review,
    suppressions,
    system,
    users,
    verify,
)

STATIC = Path(__file__).parent / "static"
log = logging.getLogger(__name__)


def _field(loc: tuple) -> tuple:
    """FastAPI's ("query", "limit") or ("body", "areas", 0) without where it was: the field
    itself; a whole body (a list, or JSON that does not parse) stays "body"."""
    rest = loc[1:]
    if rest and isinstance(rest[0], str):
        return rest
    return ("body", *rest) if loc[:1] == ("body",) else rest or ("request",)


def create_app(settings: Settings, db: Database | None = None, poll_s: float | None = None) -> FastAPI:
    db = db or Database(settings.storage.resolved_database_url)
    redis_url = settings.storage.redis_url
    # Without Redis, the database is polled: often enough for sub-second alerts.
    waiter = FeedWaiter(redis_url, poll_s if poll_s is not None else (1.0 if redis_url else 0.1))
    hub = FeedHub(db, waiter)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await hub.start()
        try:
            yield
        finally:
            await hub.stop()

    app = FastAPI(
        title="urbanwatch",
        version=__version__,
        description="Urban-order violations seen by the city's cameras, ward by ward: events, cameras, live feed.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.hub = hub
    app.state.metrics = CollectorRegistry(auto_describe=False)
    app.state.metrics.register(UrbanwatchCollector(app))
    routers = (auth, evidence, events, review, cameras, suppressions, areas, users, audit, models_registry, media,
               system, live, verify)
    for module in routers:
        app.include_router(module.router)
    app.include_router(system.probes)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(RejectNul)

    @app.exception_handler(RequestValidationError)
    async def refused(request: Request, exc: RequestValidationError) -> JSONResponse:
        """A request the API cannot take: one "field: problem" line per problem, as the configuration
        and the zone editor say them (the console shows them as they are)."""
        errors = [{**e, "loc": _field(tuple(e.get("loc", ())))} for e in exc.errors()]
        return JSONResponse({"detail": validation_lines(errors)}, 422)

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def out_of_range(request: Request, exc: Exception) -> JSONResponse:
        """The last net under api/params.py: a value the database cannot hold is the caller's
        mistake (422), not the server's."""
        log.warning("%s %s: value out of range: %s", request.method, request.url.path, str(exc).splitlines()[0])
        return JSONResponse({"detail": "a value in the request is out of range"}, 422)

    @app.get("/", include_in_schema=False)
    def console() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    return app
