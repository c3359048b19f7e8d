"""Zone rules: detections in, violations out."""

from .encroachment import SidewalkEncroachmentRule

__all__ = ["SidewalkEncroachmentRule"]
