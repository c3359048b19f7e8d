"""`urbanwatch eval --report DIR`: every alert, miss and false alert on its frame, in a page that
needs nothing but its folder and escapes every text it took from a ground-truth file."""

import json
import re
import subprocess
import sys
from html.parser import HTMLParser

import cv2
import numpy as np
import pytest

from urbanwatch.evaluation.ground_truth import GroundTruth
from urbanwatch.evaluation.html_report import entries, write_report
from urbanwatch.evaluation.runner import ClipResult
from urbanwatch.evaluation.scoring import Alert, score_clip

from .conftest import ROOT, shared_path

EVIL = "<script>alert('x')</script>"


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.images, self.figures, self.text = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "figure":
            self.figures.append(attrs["class"])
        for name, value in attrs.items():
            assert not name.startswith("on") and "javascript:" not in (value or ""), (tag, name)

    def handle_data(self, data):
        self.text.append(data)


def synthetic_result() -> ClipResult:
    gt = GroundTruth.model_validate({
        "schema": "urbanwatch-gt/1", "clip": f"a&b {EVIL}.mp4", "width": 640, "height": 480, "fps": 10,
        "frames": 300, "rules": {"dumping_unattended_s": 5, "encroachment_dwell_s": 3},
        "zones": [{"name": EVIL, "kind": "no_dumping", "polygon": [[0, 200], [640, 200], [640, 480], [0, 480]]}],
        "events": [
            {"id": EVIL, "type": "dumping", "zone": EVIL, "bbox": [100, 300, 160, 360], "start_frame": 10,
             "owner_left_frame": 20},  # due at 7 s, found at 8 s
            {"id": "e2", "type": "dumping", "zone": EVIL, "bbox": [400, 300, 450, 350], "start_frame": 100,
             "owner_left_frame": 120},  # due at 17 s, alerted 15 s late: a miss and a false alert
        ]})
    alerts = [Alert("dumping", (104, 302, 162, 358), 8.0), Alert("dumping", (398, 305, 452, 349), 32.0),
              Alert("dumping", (10, 210, 40, 250), 20.0)]
    frame = np.full((480, 640, 3), 90, np.uint8)
    images = {"alert:0": frame, "alert:1": frame, "alert:2": frame, "due:e2": frame}
    times = {"alert:0": 8.0, "alert:1": 32.0, "alert:2": 20.0, "due:e2": 17.0}
    return ClipResult(gt, alerts, score_clip(gt, alerts), 60, 30.0, 3.0, 60, images, times)


def test_report_entries_and_escaping(tmp_path):
    r = synthetic_result()
    assert (r.score.tp, r.score.fp, r.score.fn) == (1, 2, 1)
    kinds = [(e.kind, e.image_key) for e in entries(r)]
    assert kinds == [("alert", "alert:0"), ("miss", "due:e2"), ("false alert", "alert:2"),
                     ("false alert", "alert:1")]  # in clip time
    miss = entries(r)[1]
    assert "nearest dumping alert: 32.0 s (lag +15.0 s)" in " ".join(miss.caption)

    page = write_report([r], tmp_path / "rep", title=f"run {EVIL}")
    html = page.read_text()
    assert "<script" not in html and "&lt;script&gt;" in html
    parsed = Page()
    parsed.feed(html)
    assert parsed.figures == ["alert", "miss", "false", "false"]
    assert len(parsed.images) == 8  # a crop and a whole-frame thumbnail each
    for src in parsed.images:
        assert re.fullmatch(r"c\d\d_\d{3}_(crop|frame)\.jpg", src)  # beside the page, no external asset
        img = cv2.imread(str(tmp_path / "rep" / src))
        assert img is not None
    assert not re.search(r"(src|href)=['\"]?(https?:|//)", html)
    text = " ".join(parsed.text)
    assert "TP 1 · FP 2 · FN 1" in text and "lag +1.0 s · IoU" in text


def test_boxes_are_drawn_and_cropped(tmp_path):
    r = synthetic_result()
    write_report([r], tmp_path)
    crop = cv2.imread(str(tmp_path / "c00_000_crop.jpg"))
    thumb = cv2.imread(str(tmp_path / "c00_000_frame.jpg"))
    assert thumb.shape[1] == 400 and crop.shape[0] < 480 and crop.shape[1] < 640
    green = (np.abs(crop.astype(int) - (60, 200, 60)).sum(axis=2) < 60).sum()
    red = (np.abs(crop.astype(int) - (40, 40, 230)).sum(axis=2) < 60).sum()
    assert green > 50 and red > 50  # the annotated box and the alert's


@pytest.mark.e2e
def test_report_on_a_real_clip(tmp_path, pt_model):
    gt = shared_path("data/clips/dumping/bag_dragged_hallway_hevc.mp4.gt.json")
    run = subprocess.run([sys.executable, "-m", "urbanwatch", "eval", str(gt), "--model", str(pt_model),
                          "--json", str(tmp_path / "eval.json"), "--report", str(tmp_path / "rep")],
                         capture_output=True, text=True, timeout=600, cwd=ROOT,
                         env={"PATH": "/usr/bin:/bin", "COLUMNS": "160"})
    assert run.returncode == 0, run.stderr[-3000:]
    clip = json.loads((tmp_path / "eval.json").read_text())["clips"][0]
    parsed = Page()
    parsed.feed((tmp_path / "rep" / "index.html").read_text())
    # one entry per match, per miss and per false alert, each with its pictures
    assert parsed.figures.count("alert") == clip["tp"] >= 1
    assert parsed.figures.count("miss") == clip["fn"]
    assert parsed.figures.count("false") == clip["fp"]
    assert len(parsed.images) == 2 * (clip["tp"] + clip["fn"] + clip["fp"])
    for src in parsed.images:
        assert cv2.imread(str(tmp_path / "rep" / src)) is not None
    text = " ".join(parsed.text)
    assert "bag_dragged_hallway_hevc.mp4.gt.json" in text and "IoU" in text and "lag" in text
