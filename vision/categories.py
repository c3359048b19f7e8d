"""Detector classes to the categories zone rules speak of (vehicle, goods, ...)."""

import numpy as np

from .detections import CATEGORY, Detections
from .matching import overlap


def categorize(detections: Detections, class_to_category: dict[str, str]) -> Detections:
    """Adds a `category` column; classes outside the map keep their class name as category."""
    names = detections.class_name
    cats = np.array([class_to_category.get(n, n) for n in names], dtype=object)
    return detections.with_data(**{CATEGORY: cats})


def one_box_per_object(detections: Detections, iou: float = 0.7) -> Detections:
    """The detector's NMS is per class, so one vehicle can come out as both a car and a truck:
    of boxes of the same category overlapping by `iou`, only the most confident is kept."""
    if len(detections) < 2:
        return detections
    order = np.argsort(-detections.confidence)
    d = detections[order]
    cats = d.data[CATEGORY]
    ious, _ = overlap(d.xyxy, d.xyxy)
    keep = np.ones(len(d), bool)
    for i in range(len(d)):
        if keep[i]:
            keep[i + 1:] &= ~((ious[i, i + 1:] >= iou) & (cats[i + 1:] == cats[i]))
    return d[keep]
