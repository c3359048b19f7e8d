"""WebSocket /ws/events: the live feed of the caller's wards, resumable without gaps or
duplicates."""

import asyncio
import contextlib

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from models.users import REVOKED

from ..feed_hub import FeedHub, Subscription
from ..params import MAX_ID
from ..security import Principal, websocket_principal

router = APIRouter(tags=["live"])


def _visible(p: Principal, message: dict) -> bool:
    if message.get("type") == REVOKED:  # for API servers only
        return False
    ward = message.get("ward")
    return ward is None or p.scope.allows(ward)  # system messages are for everyone


class SignedOut(Exception):
    """The credentials this socket was opened with ended (sign-out, disabled account, new password)."""


async def _check_still_signed_in(websocket: WebSocket, p: Principal, message: dict) -> None:
    """Asked again rather than trusted: an old revocation replayed to a new sign-in changes nothing."""
    if message.get("type") == REVOKED and p.revoked_by(message):
        if await asyncio.to_thread(websocket_principal, websocket) is None:
            raise SignedOut


async def _send_feed(websocket: WebSocket, hub: FeedHub, sub: Subscription, p: Principal, since: int | None) -> None:
    cursor = hub.last_id if since is None else since
    try:
        if since is not None:
            while True:
                backlog, more = await hub.replay(cursor)
                for message in backlog:
                    await _check_still_signed_in(websocket, p, message)
                    if _visible(p, message):
                        await websocket.send_json(message)
                    cursor = message["id"]
                if not more:
                    break
        while True:
            message = await sub.queue.get()
            if message is None:
                await websocket.close(code=1013, reason="too slow: reconnect with since")
                return
            if message["id"] <= cursor:  # already sent from the backlog
                continue
            await _check_still_signed_in(websocket, p, message)
            if _visible(p, message):
                await websocket.send_json(message)
            cursor = message["id"]
    except SignedOut:
        await websocket.close(code=4401, reason="signed out")


async def _until_disconnect(websocket: WebSocket) -> None:
    """Consoles send nothing we need; reading notices a closed connection at once, instead of at
    the next message, so idle handlers do not pile up."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


@router.websocket("/ws/events")
async def live_events(
    websocket: WebSocket,
    since: int | None = Query(
        None,
        ge=0,
        le=MAX_ID,
        description="The id of the last message received: everything after it is sent first. "
        "An event's id is the id of the message that announced it.",
    ),
):
    p = await asyncio.to_thread(websocket_principal, websocket)
    if p is None:
        await websocket.close(code=4401, reason="sign in first")
        return
    hub: FeedHub = websocket.app.state.hub
    await websocket.accept()
    # Subscribe before reading the backlog: whatever commits meanwhile is queued, and the
    # cursor drops what the backlog already covered.
    sub = hub.subscribe()
    tasks = [asyncio.create_task(_send_feed(websocket, hub, sub, p, since)),
             asyncio.create_task(_until_disconnect(websocket))]
    try:
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for t in pending:
            t.cancel()
        for t in done:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                t.result()
    finally:
        for t in tasks:
            t.cancel()
        hub.unsubscribe(sub)
