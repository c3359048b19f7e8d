"""Follows the feed table and fans new entries out to every connected console."""

from __future__ import annotations

import asyncio
import logging

from models import Database
from models import feed as feed_store
from models.serialize import feed_message
from streams.notify import FeedWaiter

log = logging.getLogger(__name__)

IDLE_POLL_S = 1.0  # with no console connected, the table is followed at this pace only


class Subscription:
    def __init__(self, maxsize: int):
        self.queue: asyncio.Queue[dict | None] = asyncio.Queue(maxsize)
        self.overflowed = False

    def offer(self, message: dict) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            # A console too slow to keep up is cut off (None tells its handler to close); it
            # reconnects with `since` and loses nothing.
            self.overflowed = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)


class FeedHub:
    def __init__(self, db: Database, waiter: FeedWaiter, queue_size: int = 1000):
        self.db = db
        self.waiter = waiter
        self.queue_size = queue_size
        self.last_id = 0
        self._subs: set[Subscription] = set()
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self.last_id = await asyncio.to_thread(self._last_id)
        await self.waiter.start()
        self._task = asyncio.create_task(self._follow(), name="feed-hub")

    def _last_id(self) -> int:
        with self.db.session() as s:
            return feed_store.last_id(s)

    def _fetch(self, after_id: int) -> tuple[list[dict], bool]:
        with self.db.session() as s:
            entries, more = feed_store.page_after(s, after_id)
            return [feed_message(e) for e in entries], more

    async def replay(self, after_id: int) -> tuple[list[dict], bool]:
        """A page of the feed after `after_id`, and whether more follow."""
        return await asyncio.to_thread(self._fetch, after_id)

    async def _follow(self) -> None:
        while True:
            try:
                messages, more = await asyncio.to_thread(self._fetch, self.last_id)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("feed read failed: %s", exc)
                messages, more = [], False
                await asyncio.sleep(1)
            for m in messages:
                for sub in list(self._subs):
                    sub.offer(m)
                self.last_id = m["id"]
            if not more:
                # Nobody to tell: keep up slowly. A console that joins wakes the hub at once.
                await self.waiter.wait(None if self._subs else max(IDLE_POLL_S, self.waiter.poll_s))

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    def subscribe(self) -> Subscription:
        sub = Subscription(self.queue_size)
        self._subs.add(sub)
        self.waiter.wake()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await self.waiter.stop()
