"""Clips re-encoded the ways real cameras differ from the annotated ones, ground truth carried over.

Each perturbation is an ffmpeg filter chain and, where it moves pixels or frames, the matching
change to the ground truth (boxes and zones scaled, frame numbers rescaled). Every other clip is
encoded at high quality (CRF 18) with its frames kept one for one, so that only the named
difference changes; `reencode` is that encoding alone, the control."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from streams.video_file import probe

from .ground_truth import GroundTruth

PERTURBATIONS = {
    "dusk": "light falling smoothly to 45 % over the clip",
    "noise": "sensor noise (ffmpeg noise, strength 12, changing every frame)",
    "low_bitrate": "H.264 at 200 kbit/s for 1280x720, scaled by pixel count (blocking)",
    "320x240": "scaled to fit inside 320x240, aspect kept",
    "fps5": "5 frames per second",
    "fps25": "25 frames per second",
    "shake": "camera shake: a few pixels of jittering translation",
    "reencode": "control: the high-quality re-encode every other perturbation also goes through",
}
DUSK_END = 0.45  # brightness at the end of the clip, as a fraction of the start
LOW_KBPS_720P = 200
LOW_KBPS_MIN = 32  # below this x264 gives up on the picture entirely at 320x240


@dataclass(frozen=True)
class Plan:
    vf: str  # the filter chain after the common prefix
    size: tuple[int, int]  # output width, height
    fps: float | None  # output frame rate; None: frames kept one for one
    rate_kbps: int | None = None  # constrained bitrate instead of CRF 18
    scale: tuple[float, float] = (1.0, 1.0)  # output pixels per input pixel


def _even(v: float) -> int:
    return max(2, int(round(v / 2)) * 2)


def plan(name: str, width: int, height: int, duration_s: float) -> Plan:
    """The filter chain for a clip of this size and length (even sizes: x264 needs them)."""
    w, h = width // 2 * 2, height // 2 * 2
    if name == "reencode":
        return Plan("null", (w, h), None)
    if name == "dusk":  # fade multiplies luma above black and chroma around grey: a darkening scene
        return Plan(f"fade=t=out:st=0:d={duration_s / (1 - DUSK_END):.3f}", (w, h), None)
    if name == "noise":
        return Plan("noise=alls=12:allf=t", (w, h), None)
    if name == "low_bitrate":
        kbps = max(LOW_KBPS_MIN, round(LOW_KBPS_720P * w * h / (1280 * 720)))
        return Plan("null", (w, h), None, kbps)
    if name == "320x240":
        k = min(1.0, 320 / w, 240 / h)
        size = (min(320, _even(w * k)), min(240, _even(h * k)))
        return Plan(f"scale={size[0]}:{size[1]}:flags=area", size, None, scale=(size[0] / w, size[1] / h))
    if name in ("fps5", "fps25"):
        fps = float(name[3:])
        # round=up: new frame k shows the last source frame at or before k / fps, as a camera
        # sampling at that rate would
        return Plan(f"fps={fps:g}:round=up", (w, h), fps)
    if name == "shake":  # pad by mirroring, then a window wandering +-a px: same size, no black edges
        a = 2 * max(1, round(2 * h / 720))
        dx = f"{a}+{a}*(0.6*sin(2*PI*2.3*t)+0.4*sin(2*PI*5.3*t+1.3))"
        dy = f"{a}+{a}*(0.6*sin(2*PI*1.9*t+0.7)+0.4*sin(2*PI*4.1*t+2.1))"
        return Plan(f"pad=iw+{2 * a}:ih+{2 * a}:{a}:{a},"
                    f"fillborders=left={a}:right={a}:top={a}:bottom={a}:mode=mirror,"
                    f"crop={w}:{h}:x='{dx}':y='{dy}':exact=1", (w, h), None)
    raise ValueError(f"unknown perturbation '{name}' (one of {', '.join(PERTURBATIONS)})")


def ffmpeg_args(src: Path, dst: Path, p: Plan) -> list[str]:
    # crop to even sizes first (top-left anchored: coordinates do not move), clock from 0
    vf = f"crop=trunc(iw/2)*2:trunc(ih/2)*2:0:0,setpts=PTS-STARTPTS,{p.vf},format=yuv420p"
    rate = (["-b:v", f"{p.rate_kbps}k", "-maxrate", f"{p.rate_kbps}k", "-bufsize", f"{2 * p.rate_kbps}k"]
            if p.rate_kbps else ["-crf", "18"])
    return ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), "-map", "0:v:0", "-an", "-vf", vf,
            "-c:v", "libx264", "-preset", "veryfast", *rate, "-fps_mode", "passthrough", str(dst)]


def transform_gt(data: dict, p: Plan, frames: int, name: str) -> dict:
    """The ground truth for the clip perturbed by plan `p`: coordinates scaled (and kept inside
    the new size), frame numbers rescaled when the frame rate changed, `frames` the new count."""
    out = json.loads(json.dumps(data))
    size, fps = p.size, p.fps
    sx, sy = p.scale
    ratio = fps / data["fps"] if fps else 1.0

    def pt(x, y):
        return [round(min(x * sx, size[0]), 2), round(min(y * sy, size[1]), 2)]

    def frame(f):  # the first new frame that shows the annotated moment (no earlier than it)
        return None if f is None else min(frames - 1, math.ceil(f * ratio - 1e-6))

    out.update(width=size[0], height=size[1], frames=frames, perturbation=name)
    if fps:
        out["fps"] = fps
    for z in out["zones"]:
        z["polygon"] = [pt(x, y) for x, y in z["polygon"]]
    for e in out.get("events", []):
        x1, y1, x2, y2 = e["bbox"]
        e["bbox"] = pt(x1, y1) + pt(x2, y2)
        for key in ("start_frame", "owner_left_frame", "end_frame"):
            if e.get(key) is not None:
                e[key] = frame(e[key])
    return out


class PerturbError(RuntimeError):
    pass


def perturb_clip(gt: GroundTruth, name: str, out_dir: Path) -> Path:
    """Writes the perturbed clip and its .gt.json side by side in out_dir; returns the .gt.json."""
    if not shutil.which("ffmpeg"):
        raise PerturbError("ffmpeg not found on PATH")
    info = probe(str(gt.clip_path))
    p = plan(name, info.width, info.height, info.duration_s or gt.frames / gt.fps)
    out_dir.mkdir(parents=True, exist_ok=True)
    clip = out_dir / f"{Path(gt.clip).name.rsplit('.', 1)[0]}.mp4"
    run = subprocess.run(ffmpeg_args(gt.clip_path, clip, p), capture_output=True, text=True)
    if run.returncode:
        raise PerturbError(f"{gt.name}: ffmpeg ({name}) failed: {run.stderr.strip()[-500:]}")
    data = json.loads(gt.path.read_text(encoding="utf-8-sig"))
    data["clip"] = clip.name
    new = probe(str(clip))
    frames = new.frames if p.fps else gt.frames  # one for one: the annotation's count stands
    path = out_dir / f"{clip.name}.gt.json"
    path.write_text(json.dumps(transform_gt(data, p, frames, name), indent=1))
    return path


def perturb_set(gts: list[GroundTruth], name: str, out_dir: Path) -> list[Path]:
    """Every clip perturbed into out_dir/<its folder name>/ (clips of two folders may share a name)."""
    return [perturb_clip(gt, name, out_dir / gt.path.parent.name) for gt in gts]
