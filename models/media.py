"""Media files (snapshots, clips) under one root; the database stores paths relative to it."""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import datetime
from pathlib import Path


class MediaStore:
    def __init__(self, root: str | os.PathLike, create: bool = True):
        self.root = Path(root).resolve()
        if create:
            self.root.mkdir(parents=True, exist_ok=True)

    def new_stem(self, camera_id: str, at: datetime) -> str:
        """A fresh relative path stem: events/<date>/<camera>/<time>-<random>."""
        return f"events/{at:%Y/%m/%d}/{camera_id}/{at:%H%M%S}-{uuid.uuid4().hex[:12]}"

    def write(self, rel_path: str, data: bytes) -> str:
        """Writes atomically (temporary file, fsync, rename): a crash leaves the old file or
        the whole new one, never half a picture."""
        path = self.path(rel_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)  # a full disk leaves no half-written file behind
            raise
        return rel_path

    def path(self, rel_path: str) -> Path:
        path = (self.root / rel_path).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"media path escapes the media folder: {rel_path}")
        return path

    def delete(self, rel_path: str) -> None:
        self.path(rel_path).unlink(missing_ok=True)


def disk_usage(root: Path) -> shutil._ntuple_diskusage:
    """The media disk's usage; before any media exists, the disk the folder will be made on."""
    while not root.exists() and root != root.parent:
        root = root.parent
    return shutil.disk_usage(root)
