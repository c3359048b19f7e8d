"""What rules emit: a violation and the changes to it (raised, ended)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

ViolationType = Literal["encroachment", "dumping"]


@dataclass
class Violation:
    id: int  # unique within the rule that raised it
    type: ViolationType
    zone: str
    category: str
    class_name: str
    bbox: tuple[float, float, float, float]  # camera pixels, full resolution
    confidence: float
    track_id: int
    started_at: float  # when the object came to rest (or was put down)
    raised_at: float  # when the rule was satisfied
    ended_at: float | None = None
    end_reason: str | None = None  # "left", "removed"
    params: dict = field(default_factory=dict)  # the rule's parameters, for the evidence
    evidence: dict = field(default_factory=dict)  # facts for the record, JSON-able (owner, times)
    crops: dict = field(default_factory=dict)  # name -> BGR picture for the record (e.g. the owner)

    def end(self, at: float, reason: str) -> RuleEvent:
        """Ends the violation and returns the event that says so."""
        self.ended_at, self.end_reason = at, reason
        return RuleEvent.of("ended", self)


@dataclass(frozen=True)
class RuleEvent:
    kind: Literal["raised", "ended"]
    violation: Violation  # a copy as of this change

    @classmethod
    def of(cls, kind: Literal["raised", "ended"], v: Violation) -> RuleEvent:
        return cls(kind, replace(v, params=dict(v.params), evidence=dict(v.evidence), crops=dict(v.crops)))
