"""Request dependencies: the database session and the service's shared objects."""

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session

from urbanwatch.config import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.db.session() as session:
        yield session
