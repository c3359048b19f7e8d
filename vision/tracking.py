"""Multi-object tracking with Ultralytics' ByteTrack (not a home-made tracker), associating on
buffered boxes so that it holds at the few frames per second a camera is analysed at.

ByteTrack matches a track to a detection by the IoU of their boxes. At 2 fps a walking person
moves about a body width between frames, the boxes no longer overlap, and every frame starts a
new, never-confirmed track: nobody has an identity, so nobody can be the owner of a bag. The
buffered IoU of C-BIoU (Yang et al., WACV 2023) widens the boxes before comparing them: a new
track's by a margin that grows with the time between frames, a followed track's by as far as it
moves in a frame; boxes returned are the detector's own.
"""

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


def buffered_iou(tracks: np.ndarray, dets: np.ndarray, margins: np.ndarray) -> np.ndarray:
    """IoU of every (track, detection) pair, both boxes widened by the track's margin (C-BIoU)."""
    def widen(boxes, m):  # (n, k, 4) boxes widened by per-row margins
        w, h = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
        return boxes + np.stack([-m * w, -m * h, m * w, m * h], axis=-1)

    m = margins[:, None].astype(np.float32)
    a = widen(tracks.astype(np.float32)[:, None, :], m)
    b = widen(dets.astype(np.float32)[None, :, :], m)
    lt, rb = np.maximum(a[..., :2], b[..., :2]), np.minimum(a[..., 2:], b[..., 2:])
    inter = np.clip(rb - lt, 0, None).prod(axis=-1)
    area = lambda x: (x[..., 2] - x[..., 0]) * (x[..., 3] - x[..., 1])  # noqa: E731
    return inter / np.maximum(area(a) + area(b) - inter, 1e-9)


def association_buffer(fps: float) -> float:
    """Largest margin for buffered IoU: a body width (1.0) at 2 fps, shrinking with the frame
    interval (0.2 at 10 fps, where plain IoU already works)."""
    return float(np.clip(2.0 / max(fps, 1e-6), 0.1, 1.0))


def track_buffer(track, largest: float, smallest: float = 0.1) -> float:
    """A track's margin: the largest while its motion is unknown (new), else as far as its own
    Kalman velocity carries it in a frame, in box heights. A parked car keeps a small margin, so
    the box of the car beside it is never taken for it. (People get the largest always: one who
    stood still can walk off at a body width a frame without speeding up first.)"""
    if not track.is_activated or track.tracklet_len < 2 or getattr(track, "free_moving", False):
        return largest
    vx, vy, h = float(track.mean[4]), float(track.mean[5]), float(track.mean[3])
    return float(np.clip(2.0 * np.hypot(vx, vy) / max(h, 1.0), smallest, largest))


class ObjectTracker:
    """Gives detections persistent `tracker_id`s across frames of one camera.

    `lost_s` is how long a track that is not detected is kept for re-association; ByteTrack
    counts in frames, so it is converted with the detect rate.
    """

    def __init__(self, fps: float, lost_s: float = 10.0, high_thresh: float = 0.25, match_thresh: float = 0.8,
                 buffer: float | None = None, free_moving: tuple[str, ...] = ("person",)):
        from ultralytics.trackers.byte_tracker import BYTETracker
        from ultralytics.trackers.utils import matching

        b = association_buffer(fps) if buffer is None else buffer
        self.free_moving = set(free_moving)
        self._free_ids: set[int] = set()  # class ids of free_moving classes, learnt from the detections
        free_ids = self._free_ids

        class BufferedByteTracker(BYTETracker):
            def get_dists(self, tracks, detections):
                if not tracks or not detections:
                    return np.zeros((len(tracks), len(detections)), np.float32)
                for t in tracks:
                    t.free_moving = int(t.cls) in free_ids
                # a track not seen for k frames may have gone k times as far
                margins = np.array([track_buffer(t, b) * min(3, max(1, self.frame_id - t.frame_id)) for t in tracks])
                dists = 1.0 - buffered_iou(np.array([t.xyxy for t in tracks]), np.array([d.xyxy for d in detections]),
                                           margins)
                return matching.fuse_score(dists, detections) if self.args.fuse_score else dists

        self._args = SimpleNamespace(
            track_high_thresh=high_thresh,
            track_low_thresh=0.1,
            new_track_thresh=high_thresh,
            track_buffer=max(1, math.ceil(lost_s * fps)),
            match_thresh=match_thresh,
            fuse_score=True,
        )
        self._make = BufferedByteTracker
        self._tracker = BufferedByteTracker(self._args)
        self._offset = 0  # ids of earlier trackers are never given again
        self._top = 0

    def reset(self) -> None:
        """Forget every track: after a cut (a spliced recording, a camera turned, the lights
        switched) a box where another was is not the same object."""
        self._tracker = self._make(self._args)
        self._offset = self._top + 1

    def standing_unseen(self, still: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
        """Boxes and class ids of vehicles the detector lost while they stood still (moving less
        than `still` of their height a frame): a waiting motorbike it misses for a few seconds
        is still there, until ByteTrack gives the track up. (Not people: one who stood still can
        walk off within a frame, before the Kalman filter knows it.)"""
        boxes, classes = [], []
        for tr in self._tracker.lost_stracks:
            if int(tr.cls) in self._free_ids:
                continue
            if tr.mean is not None and np.hypot(tr.mean[4], tr.mean[5]) < still * max(float(tr.mean[3]), 1.0):
                boxes.append(tr.xyxy)
                classes.append(int(tr.cls))
        return np.array(boxes, np.float32).reshape(-1, 4), np.array(classes, np.int32)

    def update(self, detections: Detections) -> Detections:
        """Returns the same detections with `tracker_id` set (NO_TRACK where none was assigned)."""
        if len(detections):
            free = np.isin(detections.class_name, list(self.free_moving))
            self._free_ids.update(int(c) for c in detections.class_id[free])
        tracked = self._tracker.update(_BoxesView(detections))
        ids = np.full(len(detections), -1, np.int64)
        if len(tracked):
            idx = tracked[:, 7].astype(int)
            ids[idx] = tracked[:, 4].astype(np.int64) + self._offset
            self._top = max(self._top, int(ids.max()))
        return detections.with_tracker_id(ids)
