"""Camera tampering: detection delay per kind on shared clips tampered with ffmpeg filters, and the
tampering events raised on the eleven unmodified shared clips (which must be none).

    .venv/bin/python -m bench.tampering      # about 20 s on 2 cores
    .venv/bin/python -m bench.tampering --perturbed   # and the 11 clips under each perturbation of
                                                      # the robustness suite (about 8 minutes)

The production detector (vision/tampering.py) at the default 2 analysed frames a second; the
tampered clips are those of tests/test_tampering.py (urbanwatch/evaluation/tampering.py), made in
a temporary folder.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from urbanwatch.evaluation.ground_truth import load_ground_truth
from urbanwatch.evaluation.perturb import PERTURBATIONS, perturb_clip
from urbanwatch.evaluation.tampering import BACK_S, ONSET_S, TAMPERINGS, detect_tampering, make_tampered_clip

from .rtsp import SHARED


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--perturbed", action="store_true",
                    help="also the unmodified clips re-encoded the ways cameras differ (dusk, noise, shake, ...)")
    args = ap.parse_args()
    console = Console()
    table = Table(title=f"Tampering from {ONSET_S:g} s to {BACK_S:g} s of video time")
    for col in ("kind", "made on", "raised at s", "delay s", "view back, ended at s", "other changes"):
        table.add_column(col)
    with tempfile.TemporaryDirectory() as tmp:
        for kind, spec in TAMPERINGS.items():
            seen = detect_tampering(make_tampered_clip(SHARED, kind, Path(tmp) / f"{kind}.mp4"))
            started = next((s.at for s in seen if s.change.kind == kind and s.change.change == "started"), None)
            ended = next((s.at for s in seen if s.change.kind == kind and s.change.change == "ended"), None)
            others = [f"{s.change.kind} {s.change.change} at {s.at:.1f}" for s in seen if s.change.kind != kind]
            table.add_row(str(kind), Path(spec.source).stem, _s(started),
                          _s(None if started is None else started - ONSET_S), _s(ended), ", ".join(others) or "-")
    console.print(table)
    clean = Table(title="Unmodified shared clips")
    clean.add_column("clip")
    clean.add_column("tampering events")
    total = 0
    for clip in sorted((SHARED / "data/clips").glob("*/*.*")):
        if clip.suffix not in (".mp4", ".avi"):
            continue
        seen = detect_tampering(clip)
        total += len(seen)
        clean.add_row(f"{clip.parent.name}/{clip.name}",
                      ", ".join(f"{s.change.kind} {s.change.change} at {s.at:.1f}" for s in seen) or "0")
    clean.add_row("[b]total", f"[b]{total}")
    console.print(clean)
    if args.perturbed:
        perturbed(console)


def perturbed(console: Console) -> None:
    gts = [load_ground_truth(p) for p in sorted((SHARED / "data/clips").glob("*/*.gt.json"))]
    table = Table(title="Unmodified shared clips, perturbed (bench.robustness's perturbations)")
    table.add_column("perturbation")
    table.add_column("clips")
    table.add_column("tampering events")
    with tempfile.TemporaryDirectory() as tmp:
        for name in (n for n in PERTURBATIONS if n != "reencode"):
            seen = []
            for gt in gts:
                made = perturb_clip(gt, name, Path(tmp) / name / gt.path.parent.name)
                clip = made.with_name(made.name.removesuffix(".gt.json"))
                seen += [f"{clip.name}: {s.change.kind} {s.change.change} at {s.at:.1f}"
                         for s in detect_tampering(clip)]
            table.add_row(name, str(len(gts)), ", ".join(seen) or "0")
            console.print(f"{name}: {len(seen)}")
    console.print(table)


def _s(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}"


if __name__ == "__main__":
    main()
