"""What the API accepts, in one place: ids and offsets within the database's integers, days and
times within the years the service can mean, and no NUL character anywhere (PostgreSQL cannot
store one). A value outside is a 422 naming the field, never a 500."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated
from urllib.parse import unquote_to_bytes

from fastapi import Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, Field

MAX_ID = 2**31 - 1  # an INTEGER column on PostgreSQL
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def _day(v: date) -> date:
    if not FIRST_DAY <= v <= LAST_DAY:
        raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}")
    return v


def _moment(v: datetime) -> datetime:
    _day((v if v.tzinfo is None else v.astimezone(UTC)).date())
    return v


EventId = Annotated[int, Path(ge=1, le=MAX_ID, description="Event id")]
UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="User id")]
ProblemId = Annotated[int, Path(ge=1, le=MAX_ID, description="Camera problem id")]
SuppressionId = Annotated[int, Path(ge=1, le=MAX_ID, description="Suppression id")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=500)]


def page(limit: Limit = 100, offset: Offset = 0) -> tuple[int, int]:
    """A page of a list, newest first: (limit, offset)."""
    return limit, offset


PageDep = Annotated[tuple[int, int], Depends(page)]
IdList = list[Annotated[int, Field(ge=1, le=MAX_ID)]]
Day = Annotated[date, AfterValidator(_day)]
Moment = Annotated[datetime, AfterValidator(_moment)]


class RejectNul:
    """ASGI middleware: a NUL character in the path, the query or a JSON body is refused (422)
    before any route sees it."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if "\x00" in scope.get("path", "") or b"\x00" in unquote_to_bytes(scope.get("query_string", b"")):
            return await _refuse(scope, receive, send)
        body, more, messages = b"", True, []
        while more:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if b"\\u0000" in body or b"\x00" in body:
            return await _refuse(scope, receive, send)

        async def replay():
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _refuse(scope, receive, send) -> None:
    await JSONResponse({"detail": "NUL characters are not allowed in a request"}, 422)(scope, receive, send)


class Refusal(BaseModel):
    detail: str | list = Field(description="Why, in words (for 422: one entry per field)")


_WHY = {
    401: "Not signed in, or the session or token ended",
    403: "Signed in, but not allowed: the role is too low, or the CSRF token is missing",
    404: "No such thing, or not in the caller's wards",
    409: "Still in use",
    429: "Too many failed sign-ins; try again later",
}


def refusals(*codes: int) -> dict:
    """The error answers a router's routes give, for the OpenAPI spec."""
    return {code: {"model": Refusal, "description": _WHY[code]} for code in codes}
