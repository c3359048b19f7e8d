from pydantic import Field

from .base import Section


class EvidenceConfig(Section):
    """Incident clips and the evidence package of every event."""

    clips: bool = Field(True, title="Clips", description="Record an incident clip for every event.")
    pre_roll_s: float = Field(
        30, ge=0, le=120, title="Pre-roll",
        description="Seconds of video before the object appeared (each camera keeps this much, plus its "
        "longest rule time, in memory).",
    )
    post_roll_s: float = Field(30, ge=0, le=300, title="Post-roll", description="Seconds of video after the alert.")


class RetentionConfig(Section):
    """How long evidence is kept, by review status, and what to do when the disk fills up."""

    unreviewed_days: float = Field(
        30, gt=0, title="Unreviewed", description="Days media of unreviewed events are kept."
    )
    dismissed_days: float = Field(7, gt=0, title="Dismissed", description="Days media of dismissed events are kept.")
    confirmed_days: float = Field(
        365, gt=0, title="Confirmed",
        description="Days the evidence of confirmed events is kept; never purged earlier, even when the disk is full.",
    )
    min_free_percent: float = Field(
        10, ge=0, le=90, title="Low-disk guard",
        description="Below this much free space on the media disk, the oldest unreviewed media go first (then "
        "dismissed), and the console shows a warning.",
    )
    purge_every_min: float = Field(60, gt=0, title="Purge interval", description="Minutes between purges.")
