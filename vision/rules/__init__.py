"""Zone rules: observations in, violations out."""

from .dumping import DumpingRule
from .encroachment import SidewalkEncroachmentRule

__all__ = ["DumpingRule", "SidewalkEncroachmentRule"]
