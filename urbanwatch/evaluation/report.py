"""The eval table and its JSON."""

from __future__ import annotations

from rich.table import Table

from .runner import ClipResult
from .scoring import Score


def _f(v: float | None, digits: int = 2) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def overall(results: list[ClipResult]) -> Score:
    total = Score()
    for r in results:
        total += r.score
    return total


def _row(name: str, events: int, alerts: int, s: Score, speed: float | None) -> list[str]:
    return [name, str(events), str(alerts), str(s.tp), str(s.fp), str(s.fn), _f(s.precision), _f(s.recall),
            _f(s.f1), _f(s.median_lag, 1), _f(s.worst_lag, 1), _f(speed, 1)]


def table(results: list[ClipResult], title: str = "urbanwatch eval") -> Table:
    t = Table(title=title)
    for col in ("clip", "events", "alerts", "TP", "FP", "FN", "P", "R", "F1", "lag med", "lag max", "×rt"):
        t.add_column(col, justify="left" if col == "clip" else "right")
    for r in results:
        t.add_row(*_row(r.gt.name.removesuffix(".gt.json"), len(r.gt.events), len(r.alerts), r.score,
                        r.seconds / r.wall_s if r.wall_s else None))
    video, wall = sum(r.seconds for r in results), sum(r.wall_s for r in results)
    t.add_section()
    t.add_row(*_row("overall", sum(len(r.gt.events) for r in results), sum(len(r.alerts) for r in results),
                    overall(results), video / wall if wall else None), style="bold")
    return t


def to_json(results: list[ClipResult], model: str, fps: float) -> dict:
    clips = []
    for r in results:
        clips.append({
            "gt": r.gt.name,
            "clip": r.gt.clip,
            "negative": r.gt.negative,
            "events": len(r.gt.events),
            "alerts": [a.to_dict() for a in r.alerts],
            "matches": r.score.matches,
            "frames_analysed": r.frames,
            "detector_runs": r.inferences,
            "video_s": round(r.seconds, 2),
            "wall_s": round(r.wall_s, 2),
            **r.score.to_dict(),
        })
    runs, frames = sum(r.inferences for r in results), sum(r.frames for r in results)
    return {"model": model, "fps": fps, "clips": clips, "overall": overall(results).to_dict(),
            "detector_runs_per_frame": round(runs / max(1, frames), 2)}
