from pydantic import Field

from .base import Section


class EncroachmentDefaults(Section):
    dwell_s: float = Field(
        300, gt=0, title="Dwell", description="Seconds an object must stand still in a sidewalk zone."
    )
    objects: list[str] = Field(
        default_factory=lambda: ["vehicle", "goods"],
        title="Objects",
        description="Categories or detector class names that count as encroachment.",
    )


class DumpingDefaults(Section):
    unattended_s: float = Field(
        60,
        gt=0,
        title="Unattended",
        description="Seconds a left object must stay in a no-dumping zone after its owner has gone.",
    )


class RulesConfig(Section):
    """Defaults for the zone rules; each zone may override them."""

    encroachment: EncroachmentDefaults = Field(default_factory=EncroachmentDefaults)
    dumping: DumpingDefaults = Field(default_factory=DumpingDefaults)
