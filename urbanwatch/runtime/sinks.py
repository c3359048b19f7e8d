"""Outgoing sinks, each a thread that follows the feed from its own persisted position: events and
camera status (to the Redis Stream: every feed entry) go out in order, a sink that was down (or a
broker, or a receiver) catches up with nothing lost, and a restart sends nothing twice. A webhook
gives a message up, as a dead letter admins see, only after its configured attempts."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable

from models import Database, feed
from models.areas import expand
from models.media import MediaStore
from models.serialize import MEDIA_URL, feed_message
from models.sinks import advance, give_up, position
from streams.redis_stream import StreamPublisher
from streams.sinks import DeliveryError, MqttPublisher, WebhookPoster

from ..config import Settings
from ..config.sinks import MqttSink, RedisStreamSink, WebhookSink

log = logging.getLogger(__name__)
EVENT_TYPES = ("event.new", "event.updated")


class SinkRunner(threading.Thread):
    def __init__(
        self,
        name: str,
        db: Database,
        deliver: Callable[[dict], None],
        wants: Callable[[dict], bool],
        *,
        max_attempts: int | None = None,  # None: try until it goes through (the order is kept)
        poll_s: float = 0.5,
        pause_s: tuple[float, float] = (1.0, 60.0),
        on_close: Callable[[], None] | None = None,
    ):
        super().__init__(name=f"sink-{name}", daemon=True)
        self.sink, self.db, self.deliver, self.wants = name, db, deliver, wants
        self.max_attempts, self.poll_s, self.pause_s = max_attempts, poll_s, pause_s
        self.on_close = on_close
        self._halt = threading.Event()

    def stop(self, timeout: float = 10.0) -> None:
        self._halt.set()
        self.join(timeout)

    def run(self) -> None:
        try:
            with self.db.write() as s:
                cursor = position(s, self.sink)
            while not self._halt.is_set():
                with self.db.session() as s:
                    batch = [feed_message(e) for e in feed.after(s, cursor, 100)]
                if not batch:
                    self._halt.wait(self.poll_s)
                    continue
                for message in batch:
                    if self._halt.is_set() or not self._send(message):
                        break
                    cursor = message["id"]
                with self.db.write() as s:
                    advance(s, self.sink, cursor)
        except Exception:  # noqa: BLE001 - a sink must never take the service down with it
            log.exception("sink %s stopped", self.sink)
        finally:
            if self.on_close is not None:
                self.on_close()

    def _send(self, message: dict) -> bool:
        """Delivered, skipped or given up: True. Stopped while retrying: False (not delivered)."""
        if not self.wants(message):
            return True
        pause, attempts = self.pause_s[0], 0
        while not self._halt.is_set():
            attempts += 1
            try:
                self.deliver(message)
                with self.db.write() as s:
                    advance(s, self.sink, message["id"])
                return True
            except Exception as exc:  # noqa: BLE001 - DeliveryError, or whatever the transport raised
                error = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
                if self.max_attempts is not None and attempts >= self.max_attempts:
                    log.error("sink %s: giving up feed entry %d after %d attempts: %s",
                              self.sink, message["id"], attempts, error)
                    with self.db.write() as s:
                        give_up(s, self.sink, message["id"], attempts, error)
                    return True
                if attempts == 1:
                    log.warning("sink %s: feed entry %d not delivered (%s); trying again", self.sink,
                                message["id"], error)
                self._halt.wait(pause)
                pause = min(pause * 2, self.pause_s[1])
        return False


def mqtt_runner(cfg: MqttSink, db: Database, media: MediaStore, client_id: str | None = None) -> SinkRunner:
    publisher = MqttPublisher(cfg.host, cfg.port, cfg.topic_prefix, cfg.username, cfg.password, client_id)

    def deliver(m: dict) -> None:
        if m["type"] == "camera.status":
            publisher.publish(f"cameras/{m['camera_id']}/status", json.dumps(m, ensure_ascii=False), retain=True)
            return
        publisher.publish("events", json.dumps(m, ensure_ascii=False))
        url = m.get("snapshot_url")
        if cfg.snapshots and m["type"] == "event.new" and url:
            picture = media.path(url.removeprefix(MEDIA_URL))
            if picture.is_file():
                publisher.publish(f"{m['camera_id']}/{m['event']['type']}/snapshot", picture.read_bytes(), retain=True)

    return SinkRunner("mqtt", db, deliver, lambda m: m["type"] in (*EVENT_TYPES, "camera.status"),
                      on_close=publisher.close)


def webhook_runner(cfg: WebhookSink, db: Database, pause_s: tuple[float, float] = (1.0, 60.0)) -> SinkRunner:
    poster = WebhookPoster(cfg.url, cfg.secret)
    if cfg.areas:
        with db.session() as s:
            wards = expand(s, cfg.areas)
    else:
        wards = None

    def wants(m: dict) -> bool:
        if m["type"] == "camera.status":
            return cfg.camera_status and (wards is None or m.get("ward") in wards)
        if m["type"] not in EVENT_TYPES:
            return False
        return (cfg.types is None or m["event"]["type"] in cfg.types) and (wards is None or m.get("ward") in wards)

    return SinkRunner(f"webhook:{cfg.name}", db, lambda m: poster.post(m, str(m["id"])), wants,
                      max_attempts=cfg.max_attempts, pause_s=pause_s, on_close=poster.close)


def redis_stream_runner(cfg: RedisStreamSink, db: Database, url: str,
                        pause_s: tuple[float, float] = (1.0, 60.0)) -> SinkRunner:
    """Every feed entry, in order, under its feed id: a replay (a restart between adding an entry
    and storing the position) adds nothing twice. Retried until Redis takes it: the order is kept."""
    publisher = StreamPublisher(url, cfg.stream, cfg.maxlen)
    return SinkRunner(cfg.sink_name, db, lambda m: publisher.publish(m["id"], m), lambda _m: True,
                      pause_s=pause_s, on_close=publisher.close)


def start_sinks(settings: Settings, db: Database) -> list[SinkRunner]:
    runners = []
    media = MediaStore(settings.storage.resolved_media_dir)
    if settings.sinks.mqtt is not None:
        runners.append(mqtt_runner(settings.sinks.mqtt, db, media))
    runners += [webhook_runner(w, db) for w in settings.sinks.webhooks]
    try:
        stream_url = settings.sinks.stream_redis_url(settings.storage.redis_url)
    except ValueError as exc:  # the configuration's check refuses this before; never start half-configured
        log.error("sink redis_stream not started: %s", exc)
        stream_url = None
    if stream_url is not None:
        runners.append(redis_stream_runner(settings.sinks.redis_stream, db, stream_url))
    for r in runners:
        r.start()
        log.info("sink %s started", r.sink)
    return runners
