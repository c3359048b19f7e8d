from typing import Literal

from pydantic import Field

from .base import Section

Explanation = Literal["holders", "split", "lighting", "ghosts"]


class StaticObjectsConfig(Section):
    """The static-object stage: what became static in the picture (left objects, goods the
    detector has no class for). The defaults hold on every shared clip, chosen leave-one-clip-out
    (README, Accuracy); change them for a camera only with its own ground truth."""

    work_width: int = Field(
        640, ge=160, le=1920, title="Analysis width",
        description="Frames wider than this are shrunk to it for the stage (cost grows with its square).",
    )
    threshold: float = Field(
        20.0, gt=0, lt=255, title="Change threshold",
        description="Colour difference (0-255, after blurring) that counts as a change against a background.",
    )
    static_s: float = Field(
        1.0, gt=0, le=60, title="Static after", description="Seconds a pixel must stay changed and still.",
    )
    min_area_px: int = Field(
        16, ge=4, le=10000, title="Smallest object",
        description="In analysis pixels (16: a 4 x 4 blob, 8 x 8 camera pixels at 1280 wide).",
    )
    split_s: float = Field(
        1.5, gt=0, le=60, title="Separate put-downs",
        description="Pixels that became static this many seconds apart belong to different objects.",
    )
    lighting_ncc: float = Field(
        0.75, gt=0, le=1, title="Lighting",
        description="A change that keeps this much of the background's texture is light or shadow.",
    )
    explanations: list[Explanation] = Field(
        default_factory=lambda: ["holders", "split", "lighting", "ghosts"],
        title="Explanations",
        description="What a static blob is checked for before it is an object: people's and vehicles' "
        "pixels cut out (holders), objects put down at different times told apart (split), light and shadow "
        "(lighting), background uncovered (ghosts). All by default; leaving one out is for measuring it.",
    )
