"""WebSocket /ws/events: the live feed, resumable without gaps or duplicates."""

import logging

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from ..feed_hub import FeedHub

router = APIRouter(tags=["live"])
log = logging.getLogger(__name__)


@router.websocket("/ws/events")
async def live_events(
    websocket: WebSocket,
    since: int | None = Query(
        None,
        ge=0,
        description="The id of the last message received: everything after it is sent first. "
        "An event's id is the id of the message that announced it.",
    ),
):
    hub: FeedHub = websocket.app.state.hub
    await websocket.accept()
    # Subscribe before reading the backlog: whatever commits meanwhile is queued, and the
    # cursor drops what the backlog already covered.
    sub = hub.subscribe()
    try:
        cursor = hub.last_id if since is None else since
        if since is not None:
            while True:
                backlog = await hub.replay(cursor)
                for message in backlog:
                    await websocket.send_json(message)
                    cursor = message["id"]
                if len(backlog) < 500:
                    break
        while True:
            message = await sub.queue.get()
            if message is None:
                await websocket.close(code=1013, reason="too slow: reconnect with since")
                return
            if message["id"] <= cursor:
                continue
            await websocket.send_json(message)
            cursor = message["id"]
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(sub)
        if websocket.client_state == WebSocketState.CONNECTED:
            try:
                await websocket.close()
            except RuntimeError:
                pass
