"""Greedy one-to-one assignment of boxes to remembered places."""

import numpy as np


def overlap(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """IoU and intersection-over-the-smaller-box matrices of xyxy boxes."""
    a = np.asarray(a, np.float32).reshape(-1, 4)
    b = np.asarray(b, np.float32).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(axis=2)
    area_a = ((a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]))[:, None]
    area_b = ((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))[None, :]
    iou = inter / np.maximum(area_a + area_b - inter, 1e-9)
    iomin = inter / np.maximum(np.minimum(area_a, area_b), 1e-9)
    return iou.astype(np.float32), iomin.astype(np.float32)


def greedy_match(score: np.ndarray, allowed: np.ndarray) -> list[tuple[int, int]]:
    """Pairs (row, col), best score first, each row and column used once, only where allowed."""
    if score.size == 0:
        return []
    s = np.where(allowed, score, -np.inf)
    order = np.dstack(np.unravel_index(np.argsort(-s, axis=None), s.shape))[0]
    used_r, used_c, pairs = set(), set(), []
    for r, c in order:
        if not np.isfinite(s[r, c]):
            break
        if r in used_r or c in used_c:
            continue
        used_r.add(r)
        used_c.add(c)
        pairs.append((int(r), int(c)))
    return pairs
