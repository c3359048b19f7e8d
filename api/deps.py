"""Request dependencies, typed once: the database, a session on it, the settings. Routes declare
what they use (`db: DbDep`) instead of reaching into the application's state."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from models import Database
from urbanwatch.config import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.db.session() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbDep = Annotated[Database, Depends(get_db)]
SessionDep = Annotated[Session, Depends(get_session)]


def get_supervisor(request: Request):
    """The worker supervisor of `urbanwatch run`; None on an API server without workers."""
    return getattr(request.app.state, "supervisor", None)


def get_metrics(request: Request):
    return request.app.state.metrics


SupervisorDep = Annotated[object | None, Depends(get_supervisor)]
MetricsDep = Annotated[object, Depends(get_metrics)]
