"""Raise the CI eval floor (tests/eval_floor.json) to what the code reaches now; never lower it.

    .venv/bin/python -m bench.ratchet [--jobs 2] [--dry-run]
    .venv/bin/python -m bench.ratchet --from-json test-artifacts/eval.json

Runs `urbanwatch eval` on every shared clip with the floor's model and frame rate, as
tests/test_eval.py does (or reads such a run's --json), then lifts the overall F1, the "negatives
stay silent" rule and each clip's F1 to the levels reached where they are higher. A clip new to
the set gets its first floor. Lowering a floor is a decision for a person, in review: edit the file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console

from urbanwatch.evaluation.floor import model_matches, raise_floor, shortfalls

from .rtsp import ROOT, SHARED

FLOOR = ROOT / "tests" / "eval_floor.json"


def run_eval(floor: dict, jobs: int, out: Path) -> dict:
    gts = sorted(str(p) for p in (SHARED / "data/clips").glob("*/*.gt.json"))
    model = SHARED / "models" / floor["model"]
    cmd = [sys.executable, "-m", "urbanwatch", "eval", *gts, "--model", str(model), "--fps", str(floor["fps"]),
           "--jobs", str(jobs), "--json", str(out)]
    if subprocess.run(cmd, cwd=ROOT).returncode:
        raise SystemExit("eval failed")
    return json.loads(out.read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from-json", type=Path, help="an `urbanwatch eval --json` report instead of a new run")
    ap.add_argument("--jobs", type=int, default=1, help="clips run in this many processes")
    ap.add_argument("--floor", type=Path, default=FLOOR, help="the floor file (default: %(default)s)")
    ap.add_argument("--dry-run", action="store_true", help="say what would change, write nothing")
    args = ap.parse_args()
    console = Console()
    floor = json.loads(args.floor.read_text())
    if args.from_json:
        report = json.loads(args.from_json.read_text())
    else:
        with tempfile.TemporaryDirectory() as tmp:
            report = run_eval(floor, args.jobs, Path(tmp) / "eval.json")
    if not model_matches(floor, report):
        raise SystemExit(f"the run used {report['model']} at {report['fps']} fps; the floor is for "
                         f"{floor['model']} at {floor['fps']} fps")
    for line in shortfalls(floor, report):
        console.print(f"[yellow]below the floor[/yellow] {line} (kept: the floor never goes down)", highlight=False)
    new, changes = raise_floor(floor, report)
    for line in changes:
        console.print(f"[green]raised[/green] {line}", highlight=False)
    if not changes:
        console.print("the floor stays as it is")
    elif not args.dry_run:
        args.floor.write_text(json.dumps(new, indent=2, ensure_ascii=False) + "\n")
        console.print(f"written {args.floor}")


if __name__ == "__main__":
    main()
