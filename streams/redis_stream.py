"""The feed on a Redis Stream, for other systems that read it with consumer groups. Transports only:
the caller (urbanwatch.runtime.sinks) keeps the place in the feed.

Each stream entry's id is its feed id (`<feed id>-0`), so an entry published twice is stored once:
Redis refuses an id that is not greater than the stream's last one, and that refusal, for an id the
stream already passed, means "already published". Fields: `type` (the feed entry's type, for
filtering), `feed_id`, and `message` (the feed's JSON, as consoles get it).
"""

from __future__ import annotations

import json
import logging

import redis

from .sinks import DeliveryError

log = logging.getLogger(__name__)
DEFAULT_STREAM = "urbanwatch:feed"


def _parse_id(stream_id: str) -> tuple[int, int]:
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


class StreamPublisher:
    """XADD of each feed entry under its own id, trimmed (approximately) to `maxlen` entries."""

    def __init__(self, url: str, stream: str = DEFAULT_STREAM, maxlen: int = 1_000_000, timeout_s: float = 10.0):
        self.stream, self.maxlen = stream, maxlen
        self.client = redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
                                           decode_responses=True)

    def publish(self, feed_id: int, message: dict) -> bool:
        """True: added now; False: the stream already holds (or held, before trimming) this entry."""
        fields = {"type": str(message.get("type", "")), "feed_id": str(feed_id),
                  "message": json.dumps(message, ensure_ascii=False)}
        try:
            self.client.xadd(self.stream, fields, id=f"{feed_id}-0", maxlen=self.maxlen, approximate=True)
            return True
        except redis.ResponseError as exc:
            last = self._last_id()
            if last is not None and (feed_id, 0) <= last:
                return False  # already published
            raise DeliveryError(f"Redis refused feed entry {feed_id} on {self.stream}: {exc}") from None
        except (redis.RedisError, OSError) as exc:
            raise DeliveryError(f"Redis: {type(exc).__name__}: {exc}") from None

    def _last_id(self) -> tuple[int, int] | None:
        """The greatest id the stream ever took (kept when entries are trimmed or deleted)."""
        try:
            info = self.client.xinfo_stream(self.stream)
        except redis.ResponseError:  # no such key
            return None
        except (redis.RedisError, OSError) as exc:
            raise DeliveryError(f"Redis: {type(exc).__name__}: {exc}") from None
        return _parse_id(info["last-generated-id"])

    def close(self) -> None:
        self.client.close()


class StreamConsumer:
    """One consumer of a consumer group. `read` gives, in this order: the entries this consumer was
    given before and never acknowledged (it crashed, or was stopped between reading and
    acknowledging), entries other consumers of the group left unacknowledged for longer than
    `claim_idle_ms` (they are dead, or stuck), then new ones. An entry is done once acknowledged."""

    def __init__(
        self,
        url: str,
        stream: str,
        group: str,
        consumer: str,
        block_ms: int = 5000,
        *,
        start_id: str = "0",  # where a group that does not exist yet starts: "0" all, "$" only new
        claim_idle_ms: int | None = 60_000,
        timeout_s: float = 10.0,
    ):
        self.stream, self.group, self.consumer = stream, group, consumer
        self.block_ms, self.claim_idle_ms = block_ms, claim_idle_ms
        # the socket must outlast a blocking read
        self.client = redis.Redis.from_url(url, socket_timeout=timeout_s + block_ms / 1000,
                                           socket_connect_timeout=timeout_s, decode_responses=True)
        self._own_cursor: str | None = "0"  # reading back our own pending entries; None: done
        self._claim_cursor = "0-0"
        try:
            self.client.xgroup_create(stream, group, id=start_id, mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def read(self, count: int = 10) -> list[tuple[str, dict]]:
        if self._own_cursor is not None:
            entries = self._xreadgroup(self._own_cursor, count, None)
            if entries:
                self._own_cursor = entries[-1][0]
                return self._messages(entries)
            self._own_cursor = None
        if self.claim_idle_ms is not None:
            reply = self.client.xautoclaim(self.stream, self.group, self.consumer, self.claim_idle_ms,
                                           start_id=self._claim_cursor, count=count)
            self._claim_cursor = reply[0]
            if reply[1]:
                return self._messages(reply[1])
        return self._messages(self._xreadgroup(">", count, self.block_ms or None))

    def _xreadgroup(self, cursor: str, count: int, block: int | None) -> list:
        reply = self.client.xreadgroup(self.group, self.consumer, {self.stream: cursor}, count=count, block=block)
        return reply[0][1] if reply else []

    def _messages(self, entries: list) -> list[tuple[str, dict]]:
        out, gone = [], []
        for stream_id, fields in entries:
            if not fields:  # trimmed away while pending: nothing left to give
                gone.append(stream_id)
                continue
            out.append((stream_id, json.loads(fields["message"])))
        if gone:
            log.warning("stream %s: %d pending entries were trimmed before they were read", self.stream, len(gone))
            self.ack(gone)
        return out

    def ack(self, ids: list[str]) -> int:
        return self.client.xack(self.stream, self.group, *ids) if ids else 0

    def close(self) -> None:
        self.client.close()
