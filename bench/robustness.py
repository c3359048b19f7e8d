"""Robustness: the shared clips re-encoded the ways real cameras differ, scored against the same
run's unperturbed clips.

    .venv/bin/python -m bench.robustness [--only dusk --only fps5] [--jobs 2] [--json OUT] [--keep DIR]

Perturbations (urbanwatch/evaluation/perturb.py): dusk (light falling to 45 %), noise,
low_bitrate (blocking), 320x240, fps5, fps25, shake, and reencode, the control: the high-quality
re-encode all the others also go through, so that a drop can be told from the encoding's own.
The ground truth is carried over (boxes and zones scaled, frame numbers rescaled). Clips are
written to a temporary folder (or --keep DIR, outside the repository), never into the repo.
Table: F1, precision, recall and false alerts on negative clips per perturbation, and the drop
from the baseline.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from urbanwatch.config import parse_config
from urbanwatch.evaluation.ground_truth import load_all
from urbanwatch.evaluation.parallel import tasks_for
from urbanwatch.evaluation.perturb import PERTURBATIONS, perturb_clip
from urbanwatch.evaluation.report import overall
from urbanwatch.evaluation.variants import apply_variant

from .clips import run_clips
from .rtsp import ROOT, SHARED

BASELINE = "baseline"


def summary(results) -> dict:
    s = overall(results)
    negatives = [r for r in results if r.gt.negative]
    return {"tp": s.tp, "fp": s.fp, "fn": s.fn, "f1": s.f1, "precision": s.precision, "recall": s.recall,
            "negative_clips": len(negatives), "false_alerts_on_negatives": sum(len(r.alerts) for r in negatives),
            "clips": {r.gt.name: {"tp": r.score.tp, "fp": r.score.fp, "fn": r.score.fn,
                                  "alerts": [a.to_dict() for a in r.alerts]} for r in results}}


def _f(v) -> str:
    return "–" if v is None else f"{v:.2f}"


def table(rows: dict[str, dict]) -> Table:
    base = rows[BASELINE]
    t = Table(title="robustness: the shared clips perturbed")
    for col in ("perturbation", "F1", "ΔF1", "P", "R", "TP", "FP", "FN", "alerts on negatives"):
        t.add_column(col, justify="left" if col == "perturbation" else "right")
    for name, s in rows.items():
        drop = None if name == BASELINE or s["f1"] is None or base["f1"] is None else s["f1"] - base["f1"]
        t.add_row(name, _f(s["f1"]), "" if drop is None else f"{drop:+.2f}", _f(s["precision"]), _f(s["recall"]),
                  str(s["tp"]), str(s["fp"]), str(s["fn"]),
                  f"{s['false_alerts_on_negatives']} ({s['negative_clips']} clips)",
                  style="bold" if name == BASELINE else None)
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("gt", nargs="*", type=Path, help="ground-truth files (default: every shared clip)")
    ap.add_argument("--only", action="append", choices=list(PERTURBATIONS), help="this perturbation (repeatable)")
    ap.add_argument("--model", default=str(SHARED / "models/yolov8n_coco.pt"))
    ap.add_argument("--fps", type=float, default=2.0, help="analysed frames per second of video")
    ap.add_argument("--jobs", type=int, default=1, help="clips (and encodes) run in this many processes")
    ap.add_argument("--json", type=Path, help="write every figure and alert here")
    ap.add_argument("--keep", type=Path, help="write the perturbed clips here (outside the repository)")
    args = ap.parse_args()
    console = Console()
    names = args.only or list(PERTURBATIONS)
    gts = load_all(args.gt or sorted((SHARED / "data/clips").glob("*/*.gt.json")))
    base = apply_variant(parse_config({}, Path.cwd()), {"detector.model": args.model})
    if not Path(args.model).is_file():
        raise SystemExit(f"model not found: {args.model}")
    if args.keep and args.keep.resolve().is_relative_to(ROOT):
        raise SystemExit("--keep: the clips are third-party footage; write them outside the repository")
    with tempfile.TemporaryDirectory(prefix="urbanwatch-robustness-") as tmp:
        out = args.keep or Path(tmp)
        started = time.perf_counter()
        sets = {BASELINE: gts}
        with Progress(console=console) as progress:
            bar = progress.add_task("re-encoding", total=len(names) * len(gts))

            def encode(job):
                name, gt = job
                path = perturb_clip(gt, name, out / name / gt.path.parent.name)
                progress.advance(bar)
                return path

            jobs = [(name, gt) for name in names for gt in gts]
            with ThreadPoolExecutor(max(1, args.jobs)) as pool:
                paths = list(pool.map(encode, jobs))
            for name in names:
                sets[name] = load_all([p for (n, _), p in zip(jobs, paths, strict=True) if n == name])
            encode_s = time.perf_counter() - started
            tasks, owner = [], []
            for name, members in sets.items():
                tasks += tasks_for(members, base, args.fps)
                owner += [name] * len(members)
            results = run_clips(tasks, args.fps, args.jobs, progress, "evaluating")
        eval_s = time.perf_counter() - started - encode_s
    rows = {name: summary([r for r, o in zip(results, owner, strict=True) if o == name]) for name in sets}
    console.print(table(rows))
    for name in names:
        console.print(f"  {name}: {PERTURBATIONS[name]}", highlight=False)
    console.print(f"{len(gts)} clips, {args.fps:g} analysed frames/s, {Path(args.model).name}; "
                  f"re-encoding {encode_s:.0f} s, evaluating {eval_s:.0f} s with {args.jobs} job(s)")
    if args.json:
        args.json.write_text(json.dumps({"model": args.model, "fps": args.fps, "perturbations": rows,
                                         "encode_s": round(encode_s, 1), "eval_s": round(eval_s, 1)}, indent=2))
        console.print(f"written {args.json}")


if __name__ == "__main__":
    main()
