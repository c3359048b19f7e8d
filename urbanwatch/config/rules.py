from typing import Literal

from pydantic import Field

from .base import MAX_WAIT_S, Section

DumpingCheck = Literal["origin", "parts", "clear_view", "look"]


class EncroachmentDefaults(Section):
    dwell_s: float = Field(
        300, gt=0, le=MAX_WAIT_S, title="Dwell", description="Seconds an object must stand still in a sidewalk zone."
    )
    objects: list[str] = Field(
        default_factory=lambda: ["vehicle", "goods"],
        title="Objects",
        description="Categories or detector class names that count as encroachment.",
    )
    stillness: float = Field(
        0.15, gt=0, le=1, title="Stillness",
        description="An object at rest moves its ground point less than this share of its own size, and its "
        "box grows or shrinks by less than 0.2 (a car coming towards the camera grows: it is moving).",
    )
    same_look: float = Field(
        0.5, gt=0, le=1, title="Same look",
        description="Picture correlation above which an object found again at its spot under a new track is "
        "the same object (below: another object took the spot, and its clock starts).",
    )


class DumpingDefaults(Section):
    unattended_s: float = Field(
        60,
        gt=0,
        le=MAX_WAIT_S,
        title="Unattended",
        description="Seconds a left object must stay in a no-dumping zone after its owner has gone.",
    )
    clear_view: float = Field(
        0.3, gt=0, le=1, title="Clear view",
        description="An object is judged (its look compared, an alert raised) only while less than this share "
        "of its box is changing: somebody passing in front of it hides it.",
    )
    checks: list[DumpingCheck] = Field(
        default_factory=lambda: ["origin", "parts", "clear_view", "look"],
        title="Checks",
        description="What a left object is checked for before it alerts: somebody was there when it appeared "
        "(origin), pieces and changes of one object are that object (parts), it is in clear view (clear_view), "
        "its picture keeps steady (look). All by default; leaving one out is for measuring it.",
    )


class RulesConfig(Section):
    """Defaults for the zone rules; each zone may override them."""

    encroachment: EncroachmentDefaults = Field(default_factory=EncroachmentDefaults)
    dumping: DumpingDefaults = Field(default_factory=DumpingDefaults)
    hard_negative_days: float = Field(
        14, gt=0, le=365, title="Hard-negative memory",
        description="Days a dismissal as a false detection keeps the camera from raising the same object at "
        "the same place again (same zone and category, overlapping box, same look); a different object there "
        "still alerts. A supervisor can remove the suppression earlier; confirming the event removes it.",
    )
