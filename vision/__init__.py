"""vision: frames and timestamps in, observations and violations out.

Pure: no cameras, sockets, databases or files are touched here (the detector reads its weights
once when built). Every stage takes and returns `Detections`.
"""

from .detections import Detections

__all__ = ["Detections"]
