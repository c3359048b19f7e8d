"""Events out to other systems on real parts: the Mosquitto broker on 127.0.0.1:1883 and a real
HTTP receiver that checks the signature. Every event arrives once, in order, also after the sink
was stopped and started again meanwhile, or the receiver answered 500 for a while."""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import paho.mqtt.client as mqtt
import pytest

from models.cameras import record_status_change
from models.media import MediaStore
from models.sinks import failures
from streams.sinks import signature
from urbanwatch.config.sinks import MqttSink, WebhookSink
from urbanwatch.runtime.sinks import mqtt_runner, webhook_runner

from .conftest import free_port, need
from .helpers import T0, add_camera, add_event
from .test_camera_ingest import wait_for as camera_wait_for


def wait_for(pred, timeout=15.0):
    return camera_wait_for(pred, timeout, step=0.05)


class Subscriber:
    """A real MQTT client on the broker, keeping what it hears under a topic prefix."""

    def __init__(self, prefix: str):
        self.messages: list[tuple[str, bytes, bool]] = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        self.client.on_message = lambda _c, _u, msg: self.messages.append((msg.topic, msg.payload, msg.retain))
        try:
            self.client.connect("127.0.0.1", 1883)
        except OSError as exc:
            need(False, f"no MQTT broker at 127.0.0.1:1883: {exc}")
        self.client.subscribe(f"{prefix}/#", qos=1)
        self.client.loop_start()
        time.sleep(0.3)

    def on(self, topic: str) -> list[bytes]:
        return [p for t, p, _ in self.messages if t == topic]

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


def test_mqtt_gets_every_event_also_after_the_sink_was_down(db, tmp_path):
    prefix = f"uwtest/{uuid.uuid4().hex[:8]}"
    sub = Subscriber(prefix)
    zone = add_camera(db)
    media = MediaStore(tmp_path / "media")
    media.write("events/x/0-clean.jpg", b"\xff\xd8 a real picture would be here \xff\xd9")
    cfg = MqttSink(host="127.0.0.1", topic_prefix=prefix)

    def event_ids() -> list[int]:
        return [json.loads(p)["event_id"] for p in sub.on(f"{prefix}/events") if json.loads(p)["type"] == "event.new"]

    try:
        sink = mqtt_runner(cfg, db, media)
        sink.start()
        assert wait_for(lambda: sub.on(f"{prefix}/availability")[-1:] == [b"online"])
        first = [add_event(db, zone_id=zone, minutes=i) for i in range(3)]
        with db.write() as s:
            record_status_change(s, "cam1", "offline", T0)
        assert wait_for(lambda: event_ids() == first)
        assert wait_for(lambda: sub.on(f"{prefix}/cam1/encroachment/snapshot"))
        assert sub.on(f"{prefix}/cam1/encroachment/snapshot")[0].startswith(b"\xff\xd8")
        assert wait_for(lambda: sub.on(f"{prefix}/cameras/cam1/status"))
        assert json.loads(sub.on(f"{prefix}/cameras/cam1/status")[-1])["state"] == "offline"
        sink.stop()
        assert wait_for(lambda: sub.on(f"{prefix}/availability")[-1:] == [b"offline"])
        missed = [add_event(db, zone_id=zone, minutes=i) for i in range(3, 6)]  # the sink is down
        time.sleep(0.5)
        assert event_ids() == first
        again = mqtt_runner(cfg, db, media)
        again.start()
        assert wait_for(lambda: len(event_ids()) >= 6)
        time.sleep(0.5)
        assert event_ids() == first + missed  # each once, in order
        again.stop()
    finally:
        sub.close()


class Receiver:
    """A case-management system's endpoint: checks the signature, and fails the first few posts."""

    def __init__(self, secret: str, fail_first: int = 0, always_fail: bool = False):
        self.accepted: list[tuple[str, dict]] = []
        self.bad_signatures = 0
        self.failures_left = fail_first
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers["X-Urbanwatch-Signature"] != signature(secret, body):
                    outer.bad_signatures += 1
                    self.send_response(401)
                elif always_fail or outer.failures_left > 0:
                    outer.failures_left -= 1
                    self.send_response(500)
                else:
                    outer.accepted.append((self.headers["X-Urbanwatch-Delivery"], json.loads(body)))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *_):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/urbanwatch"

    def close(self):
        self.server.shutdown()


def test_webhook_gets_every_wanted_event_once_through_a_bad_spell(db):
    secret = "a-shared-secret-of-the-office"
    zone = add_camera(db, "cam1", "Bến Thành")
    other = add_camera(db, "cam2", "Bàn Cờ", name="Võ Văn Tần")
    receiver = Receiver(secret, fail_first=5)
    hook = WebhookSink(name="cases", url=receiver.url, secret=secret, types=["encroachment"],
                       areas=["Quận 1 (cũ)"])
    sink = webhook_runner(hook, db, pause_s=(0.05, 0.2))
    sink.start()
    try:
        time.sleep(0.3)  # a new sink starts at the end of the feed
        wanted = [add_event(db, camera_id="cam1", zone_id=zone, minutes=i) for i in range(4)]
        add_event(db, camera_id="cam1", zone_id=zone, minutes=5, type="dumping")  # not a wanted type
        add_event(db, camera_id="cam2", zone_id=other, minutes=6)  # Bàn Cờ: not in the group
        assert wait_for(lambda: len(receiver.accepted) >= 4)
        time.sleep(0.5)
        assert [m["event_id"] for _, m in receiver.accepted] == wanted  # once each, in order, after 5 errors
        assert [d for d, _ in receiver.accepted] == [str(m["id"]) for _, m in receiver.accepted]
        assert receiver.bad_signatures == 0 and receiver.failures_left <= 0
    finally:
        sink.stop()
        receiver.close()


def test_a_webhook_that_never_answers_leaves_dead_letters(db):
    secret = "another-shared-secret-here"
    zone = add_camera(db)
    receiver = Receiver(secret, always_fail=True)
    sink = webhook_runner(WebhookSink(name="broken", url=receiver.url, secret=secret, max_attempts=3), db,
                          pause_s=(0.01, 0.05))
    sink.start()
    try:
        time.sleep(0.3)
        ids = [add_event(db, zone_id=zone, minutes=i) for i in range(2)]
        def dead_letters():
            with db.session() as s:
                return failures(s)

        assert wait_for(lambda: len(dead_letters()) >= 2)
        dead = dead_letters()
        assert sorted(f["feed_id"] for f in dead) == ids and {f["attempts"] for f in dead} == {3}
        assert all(f["sink"] == "webhook:broken" and f["error"] == "HTTP 500" for f in dead)
    finally:
        sink.stop()
        receiver.close()


def test_sinks_are_checked_like_the_rest_of_the_configuration():
    from pathlib import Path

    from urbanwatch.config import ConfigError, parse_config

    with pytest.raises(ConfigError) as exc:
        parse_config({"sinks": {"mqtt": {"host": "127.0.0.1", "topic_prefix": "city/#"},
                                "webhooks": [{"name": "a", "url": "ftp://x", "secret": "short"}]}}, Path("."), {})
    text = "\n".join(exc.value.errors)
    assert "sinks.mqtt.topic_prefix: letters, digits" in text and "sinks.webhooks[0].url: must be an http" in text
    assert "sinks.webhooks[0].secret: String should have at least 16 characters" in text
    with pytest.raises(ConfigError) as exc:
        parse_config({"sinks": {"webhooks": [{"name": "b", "url": "https://x", "secret": "s" * 16,
                                              "areas": ["Quận 99"]}]}}, Path("."), {})
    assert exc.value.errors == ["sinks.webhooks[0].areas: Quận 99 is not a ward, commune or group"]
