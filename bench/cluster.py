"""Several worker "machines" on this one: each `urbanwatch worker` runs in its own network
namespace, joined to this machine by a veth link, and reaches PostgreSQL, Redis and the RTSP test
cameras only across that link (through bench.forward, one relay on each side). Cutting the link
(`Host.cut`) is a network partition; killing a host's process group is a machine that died.

Used by tests/test_failover.py and bench/chaos.py. Needs root (ip netns). Traffic stays on
127.0.0.0/8 and the 10.231.0.0/16 links it makes.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import yaml
from sqlalchemy import create_engine, text

from .rtsp import ROOT, free_port

PYTHON = sys.executable
URBANWATCH = str(Path(sys.executable).with_name("urbanwatch"))


def _ip(*args: str, ns: str | None = None) -> None:
    cmd = (["ip", "netns", "exec", ns] if ns else []) + ["ip", *args]
    subprocess.run(cmd, check=True, capture_output=True, timeout=20)


def netns_available() -> str | None:
    """None when network namespaces can be made here, else why not."""
    name = f"uwprobe{random.randrange(10**6)}"
    r = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if r.returncode != 0:
        return f"ip netns add failed: {r.stderr.strip() or r.returncode}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


DIRECT = (5432, 6379)  # PostgreSQL and Redis: reached across the link by the worker's own connections


class Host:
    """A network namespace with a veth link to this machine. PostgreSQL and Redis (`DIRECT` ports)
    are reached at this machine's end of the link, by the worker's own TCP connections, so that a cut
    link is to them what a partition is (no relay inside answers in their place); other `ports`
    (the RTSP cameras) at the same 127.0.0.1 ports inside, relayed."""

    def __init__(self, index: int, ports: list[int], logdir: Path):
        tag = f"{random.randrange(36**4):04x}"
        self.index, self.ports, self.logdir = index, ports, logdir
        self.ns = f"uw{index}-{tag}"
        self.host_if, self.ns_if = f"uwh{index}{tag}"[:15], f"uwn{index}{tag}"[:15]
        net = random.randrange(1, 250)
        self.gw, self.addr = f"10.231.{net}.1", f"10.231.{net}.2"
        self.relays: list[subprocess.Popen] = []
        self.process: subprocess.Popen | None = None
        self.log_path: Path | None = None
        self.worker_env: dict[str, str] = {}

    def up(self) -> None:
        _ip("netns", "add", self.ns)
        _ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if)
        _ip("link", "set", self.ns_if, "netns", self.ns)
        _ip("addr", "add", f"{self.gw}/24", "dev", self.host_if)
        _ip("link", "set", self.host_if, "up")
        _ip("addr", "add", f"{self.addr}/24", "dev", self.ns_if, ns=self.ns)
        _ip("link", "set", self.ns_if, "up", ns=self.ns)
        _ip("link", "set", "lo", "up", ns=self.ns)
        self.outside = {p: free_port() for p in self.ports}
        self._relay([f"{self.gw}:{self.outside[p]}=127.0.0.1:{p}" for p in self.ports], None)
        inside = [p for p in self.ports if p not in DIRECT]
        if inside:
            self._relay([f"127.0.0.1:{p}={self.gw}:{self.outside[p]}" for p in inside], self.ns)

    def env(self, database_url: str, redis_url: str | None = None) -> dict[str, str]:
        """The worker's database and Redis URLs as seen from inside: this machine's end of the link."""
        def across(url: str, port: int) -> str:
            return url.replace(f"127.0.0.1:{port}", f"{self.gw}:{self.outside[port]}")

        env = {"URBANWATCH_DATABASE_URL": across(database_url, 5432), "URBANWATCH_LOG_FORMAT": "json"}
        if redis_url:
            env["URBANWATCH_REDIS_URL"] = across(redis_url, 6379)
        return env

    def _relay(self, specs: list[str], ns: str | None) -> None:
        cmd = (["ip", "netns", "exec", ns] if ns else []) + [PYTHON, "-m", "bench.forward", *specs]
        p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        if p.stdout.readline().strip() != "READY":
            raise RuntimeError(f"relay did not start: {specs}")
        self.relays.append(p)

    def start(self, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        """Runs `argv` inside, in its own process group (a kill takes the whole "machine")."""
        self.log_path = self.logdir / f"host{self.index}-{int(time.time() * 1000)}.log"
        log = open(self.log_path, "w")  # noqa: SIM115 - kept open for the process's life
        self.process = subprocess.Popen(["ip", "netns", "exec", self.ns, *argv], cwd=ROOT, env={**os.environ, **env},
                                        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self.process

    def kill(self) -> None:
        """The machine dies: every process of it, at once, nothing handed over."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self, timeout: float = 30) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def cut(self) -> None:
        _ip("link", "set", self.host_if, "down")

    def heal(self) -> None:
        _ip("link", "set", self.host_if, "up")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def down(self) -> None:
        self.kill()
        for r in self.relays:
            r.kill()
            r.wait(5)
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True)


def write_config(path: Path, data_dir: Path, database_url: str, redis_url: str | None, model: Path,
                 cameras: list[dict]) -> Path:
    """One configuration for every host: services are at the same 127.0.0.1 ports everywhere."""
    cfg = {
        "storage": {"data_dir": str(data_dir), "database_url": database_url, "redis_url": redis_url},
        "detector": {"model": str(model), "imgsz": 320},
        "workers": {"processes": 1, "leases": True},
        "evidence": {"clips": False},
        "cameras": cameras,
    }
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True))
    return path


def worker_argv(config: Path) -> list[str]:
    return [URBANWATCH, "worker", "-c", str(config), "--log-format", "json"]


def log_lines(text: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


PG_ADMIN_URL = os.environ.get("URBANWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def fresh_database(prefix: str, admin_url: str = PG_ADMIN_URL):
    """A new, empty PostgreSQL database (its URL), dropped afterwards even with clients still on it."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def iou(a, b) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def duplicates(events) -> list[tuple[int, int]]:
    """Two incidents for one object: same camera and zone, boxes overlapping, both open at once."""
    dup = []
    for i, a in enumerate(events):
        for b in events[i + 1:]:
            if (a.camera_id, a.zone_name) != (b.camera_id, b.zone_name) or iou(a.bbox, b.bbox) < 0.5:
                continue
            if a.ended_at is None or a.ended_at > b.raised_at:
                dup.append((a.id, b.id))
    return dup
