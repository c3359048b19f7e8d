"""Hard-negative memory, measured: replay a clip, dismiss the first pass's false alerts as false
detections, replay with what that taught the camera; false alerts should drop, true ones stay.

    .venv/bin/python -m bench.hard_negatives [--fps 2] [GT.json ...]

The shared clips' own zones raise no false alert with the default model (tests/eval_floor.json:
the negatives are silent), so by default a case is made where they would: a sidewalk zone drawn
over the roadway of saigon_red_light_queue.mp4 (an operator's zone drawn too wide), where the
cars and motorbikes queued at the red light stand still for the whole clip. The ground truth says
they are not events; its two parked cars on the far corner are. Each given clip is replayed the
same way with its own zones (and the queue lane for that clip).

A dismissal is what the console does: the look is taken from the alert's clean snapshot (the
frame, JPEG-encoded and decoded as the worker stores it), under the violation's box.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from urbanwatch.config import parse_config
from urbanwatch.evaluation.ground_truth import GroundTruth, GtZone, load_ground_truth
from urbanwatch.evaluation.runner import make_detector, run_clip
from vision.hard_negatives import HardNegatives, Suppression, signature
from vision.violations import Violation

from .rtsp import SHARED

QUEUE_CLIP = "data/clips/street/saigon_red_light_queue.mp4.gt.json"
# the roadway before the stop line, camera pixels of the 1018x720 clip: the SUV, the taxi and the
# motorbikes queued at the red light stand here for the whole clip
QUEUE_LANE = GtZone(name="queue_lane", kind="sidewalk", polygon=[(380, 330), (900, 330), (900, 560), (380, 560)])


@dataclass
class Replay:
    clip: str
    true_before: int
    false_before: int
    true_after: int
    false_after: int
    suppressions: int
    hits: int

    @property
    def false_drop(self) -> float:
        return 1.0 if self.false_before == 0 else 1 - self.false_after / self.false_before


def with_queue_lane(gt: GroundTruth) -> GroundTruth:
    """The clip's ground truth with the queue lane added (its events unchanged: nothing there is one)."""
    out = gt.model_copy(update={"zones": [*gt.zones, QUEUE_LANE]})
    out._camera_id, out._given = gt._camera_id, gt._given
    return out


def snapshot(image: np.ndarray) -> np.ndarray:
    """The clean snapshot as stored (JPEG, the recorder's default quality)."""
    return cv2.imdecode(cv2.imencode(".jpg", image)[1], cv2.IMREAD_COLOR)


def replay(gt: GroundTruth, base, detector, fps: float = 2.0) -> Replay:
    raised: list[tuple[Violation, np.ndarray]] = []
    first = run_clip(gt, base, detector, fps, on_raised=lambda v, image: raised.append((v, snapshot(image))))
    matched = {m["alert"] for m in first.score.matches}
    memory = HardNegatives()
    dismissed = []
    for i, (v, image) in enumerate(raised):
        if i in matched:
            continue  # a true alert: confirmed
        look = signature(image, v.bbox)
        if look is not None:
            dismissed.append(Suppression(len(dismissed) + 1, v.zone, v.category, v.bbox, look))
    memory.set(dismissed)
    second = run_clip(gt, base, detector, fps, memory=memory)
    hits = sum(count for count, _ in memory.take_hits().values())
    return Replay(gt.clip, first.score.tp, first.score.fp, second.score.tp, second.score.fp, len(dismissed), hits)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("gt", nargs="*", help="ground-truth files (default: the queue-lane case)")
    ap.add_argument("--fps", type=float, default=2.0)
    ap.add_argument("--model", default=str(SHARED / "models/yolov8n_coco.pt"))
    args = ap.parse_args()
    files = args.gt or [str(SHARED / QUEUE_CLIP)]
    base = parse_config({"detector": {"model": args.model}}, Path.cwd())
    gts = [load_ground_truth(f) for f in files]
    gts = [with_queue_lane(g) if g.clip == Path(QUEUE_CLIP).name.removesuffix(".gt.json") else g for g in gts]
    detector = make_detector(base, gts, args.fps)
    rows = [replay(g, base, detector, args.fps) for g in gts]
    print(f"{'clip':40} {'true':>9} {'false':>9} {'dismissed':>9} {'held':>5}")
    for r in rows:
        print(f"{r.clip:40} {r.true_before:>4} → {r.true_after:<2} {r.false_before:>4} → {r.false_after:<2} "
              f"{r.suppressions:>9} {r.hits:>5}")
    fb, fa = sum(r.false_before for r in rows), sum(r.false_after for r in rows)
    tb, ta = sum(r.true_before for r in rows), sum(r.true_after for r in rows)
    drop = 1.0 if fb == 0 else 1 - fa / fb
    print(f"false alerts {fb} → {fa} ({drop:.0%} fewer); true alerts {tb} → {ta}")


if __name__ == "__main__":
    main()
