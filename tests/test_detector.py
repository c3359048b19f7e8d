"""The real detector and tracker on a real street frame."""

import numpy as np
import pytest

from vision.detector import ModelNotFound, YoloDetector
from vision.matching import overlap
from vision.tracking import ObjectTracker

PARKED = [[1142, 190, 1322, 250], [1280, 216, 1378, 284]]  # ground truth e1, e2 of the curb clip


@pytest.fixture(scope="module")
def curb_frames(curb_clip):
    import av

    from streams.frames import to_bgr

    frames = []
    with av.open(str(curb_clip)) as c:
        for i, f in enumerate(c.decode(video=0)):
            if i % 15 == 0:
                frames.append(to_bgr(f))
            if len(frames) == 6:
                break
    return frames


@pytest.mark.parametrize("model_fixture", ["onnx_model", "pt_model"])
def test_detects_the_parked_cars(request, model_fixture, curb_frames):
    det = YoloDetector(str(request.getfixturevalue(model_fixture)), classes={"car", "truck"},
                       optional_classes={"person"})
    d = det.detect([curb_frames[0]])[0]
    assert set(d.class_name) <= {"car", "truck", "person"}
    cars = d[d.class_name != "person"]
    iou, _ = overlap(np.array(PARKED, np.float32), cars.xyxy)
    assert (iou.max(axis=1) >= 0.5).all(), iou


def test_missing_model_file_is_a_clear_error(tmp_path):
    with pytest.raises(ModelNotFound, match="model file not found"):
        YoloDetector(str(tmp_path / "nope.onnx"))


def test_unknown_class_is_a_clear_error(onnx_model):
    with pytest.raises(ValueError, match="no class named elephantine"):
        YoloDetector(str(onnx_model), classes={"car", "elephantine"})


def test_tracks_keep_their_ids(onnx_model, curb_frames):
    det = YoloDetector(str(onnx_model), classes={"car"})
    tracker = ObjectTracker(fps=2)
    ids = []
    for image in curb_frames:
        d = tracker.update(det.detect([image])[0])
        iou, _ = overlap(np.array(PARKED[:1], np.float32), d.xyxy)
        ids.append(int(d.tracker_id[iou[0].argmax()]))
    assert ids[0] > 0 and len(set(ids[1:])) == 1  # the parked car keeps one id once confirmed




def test_export_model_writes_an_onnx_the_fast_path_runs(tmp_path, pt_model, curb_frames):
    from typer.testing import CliRunner

    from urbanwatch.cli import app

    weights = tmp_path / pt_model.name
    weights.write_bytes(pt_model.read_bytes())  # the export must not write into ../shared
    result = CliRunner().invoke(app, ["export-model", str(weights), "--imgsz", "320"])
    assert result.exit_code == 0, result.output
    onnx = tmp_path / f"{pt_model.stem}_320.onnx"
    assert onnx.is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([weights.name, onnx.name])

    det = YoloDetector(str(onnx), imgsz=320, classes={"car", "truck"})
    tile = curb_frames[0][150:470, 1100:1420]  # a 320 px crop around the parked cars
    found = det.detect([tile])[0]
    shifted = np.array(PARKED, np.float32) - [1100, 150, 1100, 150]
    iou, _ = overlap(shifted, found.xyxy)
    assert (iou.max(axis=1) >= 0.5).all(), iou

    bad = CliRunner().invoke(app, ["export-model", str(weights), "--imgsz", "300"])
    assert bad.exit_code == 2 and "multiple of 32" in bad.output
