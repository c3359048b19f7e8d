"""Where events go besides the console: an MQTT broker (home-automation style integrations),
webhooks (the office's own case-management software) and a Redis Stream (other systems reading
the whole feed with consumer groups)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import Section, require_unique
from .storage import checked_redis_url

TOPIC = re.compile(r"^[A-Za-z0-9_./-]{1,100}$")  # no MQTT wildcards (+ #) in a prefix


class MqttSink(Section):
    host: str = Field(..., min_length=1, title="Broker host")
    port: int = Field(1883, ge=1, le=65535, title="Broker port")
    username: str | None = Field(None, title="User name")
    password: str | None = Field(None, title="Password", description="Through ${ENV_VAR}, never in the file.")
    topic_prefix: str = Field(
        "urbanwatch",
        title="Topic prefix",
        description="Topics: PREFIX/events (new and updated events, JSON), PREFIX/cameras/ID/status "
        "(retained), PREFIX/ID/TYPE/snapshot (the latest snapshot JPEG, retained), PREFIX/availability "
        "(online/offline, retained, with a last will).",
    )
    snapshots: bool = Field(True, title="Snapshots", description="Publish each new event's snapshot JPEG.")

    @field_validator("topic_prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        if not TOPIC.match(v):
            raise ValueError("letters, digits, '_', '.', '/', '-' only (no MQTT wildcards)")
        return v.strip("/")


class WebhookSink(Section):
    name: str = Field(..., pattern=r"^[A-Za-z0-9_.-]{1,64}$", title="Name", description="Names its dead letters.")
    url: str = Field(..., title="URL", description="Receives a POST of each event message as JSON.")
    secret: str = Field(
        ...,
        min_length=16,
        title="Secret",
        description="Signs each body: header X-Urbanwatch-Signature: sha256=HMAC-SHA256(secret, body), hex.",
    )
    types: list[Literal["encroachment", "dumping"]] | None = Field(None, title="Event types (default: all)")
    areas: list[str] | None = Field(None, title="Wards, communes or groups (default: the whole city)")
    camera_status: bool = Field(False, title="Camera status", description="Also post camera online/offline.")
    max_attempts: int = Field(
        20, ge=1, le=1000, title="Attempts",
        description="Tries per message (pauses growing from 1 s to 60 s) before it becomes a dead letter.",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return v


class RedisStreamSink(Section):
    enabled: bool = Field(True, title="Enabled")
    stream: str = Field(
        "urbanwatch:feed",
        pattern=r"^[A-Za-z0-9_.:/-]{1,200}$",
        title="Stream",
        description="The Redis Stream (a key) every feed entry is added to, under its feed id (`<id>-0`), with "
        "the fields type, feed_id and message (the console's JSON). Readers use consumer groups "
        "(`urbanwatch stream tail`).",
    )
    maxlen: int = Field(
        1_000_000, ge=1, le=1_000_000_000, title="Entries kept",
        description="The stream is trimmed to about this many entries, oldest first.",
    )
    redis_url: str | None = Field(
        None, title="Redis URL", description="redis://host:6379/0 (or rediss://, unix://). Default: storage.redis_url."
    )

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, v: str | None) -> str | None:
        return checked_redis_url(v)

    @property
    def sink_name(self) -> str:
        """Names its position in the feed: each stream keeps its own."""
        return f"redis_stream:{self.stream}"


NO_STREAM_REDIS = "sinks.redis_stream.redis_url: required (the stream needs a Redis): set it, or storage.redis_url"


class SinksConfig(Section):
    mqtt: MqttSink | None = None
    webhooks: list[WebhookSink] = Field(default_factory=list, max_length=50)
    redis_stream: RedisStreamSink | None = Field(None, title="Redis Stream")

    @model_validator(mode="after")
    def _unique(self) -> SinksConfig:
        require_unique([w.name for w in self.webhooks], "webhook names")
        return self

    def stream_redis_url(self, storage_redis_url: str | None) -> str | None:
        """The Redis the stream goes to (None: no enabled stream sink); ValueError(NO_STREAM_REDIS) when
        an enabled one has none, neither its own nor storage.redis_url."""
        if self.redis_stream is None or not self.redis_stream.enabled:
            return None
        url = self.redis_stream.redis_url or storage_redis_url
        if not url:
            raise ValueError(NO_STREAM_REDIS)
        return url

    def problems(self, storage_redis_url: str | None) -> list[str]:
        """What the whole configuration must say for the sinks to start (one line each)."""
        try:
            self.stream_redis_url(storage_redis_url)
        except ValueError as exc:
            return [str(exc)]
        return []
