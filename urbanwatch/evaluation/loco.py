"""Leave-one-clip-out: how well a configuration chosen on some clips does on a clip it never saw.

Every variant has run on every clip once; for each clip, the variant with the best pooled F1 on
all the *other* clips is chosen (ties: the default variant, then the first) and the held-out clip
scored with it. The mean of those held-out scores is an honest estimate of accuracy on new
footage; the in-sample F1 of the best variant is not, since the same clips picked it."""

from __future__ import annotations

from dataclasses import dataclass

from .scoring import clip_f1, pooled_f1


@dataclass(frozen=True)
class Counts:
    tp: int
    fp: int
    fn: int
    negative: bool  # the clip has no events

    @property
    def f1(self) -> float:
        """This clip alone; a negative clip scores 1.0 if silent, else 0.0."""
        return clip_f1(self.tp, self.fp, self.fn, self.negative)


def pooled(counts: list[Counts]) -> float:
    return pooled_f1(sum(c.tp for c in counts), sum(c.fp for c in counts), sum(c.fn for c in counts))


@dataclass(frozen=True)
class HeldOut:
    clip: str
    variant: int  # chosen on the other clips
    train_f1: float  # its pooled F1 there
    counts: Counts  # on the held-out clip


@dataclass(frozen=True)
class LocoResult:
    rows: list[HeldOut]
    mean_clip_f1: float  # mean over held-out clips of their own F1
    pooled_f1: float  # of all held-out predictions together
    in_sample: list[float]  # pooled F1 of each variant on all clips

    def best_in_sample(self, default: int) -> int:
        return _best(self.in_sample, default)


def _best(f1s: list[float], default: int) -> int:
    # ties broken towards the default, then the earliest: a change must earn its place
    return min(range(len(f1s)), key=lambda v: (-round(f1s[v], 9), v != default, v))


def leave_one_clip_out(table: list[dict[str, Counts]], default: int = 0) -> LocoResult:
    """`table[v][clip]`: counts of variant v on each clip (every variant on the same clips)."""
    clips = list(table[0])
    rows = []
    for held in clips:
        train = [pooled([t[c] for c in clips if c != held]) for t in table]
        v = _best(train, default)
        rows.append(HeldOut(held, v, train[v], table[v][held]))
    return LocoResult(
        rows,
        sum(r.counts.f1 for r in rows) / len(rows),
        pooled([r.counts for r in rows]),
        [pooled(list(t.values())) for t in table],
    )
