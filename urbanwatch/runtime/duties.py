"""Duties that must run once in the whole system, whichever API servers run: the outgoing sinks
(MQTT, webhooks, the Redis Stream) and the retention purge. On PostgreSQL one API server holds a
session-level advisory lock on a connection of its own and runs them; when it dies its connection
closes, the lock is free, and another server takes the duties within `retry_s`. On SQLite (one
machine) the one service runs them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import create_engine, text

from ..config import Settings

log = logging.getLogger(__name__)

DUTY_LOCK_KEY = 0x75726264  # "urbd", beside the feed's own lock key


class Duties(threading.Thread):
    def __init__(self, settings: Settings, start: Callable[[], list], retry_s: float = 5.0):
        """`start` starts the duties and returns objects with a `stop()`."""
        super().__init__(name="duties", daemon=True)
        self.url = settings.storage.resolved_database_url
        self.start_duties, self.retry_s = start, retry_s
        self._halt = threading.Event()
        self.running: list = []
        self.holder = False

    def run(self) -> None:
        if not self.url.startswith("postgresql"):
            self.running, self.holder = self.start_duties(), True
            self._halt.wait()
            return
        engine = create_engine(self.url, pool_pre_ping=True)
        while not self._halt.is_set():
            try:
                with engine.connect() as conn:
                    if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": DUTY_LOCK_KEY}).scalar():
                        conn.rollback()
                        self._halt.wait(self.retry_s)
                        continue
                    conn.commit()
                    log.info("this server runs the system's duties (sinks, retention)")
                    self.running, self.holder = self.start_duties(), True
                    while not self._halt.wait(self.retry_s):  # the lock lives as long as this connection
                        conn.execute(text("SELECT 1"))
                        conn.commit()
            except Exception as exc:  # noqa: BLE001 - a lost connection: the lock is lost with it
                log.warning("duties: connection to the database lost (%s)", str(exc).splitlines()[0])
            finally:
                self._stop_duties()
            self._halt.wait(self.retry_s)
        engine.dispose()

    def _stop_duties(self) -> None:
        for d in self.running:
            try:
                d.stop()
            except Exception:  # noqa: BLE001
                log.exception("duties: could not stop %r", d)
        self.running, self.holder = [], False

    def stop(self, timeout: float = 15.0) -> None:
        self._halt.set()
        self.join(timeout)
        self._stop_duties()
