"""The longer reliability runs, too slow for CI: a camera stopped and started many times, and the
API fuzzed with many more requests per route.

    .venv/bin/python -m bench.reliability [--cycles 20] [--examples 300]

Cameras: a real RTSP test camera serving a street clip is stopped and started `--cycles` times
(outages of 2 s to 20 s); for each return, the seconds until the reader is online again, with the
port probe and, in the same run, without it (the backoff alone), and their ratio.
API: every route of the OpenAPI spec gets `--examples` generated requests on SQLite; server errors
and undocumented statuses are counted (both should be 0).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import track
from rich.table import Table

from streams import camera as camera_module
from streams.camera import CameraSource
from streams.health import CameraState

from .rtsp import SHARED, CameraServer

CLIP = SHARED / "data/clips/street/vn_cars_parked_at_curb.mp4"
OUTAGES_S = (2, 5, 10, 20)


def _wait(pred, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def camera_returns(cycles: int, probe: bool) -> list[float]:
    """Seconds from each camera restart to the reader being online again."""
    saved = camera_module.accepts
    if not probe:  # the backoff alone: the port never seems to answer until the reader tries
        camera_module.accepts = lambda *_a, **_k: False
    server = CameraServer(Path(tempfile.mkdtemp(prefix="uw-bench-")), {"curb": CLIP})
    server.start()
    src = CameraSource("c", server.url("curb"), read_timeout_s=2, open_timeout_s=2, offline_after_s=2).start()
    times = []
    try:
        for i in track(range(cycles), description=f"camera outages ({'probe' if probe else 'backoff only'})"):
            if not _wait(lambda: src.health().state == CameraState.ONLINE, 60):
                raise RuntimeError("camera never came online")
            server.stop()
            _wait(lambda: src.health().state == CameraState.OFFLINE, 15)
            time.sleep(OUTAGES_S[i % len(OUTAGES_S)])
            server.start()
            back = time.monotonic()
            if not _wait(lambda: src.health().state == CameraState.ONLINE, 60):
                raise RuntimeError("camera did not come back within 60 s")
            times.append(time.monotonic() - back)
    finally:
        src.stop()
        server.stop()
        camera_module.accepts = saved
    return times


def fuzz(examples: int) -> tuple[int, int, float]:
    from api.app import create_app
    from models import Database
    from tests.helpers import add_camera, add_event, add_user, bearer
    from tests.reliability.test_api_fuzz import server_errors
    from urbanwatch.config import parse_config

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'fuzz.db'}"
        db = Database(url)
        db.upgrade()
        zone = add_camera(db)
        for i in range(3):
            add_event(db, zone_id=zone, minutes=i)
        token = add_user(db, "admin", "admin", city_wide=True)
        app = create_app(parse_config({"storage": {"database_url": url, "media_dir": f"{tmp}/media"}}, Path("."), {}))
        started = time.monotonic()
        errors, undocumented = server_errors(app, bearer(token), examples)
        took = time.monotonic() - started
        app.state.db.dispose()
        db.dispose()
    return len(errors), len(undocumented), took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cycles", type=int, default=20)
    ap.add_argument("--examples", type=int, default=300)
    args = ap.parse_args()
    console = Console()
    probed = camera_returns(args.cycles, probe=True)
    plain = camera_returns(args.cycles, probe=False)
    table = Table(title=f"camera back on line after its return, {args.cycles} outages of {OUTAGES_S} s")
    for col in ("reader", "median s", "max s", "≤ 5 s"):
        table.add_column(col)
    for name, times in (("port probe", probed), ("backoff only", plain)):
        table.add_row(name, f"{statistics.median(times):.1f}", f"{max(times):.1f}",
                      f"{sum(t <= 5 for t in times)}/{len(times)}")
    console.print(table)
    console.print(f"median ratio backoff-only / probe: {statistics.median(plain) / statistics.median(probed):.1f}x")
    errors, undocumented, took = fuzz(args.examples)
    console.print(f"API fuzz, {args.examples} requests per route: {errors} server errors, "
                  f"{undocumented} undocumented statuses ({took:.0f} s)")


if __name__ == "__main__":
    main()
