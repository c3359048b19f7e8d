"""Tampering made on real footage with ffmpeg filters, and the production detector run over a clip.

Each kind is made on a shared clip from `ONSET_S` to `BACK_S` of video time (the view returns
after it), scaled to 640 pixels wide as a camera substream is, a keyframe a second as cameras
send. Used by the tests (tests/test_tampering.py) and by `python -m bench.tampering`, which
measures the detection delays and the false events on the unmodified clips.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from streams.video_file import sample_frames
from vision.tampering import Tamper, TamperChange, TamperingDetector

ONSET_S, BACK_S, LENGTH_S = 8.0, 20.0, 26.0
FPS = 2.0  # analysed frames per second: the detector's default detect fps
WINDOW = f"enable='between(t,{ONSET_S:g},{BACK_S:g})'"
STREET = "data/clips/street/street_parked_cars_curb.mp4"  # parked cars, passing traffic, 1280x720 30 fps
CROSSING = "data/clips/negatives/hanoi_red_light_wait.mp4"  # motorbikes waiting and leaving, 1620x720 30 fps


@dataclass(frozen=True)
class Tampering:
    source: str  # a clip under the shared material
    filters: str  # ffmpeg -filter_complex; [0] and [1] are both the source
    what: str


TAMPERINGS = {
    Tamper.COVERED: Tampering(
        STREET, f"[0]scale=640:-2,drawbox=x=0:y=0:w=iw:h=ih*0.92:color=black:t=fill:{WINDOW}",
        "a black cover over the top 92 % of the picture"),
    Tamper.DEFOCUSED: Tampering(
        CROSSING, f"[0]scale=640:-2,gblur=sigma=6:{WINDOW}", "Gaussian blur, sigma 6 pixels at 640 wide"),
    Tamper.MOVED: Tampering(
        CROSSING, f"[0]scale=640:-2,split[a][b];[b]crop=iw*0.9:ih:0:0[c];[a][c]overlay=x=W*0.1:y=0:{WINDOW}",
        "the view turned by a tenth of its width"),
    Tamper.FROZEN: Tampering(
        STREET, f"[0][1]freezeframes=first={round(ONSET_S * 29.97)}:last={round(BACK_S * 29.97)}"
                f":replace={round(ONSET_S * 29.97)},scale=640:-2",
        "one frame repeated (the stream still delivers)"),
}


def make_tampered_clip(shared: Path, kind: Tamper, out: Path) -> Path:
    """The source clip with `kind` from ONSET_S to BACK_S, LENGTH_S long, H.264 at 640 wide."""
    if shutil.which("ffmpeg") is None:
        raise RuntimeError("ffmpeg is not installed (scripts/system-packages.sh)")
    spec = TAMPERINGS[kind]
    src = str(shared / spec.source)
    cmd = ["ffmpeg", "-v", "error", "-y", "-t", f"{LENGTH_S:g}", "-i", src, "-t", f"{LENGTH_S:g}", "-i", src,
           "-filter_complex", spec.filters, "-an", "-c:v", "libx264", "-preset", "ultrafast", "-g", "30",
           "-pix_fmt", "yuv420p", str(out)]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"ffmpeg failed making {kind} from {src}: {run.stderr.strip()[-500:]}")
    return out


@dataclass(frozen=True)
class Seen:
    change: TamperChange
    at: float  # video time of the frame that raised or ended it


def detect_tampering(path: Path, fps: float = FPS) -> list[Seen]:
    """Every tampering change the production detector makes on a clip, sampled at `fps`."""
    detector = TamperingDetector()
    seen = []
    for t, _, image in sample_frames(str(path), fps):
        seen += [Seen(c, t) for c in detector.update(image, t).changes]
    return seen
