"""Leave-one-clip-out: accuracy on footage the configuration was not tuned on.

    .venv/bin/python -m bench.loco [--jobs 2] [--json OUT]
    .venv/bin/python -m bench.loco --vary detector.confidence=0.2,0.3 --vary detector.recheck_s=2,3

Every variant below (or the product of the --vary options) runs on every shared clip once. Then,
for each clip, the variant with the best pooled F1 on the *other* clips is chosen (ties: the
default configuration, then the first variant) and the held-out clip is scored with it. Reported:
per held-out clip the variant chosen and its TP/FP/FN/F1; the mean of per-clip F1 (a negative clip
counts 1.0 if it raised no alert, 0.0 otherwise; a positive clip that raised nothing 0.0); the
pooled F1 of all held-out predictions; and, for comparison, the in-sample F1 of the default
configuration and of the best variant (optimistic: the same clips chose it).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from urbanwatch.config import ConfigError, parse_config
from urbanwatch.evaluation.ground_truth import load_all
from urbanwatch.evaluation.loco import Counts, leave_one_clip_out
from urbanwatch.evaluation.parallel import tasks_for
from urbanwatch.evaluation.variants import apply_variant, is_default, label, parse_vary

from .clips import run_clips
from .rtsp import SHARED

# The grid: every threshold the detection path was tuned on, one at a time, a step below and a
# step above the default (dotted Settings paths -> values). The default is always a candidate.
TUNED: dict[str, tuple[object, object]] = {
    "static_objects.threshold": (15.0, 25.0),  # colour change that counts
    "static_objects.min_area_px": (9, 25),  # smallest object
    "static_objects.split_s": (1.0, 2.5),  # put-downs this far apart are different objects
    "static_objects.lighting_ncc": (0.6, 0.9),  # texture kept: light or shadow
    "rules.encroachment.stillness": (0.1, 0.25),  # at rest, at the object's own scale
    "rules.encroachment.same_look": (0.35, 0.65),  # found again: the same object
    "rules.dumping.clear_view": (0.2, 0.5),  # hidden: not judged
    "detector.confidence": (0.2, 0.3),
}
VARIANTS: list[dict[str, object]] = [{path: v} for path, values in TUNED.items() for v in values]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("gt", nargs="*", type=Path, help="ground-truth files (default: every shared clip)")
    ap.add_argument("--vary", action="append", default=[], metavar="PATH=v1,v2,...",
                    help="replace the grid by the product of these (repeatable)")
    ap.add_argument("--model", default=str(SHARED / "models/yolov8n_coco.pt"))
    ap.add_argument("--fps", type=float, default=2.0, help="analysed frames per second of video")
    ap.add_argument("--jobs", type=int, default=1, help="clips run in this many processes")
    ap.add_argument("--json", type=Path, help="write every variant's counts and alerts per clip, and the result")
    args = ap.parse_args()
    console = Console()
    if not Path(args.model).is_file():
        raise SystemExit(f"model not found: {args.model}")
    gts = load_all(args.gt or sorted((SHARED / "data/clips").glob("*/*.gt.json")))
    try:
        base = apply_variant(parse_config({}, Path.cwd()), {"detector.model": args.model})
        variants = parse_vary(args.vary) if args.vary else [dict(v) for v in VARIANTS]
        settings = [apply_variant(base, v) for v in variants]
        default = next((i for i, v in enumerate(variants) if is_default(base, v)), None)
    except (ConfigError, ValueError) as exc:
        raise SystemExit("\n".join(getattr(exc, "errors", [str(exc)]))) from None
    if default is None:  # the default configuration is always a candidate and the comparison
        variants.append({})
        settings.append(base)
        default = len(variants) - 1

    tasks, owner = [], []
    for v, s in enumerate(settings):
        tasks += tasks_for(gts, s, args.fps)
        owner += [v] * len(gts)
    started = time.perf_counter()
    with Progress(console=console) as progress:
        results = run_clips(tasks, args.fps, args.jobs, progress, f"{len(variants)} variants x {len(gts)} clips")
    wall = time.perf_counter() - started

    table = [{} for _ in variants]  # the cache: each variant's counts on each clip, run once
    for r, v in zip(results, owner, strict=True):
        table[v][r.gt.name] = Counts(r.score.tp, r.score.fp, r.score.fn, r.gt.negative)
    loco = leave_one_clip_out(table, default)
    best = loco.best_in_sample(default)
    names = [label(v) + (" (default)" if i == default else "") for i, v in enumerate(variants)]

    t = Table(title="in sample: every variant on every clip")
    for col in ("variant", "TP", "FP", "FN", "pooled F1", "mean clip F1"):
        t.add_column(col, justify="left" if col == "variant" else "right")
    for i, counts in enumerate(table):
        c = list(counts.values())
        t.add_row(names[i], *(str(sum(getattr(x, k) for x in c)) for k in ("tp", "fp", "fn")),
                  f"{loco.in_sample[i]:.3f}", f"{sum(x.f1 for x in c) / len(c):.3f}",
                  style="bold" if i == best else None)
    console.print(t)
    t = Table(title="leave one clip out: chosen on the other clips, scored on the held-out one")
    for col in ("held-out clip", "chosen variant", "F1 on the others", "TP", "FP", "FN", "clip F1"):
        t.add_column(col, justify="left" if col in ("held-out clip", "chosen variant") else "right")
    for row in loco.rows:
        c = row.counts
        t.add_row(row.clip.removesuffix(".gt.json") + (" (negative)" if c.negative else ""), names[row.variant],
                  f"{row.train_f1:.3f}", str(c.tp), str(c.fp), str(c.fn), f"{c.f1:.2f}")
    console.print(t)
    console.print(f"held out: mean clip F1 [bold]{loco.mean_clip_f1:.3f}[/bold], pooled F1 "
                  f"[bold]{loco.pooled_f1:.3f}[/bold]\nin sample: default {loco.in_sample[default]:.3f}, "
                  f"best variant ({names[best]}) {loco.in_sample[best]:.3f}\n"
                  f"{len(tasks)} clip runs in {wall:.0f} s with {args.jobs} job(s)")
    if args.json:
        args.json.write_text(json.dumps({
            "model": args.model, "fps": args.fps, "default": default,
            "variants": [{"settings": v, "label": names[i], "in_sample_f1": round(loco.in_sample[i], 4),
                          "clips": {r.gt.name: {"tp": r.score.tp, "fp": r.score.fp, "fn": r.score.fn,
                                                "alerts": [a.to_dict() for a in r.alerts]}
                                    for r, o in zip(results, owner, strict=True) if o == i}}
                         for i, v in enumerate(variants)],
            "held_out": [{"clip": row.clip, "variant": row.variant, "train_f1": round(row.train_f1, 4),
                          "tp": row.counts.tp, "fp": row.counts.fp, "fn": row.counts.fn,
                          "f1": round(row.counts.f1, 4)} for row in loco.rows],
            "mean_clip_f1": round(loco.mean_clip_f1, 4), "pooled_f1": round(loco.pooled_f1, 4),
            "default_in_sample_f1": round(loco.in_sample[default], 4), "wall_s": round(wall, 1),
        }, indent=2))
        console.print(f"written {args.json}")


if __name__ == "__main__":
    main()
