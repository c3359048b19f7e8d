"""Cost per frame of the static-object stage at 640x360, against the detector on the same frames.

    .venv/bin/python -m bench.static_cost [--frames 200]

Frames are real street footage scaled to 640x360 (what a camera substream sends). Both stages run
in this process on the same frames; the ratio says what the static stage adds to detection.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from rich.console import Console
from rich.progress import track
from rich.table import Table

from streams.video_file import sample_frames
from vision.detector import YoloDetector
from vision.static_objects import StaticObjectDetector

from .rtsp import SHARED

CLIPS = ["data/clips/street/saigon_red_light_queue.mp4", "data/clips/dumping/backpack_corridor.mp4"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--model", default=str(SHARED / "models/yolov8n_coco.pt"))
    args = ap.parse_args()
    frames = []
    for clip in CLIPS:
        for t, _, img in sample_frames(str(SHARED / clip), 5.0, size=(640, 360)):
            frames.append((t, img))
    frames = (frames * (1 + args.frames // len(frames)))[: args.frames]
    static = StaticObjectDetector()
    detector = YoloDetector(args.model, 640)
    detector.warmup(360, 640)
    static_ms, detect_ms = [], []
    t_video = 0.0
    for _, img in track(frames, description="timing"):
        t_video += 0.5
        t0 = time.perf_counter()
        static.update(img, t_video)
        static_ms.append(1000 * (time.perf_counter() - t0))
        t0 = time.perf_counter()
        detector.detect([img])
        detect_ms.append(1000 * (time.perf_counter() - t0))
    table = Table(title=f"{len(frames)} frames 640x360, this machine")
    for col in ("stage", "median ms/frame", "p95 ms/frame", "÷ detector"):
        table.add_column(col, justify="right")
    d_med = statistics.median(detect_ms)
    for name, ms in (("static-object stage", static_ms), (f"detector ({args.model.split('/')[-1]}, 640)", detect_ms)):
        med = statistics.median(ms)
        table.add_row(name, f"{med:.2f}", f"{np.percentile(ms, 95):.2f}", f"{med / d_med:.3f}")
    Console().print(table)


if __name__ == "__main__":
    main()
