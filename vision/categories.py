"""Detector classes to the categories zone rules speak of (vehicle, goods, ...)."""

import numpy as np

from .detections import Detections


def categorize(detections: Detections, class_to_category: dict[str, str]) -> Detections:
    """Adds a `category` column; classes outside the map keep their class name as category."""
    names = detections.class_name
    cats = np.array([class_to_category.get(n, n) for n in names], dtype=object)
    return detections.with_data(category=cats)
