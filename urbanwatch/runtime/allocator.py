"""Memory allocation settings for processes that push video frames through numpy and OpenCV.

Frames and the arrays made from them (a 640x360 BGR frame, its float copies in the static-object
stage, the detector's 320x320 inputs) are 0.3 to 1.2 MB each, above glibc's threshold for serving
an allocation with a fresh mmap. Every such array then costs page faults and zeroing by the kernel
when made and an munmap when freed, and freed heap tops are handed back to the system, so the next
frame faults them in again. Measured here on the shared clips: the static-object stage took 4.9 ms
per frame with glibc's defaults and 2.6 ms with freed memory kept for reuse.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

# mallopt parameters (glibc's malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 32 << 20  # glibc's maximum: only blocks larger than this get their own mapping
TRIM_THRESHOLD = 256 << 20  # free memory kept at the top of a heap before it is returned


def keep_freed_memory() -> bool:
    """Lets glibc reuse freed frame-sized blocks instead of unmapping and re-faulting them.
    Returns False (and changes nothing) where the C library is not glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        log.debug("no mallopt in %s: allocator left as it is", name)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
