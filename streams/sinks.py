"""The event stream out to other systems: an MQTT broker and webhooks. Transports only: each send
either succeeds or raises, and the caller (urbanwatch.runtime.sinks) keeps the place in the feed."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading

import httpx

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """Not delivered this time; worth trying again."""


class MqttPublisher:
    """One connection to the broker, kept up by paho's own thread. Availability is retained on
    PREFIX/availability: "online" on connect, "offline" on a clean stop or, by the broker's last
    will, when the connection is lost."""

    def __init__(self, host: str, port: int, prefix: str, username: str | None = None, password: str | None = None,
                 client_id: str | None = None):
        import paho.mqtt.client as mqtt

        self.prefix = prefix
        self.availability = f"{prefix}/availability"
        self._connected = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or "")
        if username:
            self.client.username_pw_set(username, password)
        self.client.will_set(self.availability, "offline", qos=1, retain=True)
        self.client.reconnect_delay_set(1, 30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *_a, **_k: self._connected.clear()
        self.client.connect_async(host, port, keepalive=30)
        self.client.loop_start()

    def _on_connect(self, client, _userdata, _flags, reason_code, _properties=None) -> None:
        if reason_code.is_failure:
            log.warning("MQTT broker refused the connection: %s", reason_code)
            return
        client.publish(self.availability, "online", qos=1, retain=True)
        self._connected.set()

    def publish(self, topic: str, payload: bytes | str, *, retain: bool = False, timeout_s: float = 10.0) -> None:
        if not self._connected.wait(timeout_s):
            raise DeliveryError("not connected to the MQTT broker")
        info = self.client.publish(f"{self.prefix}/{topic}", payload, qos=1, retain=retain)
        info.wait_for_publish(timeout_s)
        if not info.is_published():
            raise DeliveryError(f"the broker did not acknowledge {topic}")

    def close(self) -> None:
        if self._connected.is_set():
            self.client.publish(self.availability, "offline", qos=1, retain=True).wait_for_publish(5)
        self.client.disconnect()
        self.client.loop_stop()


def signature(secret: str, body: bytes) -> str:
    """The X-Urbanwatch-Signature header: what a receiver recomputes to trust the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookPoster:
    def __init__(self, url: str, secret: str, timeout_s: float = 10.0):
        self.url, self.secret = url, secret
        self.client = httpx.Client(timeout=timeout_s)

    def post(self, message: dict, delivery: str) -> None:
        body = json.dumps(message, ensure_ascii=False).encode()
        try:
            r = self.client.post(self.url, content=body, headers={
                "Content-Type": "application/json",
                "X-Urbanwatch-Signature": signature(self.secret, body),
                "X-Urbanwatch-Delivery": delivery,  # the same on every retry: receivers can drop repeats
            })
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
        if not 200 <= r.status_code < 300:
            raise DeliveryError(f"HTTP {r.status_code}")

    def close(self) -> None:
        self.client.close()
