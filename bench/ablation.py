"""What each check of a static region is worth: the shared clips scored with every explanation of
the static stage and every check of the dumping rule left out in turn, against all of them.

    .venv/bin/python -m bench.ablation [--jobs 2] [--json OUT]

A check earns its place when leaving it out costs true alerts or adds false ones somewhere; the
table gives, per check left out, the pooled counts and F1 and the clips whose score changed.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from urbanwatch.config import parse_config
from urbanwatch.config.rules import DumpingCheck
from urbanwatch.config.static_objects import Explanation
from urbanwatch.evaluation.ground_truth import load_all
from urbanwatch.evaluation.parallel import tasks_for
from urbanwatch.evaluation.variants import apply_variant

from .clips import run_clips
from .rtsp import SHARED

EXPLANATIONS = list(Explanation.__args__)
CHECKS = list(DumpingCheck.__args__)

WHAT = {
    "holders": "people's and vehicles' pixels cut out of static blobs",
    "split": "objects put down at different times told apart",
    "lighting": "light and shadow (the background's texture kept)",
    "ghosts": "background uncovered where something stood",
    "origin": "somebody was there when it appeared",
    "parts": "pieces and changes of an object are that object",
    "clear_view": "judged only when not hidden",
    "look": "its picture keeps steady",
}


def variants() -> list[tuple[str, dict]]:
    out = [("all checks", {})]
    out += [(f"without {e}", {"static_objects.explanations": [x for x in EXPLANATIONS if x != e]})
            for e in EXPLANATIONS]
    out += [(f"without {c}", {"rules.dumping.checks": [x for x in CHECKS if x != c]}) for c in CHECKS]
    return out


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("gt", nargs="*", type=Path, help="ground-truth files (default: every shared clip)")
    ap.add_argument("--model", default=str(SHARED / "models/yolov8n_coco.pt"))
    ap.add_argument("--fps", type=float, default=2.0)
    ap.add_argument("--jobs", type=int, default=1, help="clips run in this many processes")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    console = Console()
    gts = load_all(args.gt or sorted((SHARED / "data/clips").glob("*/*.gt.json")))
    base = apply_variant(parse_config({}, Path.cwd()), {"detector.model": args.model})
    runs = variants()
    tasks, owner = [], []
    for i, (_, v) in enumerate(runs):
        tasks += tasks_for(gts, apply_variant(base, v), args.fps)
        owner += [i] * len(gts)
    started = time.perf_counter()
    with Progress(console=console) as progress:
        results = run_clips(tasks, args.fps, args.jobs, progress, f"{len(runs)} variants x {len(gts)} clips")
    per = [{} for _ in runs]
    for r, i in zip(results, owner, strict=True):
        per[i][r.gt.name.removesuffix(".gt.json")] = (r.score.tp, r.score.fp, r.score.fn)
    totals = [tuple(sum(c[k] for c in p.values()) for k in range(3)) for p in per]
    base_f1 = f1(*totals[0])
    t = Table(title=f"each check left out, {len(gts)} shared clips, {args.fps:g} fps")
    for col in ("variant", "what it checks", "TP", "FP", "FN", "F1", "ΔF1", "clips that changed"):
        t.add_column(col, justify="left" if col in ("variant", "what it checks", "clips that changed") else "right")
    rows = []
    for i, (name, _) in enumerate(runs):
        changed = [f"{clip} {per[0][clip][0]}/{per[0][clip][1]}→{c[0]}/{c[1]}" for clip, c in per[i].items()
                   if c != per[0][clip]]
        score = f1(*totals[i])
        key = name.removeprefix("without ")
        t.add_row(name, WHAT.get(key, ""), *(str(v) for v in totals[i]), f"{score:.3f}",
                  "" if i == 0 else f"{score - base_f1:+.3f}", "; ".join(changed) or "–")
        rows.append({"variant": name, "tp": totals[i][0], "fp": totals[i][1], "fn": totals[i][2],
                     "f1": round(score, 4), "changed": changed})
    console.print(t)
    console.print(f"(TP/FP per clip before→after; {len(tasks)} clip runs in {time.perf_counter() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps({"model": args.model, "fps": args.fps, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
