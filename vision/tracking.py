"""Multi-object tracking with Ultralytics' ByteTrack (not a home-made tracker)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from .detections import Detections


class _BoxesView:
    """The slice of Ultralytics' `Boxes` interface that BYTETracker reads."""

    def __init__(self, d: Detections):
        self.d = d
        xy = (d.xyxy[:, :2] + d.xyxy[:, 2:]) / 2
        self.xywh = np.concatenate([xy, d.xyxy[:, 2:] - d.xyxy[:, :2]], axis=1)
        self.conf = d.confidence
        self.cls = d.class_id.astype(np.float32)

    def __len__(self) -> int:
        return len(self.d)

    def __getitem__(self, mask) -> _BoxesView:
        return _BoxesView(self.d[mask])


class ObjectTracker:
    """Gives detections persistent `tracker_id`s across frames of one camera.

    `lost_s` is how long a track that is not detected is kept for re-association; ByteTrack
    counts in frames, so it is converted with the detect rate.
    """

    def __init__(self, fps: float, lost_s: float = 10.0, high_thresh: float = 0.25, match_thresh: float = 0.8):
        from ultralytics.trackers.byte_tracker import BYTETracker

        args = SimpleNamespace(
            track_high_thresh=high_thresh,
            track_low_thresh=0.1,
            new_track_thresh=high_thresh,
            track_buffer=max(1, math.ceil(lost_s * fps)),
            match_thresh=match_thresh,
            fuse_score=True,
        )
        self._tracker = BYTETracker(args)

    def update(self, detections: Detections) -> Detections:
        """Returns the same detections with `tracker_id` set (NO_TRACK where none was assigned)."""
        tracked = self._tracker.update(_BoxesView(detections))
        ids = np.full(len(detections), -1, np.int64)
        if len(tracked):
            idx = tracked[:, 7].astype(int)
            ids[idx] = tracked[:, 4].astype(np.int64)
        return detections.with_tracker_id(ids)
