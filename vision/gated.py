"""A zone rule behind a gate: the same interface as the rule (the analyzer cannot tell), with some
of its violations held back. Schedules and permits (`permits.py`) and the office's remembered
false detections (`hard_negatives.py`) are such gates; a subclass says what to hold and when to let
a held one through, in `update`."""

from __future__ import annotations

from .violations import Violation


class GatedRule:
    def __init__(self, rule):
        self.rule = rule
        self._held: dict[int, object] = {}  # violation id -> why it is held back
        self.type = rule.type
        self.zone = rule.zone

    @property
    def use_static(self) -> bool:
        return getattr(self.rule, "use_static", False)

    @property
    def active(self) -> list[Violation]:
        """The violations raised to the outside (the held ones were never announced)."""
        return [v for v in self.rule.active if v.id not in self._held]

    def restore(self, violation: Violation, t: float) -> None:
        self.rule.restore(violation, t)
