"""A camera's tampering watch in its worker: the detector (vision/tampering.py) on every analysed
frame, each problem stored with the reference picture and the picture at the time through the
recorder's write queue, the problems of a restarted worker taken up again, and an admin's
acceptance of the new view followed. The worker pauses the camera's rules while `rules_paused`."""

from __future__ import annotations

import logging
from functools import partial

import cv2
import numpy as np

from models.media import MediaStore
from models.schema import CameraProblem
from vision.tampering import Tamper, TamperingDetector, TamperResult

from .recorder import Recorder

log = logging.getLogger(__name__)


class TamperWatch:
    def __init__(self, camera_id: str, recorder: Recorder):
        self.camera_id = camera_id
        self.recorder = recorder
        self.detector = TamperingDetector()
        self.problem_ids: dict[Tamper, int] = {}  # open problems as stored (known once written)

    @property
    def rules_paused(self) -> bool:
        return Tamper.MOVED in self.detector.active

    def observe(self, image: np.ndarray, t: float) -> TamperResult:
        result = self.detector.update(image, t)
        for c in result.changes:
            if c.change == "started":
                self.recorder.problem_raised(self.camera_id, c.kind, c.t, t, self.detector.reference_picture, image,
                                             c.measures, partial(self._stored, c.kind))
            else:
                self.problem_ids.pop(c.kind, None)
                self.recorder.problem_ended(self.camera_id, c.kind, t, c.reason or "view_returned", c.measures)
        return result

    def _stored(self, kind: Tamper, problem_id: int) -> None:
        if kind in self.detector.active:  # not ended again before it was written
            self.problem_ids[kind] = problem_id

    def accepted(self, t: float) -> None:
        """An admin accepted the view (the database already says so): the view is the reference."""
        self.detector.accept(t)
        self.problem_ids.clear()
        log.info("camera %s: new view accepted", self.camera_id, extra={"camera": self.camera_id})

    def restore(self, problems: list[CameraProblem], media: MediaStore, t: float) -> None:
        """Problems open when the worker stopped: active again against their stored "before" picture,
        so that they end when the view returns to it (or when an admin accepts the view)."""
        if not problems:
            return
        picture = None
        for p in problems:
            path = media.path(p.before) if p.before else None
            if path is not None and path.is_file():
                picture = cv2.imread(str(path))
                break
        known = {k.value for k in Tamper}
        self.problem_ids = {Tamper(p.kind): p.id for p in problems if p.kind in known}
        self.detector.restore(set(self.problem_ids), picture, t)
