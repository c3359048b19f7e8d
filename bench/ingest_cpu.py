"""CPU cost of one camera's ingest at 640x360, measured against a bare decode of the same stream.

    .venv/bin/python -m bench.ingest_cpu [--seconds 20]

Each reader runs alone in its own process against the same live RTSP camera; its CPU time
(user + system) over the wall time is its share of one core:
  bare PyAV   demux + decode every frame, nothing else (the floor for any H.264 reader)
  OpenCV      cv2.VideoCapture.read() of every frame (what most projects do)
  urbanwatch  streams.CameraSource: decode every frame, convert the newest to BGR at 2 fps
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from .rtsp import SHARED, CameraServer, scaled_copy

CLIP = SHARED / "data/clips/street/saigon_red_light_queue.mp4"


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def bare_pyav(url: str, seconds: float, out) -> None:
    import av

    c = av.open(url, options={"rtsp_transport": "tcp"}, timeout=(10, 5))
    s = c.streams.video[0]
    frames, t0, c0 = -30, None, 0.0  # measure from the 30th frame, after the start-up burst
    for packet in c.demux(s):
        for _ in packet.decode():
            frames += 1
            if frames == 0:
                t0, c0 = time.time(), _cpu()
        if t0 is not None and time.time() - t0 >= seconds:
            break
    out.put((_cpu() - c0, time.time() - t0, frames))


def opencv(url: str, seconds: float, out) -> None:
    import cv2

    cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG)
    frames, t0, c0 = -30, None, 0.0
    while True:
        ok, _ = cap.read()
        if not ok:
            break
        frames += 1
        if frames == 0:
            t0, c0 = time.time(), _cpu()
        if t0 is not None and time.time() - t0 >= seconds:
            break
    out.put((_cpu() - c0, time.time() - t0, frames))


def urbanwatch_source(url: str, seconds: float, out) -> None:
    from streams.camera import CameraSource

    src = CameraSource("bench", url).start()
    frame = src.latest(wait_s=15)
    time.sleep(1.0)  # past the start-up burst
    t0, c0, n0 = time.time(), _cpu(), src.health().frames_in
    seq = frame.seq
    while time.time() - t0 < seconds:
        f = src.latest(after_seq=seq, wait_s=1)
        if f is not None:
            seq = f.seq
            src.mark_processed()
        time.sleep(0.5)  # detect fps 2
    cpu, wall = _cpu() - c0, time.time() - t0
    frames = src.health().frames_in - n0
    src.stop()
    out.put((cpu, wall, frames))


def measure(fn, url: str, seconds: float) -> tuple[float, float, int]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=fn, args=(url, seconds, q))
    p.start()
    result = q.get(timeout=seconds + 60)
    p.join(10)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=20.0, help="measuring time per reader")
    args = ap.parse_args()
    console = Console()
    readers = [
        ("bare PyAV decode", bare_pyav),
        ("OpenCV read()", opencv),
        ("urbanwatch CameraSource", urbanwatch_source),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clip = scaled_copy(CLIP, tmp / "street_640x360.mp4", 640, 360)
        results = {}
        with CameraServer(tmp, {"street": clip}) as server, Progress(console=console) as progress:
            task = progress.add_task("measuring readers", total=len(readers))
            for name, fn in readers:
                progress.update(task, description=f"measuring {name}")
                results[name] = measure(fn, server.url("street"), args.seconds)
                progress.advance(task)
    table = Table(title=f"one camera, 640x360 H.264, {args.seconds:g} s per reader, {mp.cpu_count()} cores")
    for col in ("reader", "fps decoded", "CPU % of one core", "÷ bare PyAV"):
        table.add_column(col, justify="right")
    base = results["bare PyAV decode"]
    base_share = base[0] / base[1]
    for name, (cpu, wall, frames) in results.items():
        share = cpu / wall
        table.add_row(name, f"{frames / wall:.1f}", f"{100 * share:.1f}", f"{share / base_share:.2f}")
    console.print(table)


if __name__ == "__main__":
    main()
