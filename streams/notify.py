"""The event stream out: tells API servers that the feed has new entries.

The feed itself lives in the database (committed before anything is announced); this channel
only carries wake-up calls. With Redis, every API server of a city deployment hears a new event
at once; without it, API servers poll the database, which is enough on one machine.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)
CHANNEL = "urbanwatch:feed"


class FeedNotifier:
    """Says that the feed has new committed entries (workers)."""

    def __init__(self, redis_url: str | None):
        self._redis = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)

    def publish(self) -> None:
        if self._redis is None:
            return
        try:
            self._redis.publish(CHANNEL, "new")
        except Exception as exc:  # the poll fallback still delivers; never lose the worker over it
            log.warning("feed notification failed: %s", exc)

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()


class FeedWaiter:
    """Waits until the feed may have changed (API servers): a Redis message, or the poll interval."""

    def __init__(self, redis_url: str | None, poll_s: float):
        self.redis_url = redis_url
        self.poll_s = poll_s
        self._event: asyncio.Event | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._event = asyncio.Event()  # bound to the loop that serves the app
        if self.redis_url:
            self._task = asyncio.create_task(self._listen(), name="feed-redis-listener")

    async def _listen(self) -> None:
        import redis.asyncio as aioredis

        while True:
            try:
                client = aioredis.Redis.from_url(self.redis_url)
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    async for msg in pubsub.listen():
                        if msg.get("type") == "message":
                            self._event.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("feed listener lost Redis (%s); polling meanwhile", exc)
                await asyncio.sleep(2)

    def wake(self) -> None:
        """Ends the current wait now (a console joined: no reason to wait out a slow poll)."""
        if self._event is not None:
            self._event.set()

    async def wait(self, timeout_s: float | None = None) -> None:
        try:
            await asyncio.wait_for(self._event.wait(), timeout_s or self.poll_s)
        except TimeoutError:
            pass
        self._event.clear()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
