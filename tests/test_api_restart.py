"""Two `urbanwatch api` servers on one PostgreSQL database and one Redis, events flowing in from a
writer (as workers write them): a console on the first server, which is stopped and started again
while events keep coming, reconnects (to the other server meanwhile) with the id of the last
message it got, and ends with every event once, in feed order."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import yaml
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import connect

from models import Database
from models.events import create_event
from models.schema import FeedEntry

from .conftest import ROOT, empty_pg_database, free_port
from .helpers import add_camera, bearer, new_event

N_EVENTS = 80


def _start_api(config, port: int, log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "urbanwatch", "api", "-c", str(config)], cwd=ROOT,
                            env={**os.environ, "URBANWATCH_PORT": str(port)}, stdout=log, stderr=subprocess.STDOUT)


def _ready(port: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"API on {port} did not start")


def test_a_console_misses_nothing_while_an_api_server_restarts(tmp_path):
    with empty_pg_database("urbanwatch_apis") as url:
        config = tmp_path / "config.yaml"
        config.write_text(yaml.safe_dump({"storage": {"data_dir": str(tmp_path / "data"), "database_url": url,
                                                      "redis_url": "redis://127.0.0.1:6379/0"}}))
        subprocess.run([sys.executable, "-m", "urbanwatch", "users", "add", "chief", "--role", "admin",
                        "--city-wide", "--password-stdin", "-c", str(config)], input="correct horse battery\n",
                       text=True, check=True, capture_output=True, cwd=ROOT)
        token = subprocess.run([sys.executable, "-m", "urbanwatch", "users", "token", "chief", "-c", str(config)],
                               text=True, check=True, capture_output=True, cwd=ROOT).stdout.split()[-1]
        db = Database(url)
        add_camera(db)
        ports = [free_port(), free_port()]
        log = open(tmp_path / "api.log", "w")  # noqa: SIM115
        apis = [_start_api(config, p, log) for p in ports]
        try:
            for p in ports:
                _ready(p)
            done = threading.Event()

            def writer():
                for i in range(N_EVENTS):
                    with db.write() as s:
                        create_event(s, new_event(minutes=i))
                    time.sleep(0.05)
                done.set()

            received: list[int] = []
            last, restarted, turn = 0, False, 0
            w = threading.Thread(target=writer)
            w.start()
            while len(received) < N_EVENTS:
                port = ports[turn % 2] if apis[0].poll() is None else ports[1]
                turn += 1
                try:
                    with connect(f"ws://127.0.0.1:{port}/ws/events?since={last}",
                                 additional_headers=bearer(token), open_timeout=5) as ws:
                        while len(received) < N_EVENTS:
                            msg = json.loads(ws.recv(timeout=10))
                            if msg.get("type") != "event.new":
                                continue
                            received.append(msg["id"])
                            last = msg["id"]
                            if len(received) == 20 and not restarted:  # the first server goes away mid-flow
                                restarted = True
                                apis[0].send_signal(signal.SIGTERM)
                                apis[0].wait(30)
                                apis[0] = _start_api(config, ports[0], log)
                                break
                except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake):  # a server gone: reconnect
                    time.sleep(0.2)
            w.join()
            _ready(ports[0])
            with db.session() as s:
                ids = [e.id for e in s.query(FeedEntry).filter(FeedEntry.type == "event.new").order_by(FeedEntry.id)]
            assert restarted
            assert received == ids  # every event once, in feed order
        finally:
            for p in apis:
                p.terminate()
                p.wait(30)
            log.close()
            db.dispose()
