"""`urbanwatch eval`: ground-truth files read or refused one problem a line, scoring rules on
hand-made alerts, and the real pipeline on the shared clips against the committed floor."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from urbanwatch.cli import app
from urbanwatch.config import parse_config
from urbanwatch.evaluation.floor import model_matches, raise_floor, shortfalls
from urbanwatch.evaluation.ground_truth import GroundTruthError, camera_id, load_all, load_ground_truth
from urbanwatch.evaluation.runner import EvalError, clip_settings, run_clip, settings_errors
from urbanwatch.evaluation.scoring import Alert, clip_f1, pooled_f1, score_clip

from .conftest import ROOT, shared_path
from .helpers import encode_clip

FLOOR = Path(__file__).with_name("eval_floor.json")


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory) -> Path:
    """A real 640x480 video (1 s): the size the ground truth below is annotated at."""
    return encode_clip(tmp_path_factory.mktemp("clip") / "c.mp4", 10, fps=10, size=(640, 480))


def write_gt(tmp_path, clip_file=None, **over):
    clip = tmp_path / "c.mp4"
    if clip_file:
        shutil.copy(clip_file, clip)
    else:
        clip.write_bytes(b"")
    gt = {"schema": "urbanwatch-gt/1", "clip": "c.mp4", "width": 640, "height": 480, "fps": 10, "frames": 600,
          "rules": {"dumping_unattended_s": 5, "encroachment_dwell_s": 3},
          "zones": [{"name": "z", "kind": "no_dumping", "polygon": [[0, 0], [640, 0], [640, 480]]}],
          "events": [{"id": "e1", "type": "dumping", "zone": "z", "bbox": [100, 100, 150, 150],
                      "start_frame": 50, "owner_left_frame": 100, "note": "informational fields are ignored"}],
          "provenance": {"anything": 1}}
    gt.update(over)
    path = tmp_path / "c.mp4.gt.json"
    path.write_text(json.dumps(gt))
    return path


def test_scoring_rules(tmp_path):
    gt = load_ground_truth(write_gt(tmp_path), check_video=False)
    assert gt.due(gt.events[0]) == 15.0  # owner left at frame 100 (10 s) + 5 s
    hit = Alert("dumping", (105, 100, 155, 150), 16.0)
    assert score_clip(gt, [hit]).tp == 1 and score_clip(gt, [hit]).lags == [1.0]
    early = Alert("dumping", (105, 100, 155, 150), 12.9)  # more than 2 s before due
    late = Alert("dumping", (105, 100, 155, 150), 25.1)  # more than 10 s after
    elsewhere = Alert("dumping", (300, 300, 350, 350), 15.0)
    wrong_type = Alert("encroachment", (100, 100, 150, 150), 15.0)
    for a in (early, late, elsewhere, wrong_type):
        s = score_clip(gt, [a])
        assert (s.tp, s.fp, s.fn) == (0, 1, 1)
    twice = score_clip(gt, [hit, Alert("dumping", (100, 100, 150, 150), 18.0)])
    assert (twice.tp, twice.fp, twice.fn) == (1, 1, 0)  # a second alert on the same object is false
    assert twice.precision == 0.5 and twice.recall == 1.0 and twice.f1 == pytest.approx(2 / 3)


def test_f1_for_means_and_pools():
    assert clip_f1(0, 0, 0, negative=True) == 1.0  # a silent negative clip is perfect ...
    assert clip_f1(0, 1, 0, negative=True) == 0.0  # ... and one alert on it is a total failure
    assert clip_f1(0, 0, 2, negative=False) == 0.0  # a positive clip that raised nothing
    assert clip_f1(1, 1, 0, negative=False) == pytest.approx(2 / 3)
    assert pooled_f1(0, 0, 0) == 1.0 and pooled_f1(3, 1, 2) == pytest.approx(6 / 9)


def test_camera_id_from_the_clip_file_name():
    assert camera_id("../clips/x.mp4") == "x"
    assert camera_id("cams/q1 cam07.mp4") == "q1_cam07"
    assert camera_id(".hidden.mp4") == "hidden"
    assert camera_id("-x.mp4") == "x"
    assert camera_id("..") == "clip"
    assert camera_id("a\\b\\c.avi") == "c"
    assert len(camera_id("v" * 200 + ".mp4")) <= 64


def test_clip_in_another_folder_and_clips_of_one_name(tmp_path, tiny_clip):
    """`clip` with a folder (relative to the .gt.json) runs; two clips of one name get two ids."""
    gts = []
    for cam in ("cam1", "cam2"):
        (tmp_path / "clips" / cam).mkdir(parents=True)
        shutil.copy(tiny_clip, tmp_path / "clips" / cam / "x.mp4")
        gt_dir = tmp_path / "gt" / cam
        gt_dir.mkdir(parents=True)
        gts.append(write_gt(gt_dir, clip=f"../../clips/{cam}/x.mp4"))
    loaded = load_all(gts)
    assert [g.camera_id for g in loaded] == ["x", "x-2"]
    base = parse_config({}, tmp_path)
    for g in loaded:
        assert g.clip_path.resolve().is_file()
        assert settings_errors(g, base, 2.0) == []
        cam = clip_settings(g, base, 2.0).cameras[0]
        assert cam.id == g.camera_id and Path(cam.url) == g.clip_path.resolve()


def test_a_clip_that_breaks_after_loading_is_one_line(tmp_path, tiny_clip):
    gt = load_ground_truth(write_gt(tmp_path, tiny_clip))
    base = parse_config({}, tmp_path)
    (tmp_path / "c.mp4").write_bytes(b"\x00garbage" * 100)  # replaced after the check
    with pytest.raises(EvalError, match=r"c.mp4.gt.json: clip: cannot decode .*c.mp4: Invalid data"):
        run_clip(gt, base, detector=None)
    (tmp_path / "c.mp4").unlink()
    with pytest.raises(EvalError, match=r"c.mp4.gt.json: clip: no such video file"):
        run_clip(gt, base, detector=None)


BAD = {  # what is wrong -> (file contents or ground-truth changes, the field, words of the message)
    "not UTF-8": (b'{"schema": "\xff\xfe"}', "", "not UTF-8"),
    "binary": (b"\x00\x01\x02\x03PK", "", "binary"),
    "not JSON": (b'{"schema": ', "", "not JSON (line 1"),
    "array": (b"[1, 2]", "(top level)", "must be a JSON object, got list"),
    "string width": ({"width": "640"}, "width", "valid integer"),
    "float frames": ({"frames": 600.5}, "frames", "valid integer"),
    "bool fps": ({"fps": True}, "fps", "valid number"),
    "events not a list": ({"events": {"id": "e1"}}, "events", "valid list"),
    "zone not an object": ({"zones": ["z"]}, "zones[0]", "must be a JSON object"),
    "NaN fps": ({"fps": float("nan")}, "fps", "finite number"),
    "infinite rule": ({"rules": {"dumping_unattended_s": float("inf"), "encroachment_dwell_s": 3}},
                      "rules.dumping_unattended_s", "finite number"),
    "negative bbox": ({"events": [{"id": "e1", "type": "dumping", "zone": "z", "bbox": [-5, 100, 150, 150],
                                   "start_frame": 50, "owner_left_frame": 100}]},
                      "events[0].bbox[0]", "greater than or equal to 0"),
    "negative width": ({"width": -640}, "width", "greater than 0"),
    "negative frame": ({"events": [{"id": "e1", "type": "dumping", "zone": "z", "bbox": [100, 100, 150, 150],
                                    "start_frame": -1, "owner_left_frame": 100}]},
                       "events[0].start_frame", "greater than or equal to 0"),
    "bbox x2 < x1": ({"events": [{"id": "e1", "type": "dumping", "zone": "z", "bbox": [150, 100, 100, 150],
                                  "start_frame": 50, "owner_left_frame": 100}]}, "events[0].bbox", "x2 > x1"),
    "bbox outside": ({"events": [{"id": "e1", "type": "dumping", "zone": "z", "bbox": [600, 100, 700, 150],
                                  "start_frame": 50, "owner_left_frame": 100}]}, "events[0].bbox", "outside"),
    "zone point outside": ({"zones": [{"name": "z", "kind": "no_dumping", "polygon": [[0, 0], [900, 0], [0, 480]]}]},
                           "zones[0].polygon[1]", "outside the 640x480 frame"),
    "frame past the end": ({"events": [{"id": "e1", "type": "dumping", "zone": "z", "bbox": [100, 100, 150, 150],
                                        "start_frame": 50, "owner_left_frame": 100, "end_frame": 600}]},
                           "events[0].end_frame", "past the clip's last frame"),
    "owner leaves first": ({"events": [{"id": "e1", "type": "dumping", "zone": "z", "bbox": [100, 100, 150, 150],
                                        "start_frame": 50, "owner_left_frame": 40}]},
                           "events[0].owner_left_frame", "before start_frame"),
    "unknown zone": ({"events": [{"id": "e1", "type": "dumping", "zone": "nope", "bbox": [0, 0, 1, 1],
                                  "start_frame": 1, "owner_left_frame": 2}]}, "events[0].zone", "unknown zone"),
    "wrong zone kind": ({"events": [{"id": "e1", "type": "encroachment", "zone": "z", "bbox": [0, 0, 1, 1],
                                     "start_frame": 1}]}, "events[0].zone", "need a sidewalk zone"),
    "no owner_left_frame": ({"events": [{"id": "e1", "type": "dumping", "zone": "z", "bbox": [0, 0, 1, 1],
                                         "start_frame": 1}]}, "events[0].owner_left_frame", "required"),
    "rules not an object": ({"rules": None}, "rules", "must be a JSON object"),
    "unsupported schema": ({"schema": "other/2"}, "schema", "unsupported schema"),
    "missing clip": ({"clip": "missing.mp4"}, "clip", "not found"),
    "unreadable clip": ({"clip": "garbage.mp4"}, "clip", "cannot read the video"),
    "size mismatch": ({"width": 1280, "height": 720}, "width, height", "the clip's frames are 640x480"),
    "zone on a line": ({"zones": [{"name": "z", "kind": "no_dumping", "polygon": [[0, 0], [10, 10], [20, 20]]}]},
                       "zones[0].polygon", "encloses no area"),  # the configuration's own check
}


def bad_file(tmp_path, tiny_clip, contents) -> Path:
    (tmp_path / "garbage.mp4").write_bytes(b"\x00garbage" * 100)
    if isinstance(contents, bytes):
        path = tmp_path / "x.gt.json"
        path.write_bytes(contents)
        return path
    return write_gt(tmp_path, tiny_clip, **contents)


@pytest.mark.parametrize("what", BAD)
def test_a_bad_ground_truth_file_is_one_line_naming_file_and_field(tmp_path, tiny_clip, what):
    contents, where, words = BAD[what]
    path = bad_file(tmp_path, tiny_clip, contents)
    # a narrow terminal: the line must still be one line
    run = CliRunner().invoke(app, ["eval", str(path), "--model", "no-model-needed.pt"], env={"COLUMNS": "60"})
    assert run.exit_code == 1 and isinstance(run.exception, SystemExit), run.output
    lines = [line for line in run.output.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error {path}: {where}: " if where else f"error {path}: "), lines
    assert words in lines[0], lines


def test_every_bad_file_is_reported_at_once(tmp_path, tiny_clip):
    paths = []
    for i, what in enumerate(("negative bbox", "NaN fps", "array")):
        d = tmp_path / str(i)
        d.mkdir()
        paths.append(bad_file(d, tiny_clip, BAD[what][0]))
    (tmp_path / "3").mkdir()
    two = write_gt(tmp_path / "3", tiny_clip, width="640", frames=-1)
    with pytest.raises(GroundTruthError) as exc:
        load_all([*paths, two, tmp_path / "absent.gt.json"])
    assert len(exc.value.errors) == 6, exc.value.errors  # one line per problem, two in the fourth file
    assert exc.value.errors[-1].startswith(f"{tmp_path / 'absent.gt.json'}: cannot read")


def test_the_floor_only_goes_up():
    floor = json.loads(FLOOR.read_text())
    assert floor["model"] == "yolov8n_coco.pt" and floor["fps"] == 2.0 and floor["negatives_silent"]

    def clip(name, tp, fp, fn, negative=False, alerts=None):
        return {"gt": name, "tp": tp, "fp": fp, "fn": fn, "negative": negative,
                "alerts": alerts if alerts is not None else [{}] * (tp + fp)}

    old = {"overall_f1": 0.5, "negatives_silent": False, "clips": {"a": 0.5, "b": 1.0}}
    worse = {"model": "m.pt", "fps": 2, "clips": [clip("a", 0, 0, 2), clip("b", 1, 0, 0), clip("n", 0, 1, 0, True)]}
    assert shortfalls(old, worse) == ["overall F1 0.400 is below the floor 0.500",
                                      "a: F1 0.000 is below its floor 0.500"]
    new, changes = raise_floor(old, worse)
    assert new == old and changes == []  # a worse run lowers nothing
    better = {"clips": [clip("a", 2, 0, 0), clip("b", 1, 1, 0), clip("c", 2, 1, 0), clip("n", 0, 0, 0, True)]}
    new, changes = raise_floor(old, better)
    assert new == {"overall_f1": 0.833, "negatives_silent": True, "clips": {"a": 1.0, "b": 1.0, "c": 0.8}}
    assert len(changes) == 4  # overall, silent negatives, a up, c new; b stays at 1.0 though it fell
    assert raise_floor(new, better)[1] == []
    assert shortfalls(new, {"clips": [clip("a", 2, 0, 0), clip("c", 2, 1, 0), clip("n", 0, 1, 0, True)]}) == [
        "overall F1 0.800 is below the floor 0.833", "n: 1 alerts on a negative clip",
        "b: has a floor but did not run (removed from the set? edit the floor by hand)"]
    assert raise_floor(old, {"clips": [clip("a", 2, 1, 1)]})[0]["clips"]["a"] == 0.666  # rounded down


@pytest.mark.e2e
@pytest.mark.timeout(900)
def test_eval_on_the_shared_clips(tmp_path, pt_model):
    """Every shared clip (the set grows; at least the 11 of today) against tests/eval_floor.json."""
    floor = json.loads(FLOOR.read_text())
    clips = shared_path("data/clips")
    gts = sorted(str(p) for p in clips.glob("*/*.gt.json"))
    assert len(gts) >= 11
    out = tmp_path / "eval.json"
    run = subprocess.run([sys.executable, "-m", "urbanwatch", "eval", *gts, "--model", str(pt_model),
                          "--fps", str(floor["fps"]), "--json", str(out)], capture_output=True, text=True,
                         timeout=900, cwd=ROOT, env={"PATH": "/usr/bin:/bin", "COLUMNS": "160"})
    assert run.returncode == 0, run.stderr[-3000:]
    print(run.stdout)
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    (ROOT / "test-artifacts" / "eval.json").write_text(out.read_text())  # for bench.ratchet --from-json
    report = json.loads(out.read_text())
    assert len(report["clips"]) == len(gts) and model_matches(floor, report)
    for clip in report["clips"]:
        for alert in clip["alerts"]:
            assert set(alert) == {"type", "bbox", "t"} and len(alert["bbox"]) == 4
    below = shortfalls(floor, report)
    assert not below, "below tests/eval_floor.json:\n" + "\n".join(below)
