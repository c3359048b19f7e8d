"""Memory and disk per camera for incident clips, at 640x360, against the stream's own bitrate.

    .venv/bin/python -m bench.clip_cost [--pre-roll 30] [--post-roll 30]

A real RTSP camera serves street footage at 640x360 H.264. The camera reader keeps `pre-roll`
seconds of packets (what a camera needs when its zones alert at once; a zone's dwell or
unattended time is added to that in service), then one clip of pre-roll + post-roll is written.
Figures: the buffer's bytes, the clip's bytes, and both as a ratio of what the camera sent.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from streams.camera import CameraSource

from .rtsp import SHARED, CameraServer, scaled_copy

CLIP = SHARED / "data/clips/street/saigon_red_light_queue.mp4"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pre-roll", type=float, default=30.0)
    ap.add_argument("--post-roll", type=float, default=30.0)
    args = ap.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clip = scaled_copy(CLIP, tmp / "street_640x360.mp4", 640, 360)
        with CameraServer(tmp, {"street": clip}) as server, Progress(console=console) as progress:
            src = CameraSource("bench", server.url("street"), keep_s=args.pre_roll).start()
            src.latest(wait_s=15)
            fill = progress.add_task("filling the pre-roll buffer", total=args.pre_roll + 5)
            start = time.time()
            while (elapsed := time.time() - start) < args.pre_roll + 5:
                progress.update(fill, completed=elapsed)
                time.sleep(0.5)
            ring_bytes, ring_s = src.ring.nbytes, src.ring.seconds
            now = time.time()
            out = tmp / "clip.mp4"
            src.record("bench", out, now - args.pre_roll, now + args.post_roll)
            write = progress.add_task("writing a clip", total=args.post_roll)
            result = None
            while result is None:
                progress.update(write, completed=min(args.post_roll, time.time() - now))
                done = src.finished_clips()
                result = done[0] if done else None
                time.sleep(0.5)
            src.stop()
            clip_bytes = os.path.getsize(out)
    bitrate = ring_bytes / ring_s  # bytes per second the camera sent
    table = Table(title=f"one camera, 640x360 H.264 at {8 * bitrate / 1e6:.2f} Mbit/s")
    for col in ("what", "MB", "seconds of video", "÷ stream bytes for that time"):
        table.add_column(col, justify="right")
    ring_ratio = ring_bytes / (bitrate * ring_s)
    table.add_row("memory: pre-roll buffer", f"{ring_bytes / 1e6:.2f}", f"{ring_s:.1f}", f"{ring_ratio:.2f}")
    length = result.end_t - result.start_t
    table.add_row("disk: incident clip (remuxed MP4)", f"{clip_bytes / 1e6:.2f}", f"{length:.1f}",
                  f"{clip_bytes / (bitrate * length):.2f}")
    console.print(table)
    console.print(f"process peak RSS {rss_mb():.0f} MB (reader, decoder and buffer of one camera)")


if __name__ == "__main__":
    main()
