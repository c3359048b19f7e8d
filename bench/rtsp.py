"""Real RTSP test cameras for benchmarks (../shared/tools/rtsp-test-camera), at a chosen size."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("URBANWATCH_SHARED", ROOT.parent / "shared")).resolve()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scaled_copy(src: Path, out: Path, width: int, height: int) -> Path:
    """The clip as a camera substream would send it: H.264 at width x height (cached)."""
    if not out.exists() or out.stat().st_mtime < src.stat().st_mtime:
        subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(src), "-an",
             "-vf", f"scale={width}:{height}", "-c:v", "libx264", "-preset", "veryfast", str(out)],
            check=True,
        )
    return out


class CameraServer:
    def __init__(self, rundir: Path, clips: dict[str, Path]):
        self.script = SHARED / "tools/rtsp-test-camera/camera.sh"
        if not self.script.exists():
            raise SystemExit(f"RTSP test camera not found at {self.script} (set URBANWATCH_SHARED)")
        self.rundir, self.clips, self.port = rundir, clips, free_port()

    @property
    def pid(self) -> int | None:
        """The server process (while started), to account for the CPU it takes."""
        try:
            return int((self.rundir / f"server-{self.port}.pid").read_text())
        except (OSError, ValueError):
            return None

    def url(self, name: str) -> str:
        return f"rtsp://127.0.0.1:{self.port}/{name}"

    def start(self) -> None:
        specs = [f"{n}={p}" for n, p in self.clips.items()]
        subprocess.run([str(self.script), "start", str(self.port), str(self.rundir), *specs], check=True,
                       capture_output=True, timeout=300)

    def stop(self) -> None:
        subprocess.run([str(self.script), "stop", str(self.port), str(self.rundir)], timeout=30, check=False)

    def __enter__(self) -> CameraServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
