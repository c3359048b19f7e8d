"""The accuracy floor of the CI eval test (tests/eval_floor.json): a ratchet that only goes up.

The floor holds the overall F1 on the shared clips, whether every negative clip must stay silent,
and each positive clip's own F1, as last measured (rounded down to 3 decimals, so the same
figures pass). `raise_floor` lifts each to what a run reached and never lowers one; a clip new to
the set gets its first floor that way."""

from __future__ import annotations

import math
from pathlib import Path

from .scoring import clip_f1, pooled_f1


def _down(v: float) -> float:
    return math.floor(v * 1000 + 1e-9) / 1000


def measured(report: dict) -> dict:
    """The floor's figures from an `urbanwatch eval --json` report."""
    clips = report["clips"]
    tp, fp, fn = (sum(c[k] for c in clips) for k in ("tp", "fp", "fn"))
    return {
        "overall_f1": pooled_f1(tp, fp, fn),
        "negatives_silent": all(not c["alerts"] for c in clips if c["negative"]),
        "clips": {c["gt"]: clip_f1(c["tp"], c["fp"], c["fn"], False) for c in clips if not c["negative"]},
    }


def shortfalls(floor: dict, report: dict) -> list[str]:
    """Every way the report falls below the floor, one line each (none: it holds)."""
    now, out = measured(report), []
    if now["overall_f1"] < floor["overall_f1"]:
        out.append(f"overall F1 {now['overall_f1']:.3f} is below the floor {floor['overall_f1']:.3f}")
    if floor["negatives_silent"]:
        out += [f"{c['gt']}: {len(c['alerts'])} alerts on a negative clip" for c in report["clips"]
                if c["negative"] and c["alerts"]]
    ran = {c["gt"] for c in report["clips"]}
    for name, f1 in floor["clips"].items():
        if name not in ran:
            out.append(f"{name}: has a floor but did not run (removed from the set? edit the floor by hand)")
        elif name in now["clips"] and now["clips"][name] < f1:
            out.append(f"{name}: F1 {now['clips'][name]:.3f} is below its floor {f1:.3f}")
        elif name not in now["clips"]:
            out.append(f"{name}: has an F1 floor but is now a negative clip")
    return out


def raise_floor(floor: dict, report: dict) -> tuple[dict, list[str]]:
    """The floor lifted to the report's levels where they are higher; and what changed."""
    now, new, changes = measured(report), dict(floor), []
    level = _down(now["overall_f1"])
    if level > floor["overall_f1"]:
        new["overall_f1"] = level
        changes.append(f"overall F1 {floor['overall_f1']:.3f} -> {level:.3f}")
    if now["negatives_silent"] and not floor["negatives_silent"]:
        new["negatives_silent"] = True
        changes.append("every negative clip must now stay silent")
    clips = dict(floor["clips"])
    for name, f1 in sorted(now["clips"].items()):
        level = _down(f1)
        if name not in clips or level > clips[name]:
            changes.append(f"{name}: {'new, ' if name not in clips else f'{clips[name]:.3f} -> '}{level:.3f}")
            clips[name] = max(level, clips.get(name, 0.0))
    new["clips"] = clips
    return new, changes


def model_matches(floor: dict, report: dict) -> bool:
    return Path(report["model"]).name == floor["model"] and float(report["fps"]) == float(floor["fps"])
