import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from urbanwatch.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[1]


def cam(**kw):
    base = {"id": "c1", "name": "Camera 1", "ward": "Bến Thành", "url": "rtsp://10.0.0.1/stream"}
    base.update(kw)
    return base


def errors_of(data, env=None, base=Path(".")) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        parse_config(data, base, env or {})
    return exc.value.errors


def test_shipped_example_is_valid():
    settings = load_config(ROOT / "config.yaml", env={})
    cam0 = settings.cameras[0]
    assert cam0.detect.fps == 2 and cam0.detect.size == (640, 360)
    assert {z.kind for z in cam0.zones} == {"sidewalk", "no_dumping"}
    assert settings.storage.data_dir == (ROOT / "data").resolve()


def test_defaults_fill_zone_rules():
    s = parse_config(
        {"rules": {"encroachment": {"dwell_s": 42}},
         "cameras": [cam(zones=[{"name": "a", "kind": "sidewalk", "polygon": [[0, 0], [10, 0], [10, 10]]},
                                {"name": "b", "kind": "no_dumping", "polygon": [[0, 0], [10, 0], [10, 10]]}])]},
        Path("."), {},
    )
    a, b = s.cameras[0].zones
    assert a.dwell_s == 42 and a.objects == ["vehicle", "goods"]
    assert b.unattended_s == 60
    assert s.object_classes(["vehicle"]) == {"car", "motorcycle", "bicycle", "truck", "bus"}


def test_every_error_has_its_yaml_path():
    errs = errors_of({
        "server": {"port": 70000},
        "surprise": 1,
        "cameras": [
            cam(),
            cam(id="c2"),
            cam(id="c3", zones=[{"name": "z", "kind": "sidewalk", "polygon": [[0, 0], [5, 5]]}]),
        ],
    })
    assert "cameras[2].zones[0].polygon: needs at least 3 points" in errs
    assert "surprise: unknown key" in errs
    assert any(e.startswith("server.port: ") for e in errs)


@pytest.mark.parametrize(
    "zone, expected",
    [
        ({"name": "z", "kind": "pavement", "polygon": [[0, 0], [9, 0], [9, 9]]}, "cameras[0].zones[0].kind"),
        ({"name": "z", "kind": "sidewalk", "polygon": [[0, 0], [5, 5], [9, 9]]}, "encloses no area"),
        ({"name": "z", "kind": "sidewalk", "polygon": [[0, 0], [-5, 5], [9, 9]]}, "must not be negative"),
        ({"name": "z", "kind": "sidewalk", "polygon": [[0, 0], [9, 0], [9, 9]], "unattended_s": 5},
         "unattended_s applies to no_dumping zones"),
        ({"name": "z", "kind": "sidewalk", "polygon": [[0, 0], [9, 0], [9, 9]], "dwell": 5},
         "cameras[0].zones[0].dwell: unknown key"),
        # numbers a zone can never work with: NaN, infinity, absurd sizes (YAML spells .nan and .inf)
        ({"name": "z", "kind": "sidewalk", "polygon": [[0, 0], [9, 0], [float("nan"), 9]]},
         "cameras[0].zones[0].polygon[2][0]: Input should be a finite number"),
        ({"name": "z", "kind": "sidewalk", "polygon": [[0, 0], [9, 0], [1e300, 9]]}, "at most 100,000"),
        ({"name": "z", "kind": "sidewalk", "polygon": [[0, 0], [9, 0], [9, 9]], "dwell_s": float("inf")},
         "cameras[0].zones[0].dwell_s: Input should be a finite number"),
        ({"name": "z", "kind": "no_dumping", "polygon": [[0, 0], [9, 0], [9, 9]], "unattended_s": 1e9},
         "cameras[0].zones[0].unattended_s: Input should be less than or equal to 604800"),
        ({"name": "z", "kind": "sidewalk", "polygon": [[i % 7 * 10, i % 11 * 10] for i in range(300)]},
         "cameras[0].zones[0].polygon: List should have at most 256 items"),
    ],
)
def test_zone_errors(zone, expected):
    errs = errors_of({"cameras": [cam(zones=[zone])]})
    assert any(expected in e for e in errs), errs


def test_no_setting_is_nan_or_infinite():
    errs = errors_of({"rules": {"encroachment": {"dwell_s": float("inf")}}, "detector": {"confidence": float("nan")}})
    assert any(e.startswith("rules.encroachment.dwell_s: Input should be a finite number") for e in errs), errs
    assert any(e.startswith("detector.confidence: Input should be a finite number") for e in errs), errs


def test_camera_errors():
    errs = errors_of({"cameras": [cam(url="http://x/y"), cam(id="bad id!"), cam(url="missing.mp4", id="c3")]})
    assert any(e.startswith("cameras[0].url: must be an rtsp://") for e in errs)
    assert any(e.startswith("cameras[1].id: ") for e in errs)
    assert any(e.startswith("cameras[2].url: no such video file") for e in errs)
    errs = errors_of({"cameras": [cam(), cam()]})
    assert any("camera ids must be unique: c1" in e for e in errs)


def test_unknown_objects_are_named():
    errs = errors_of({"cameras": [cam(zones=[{"name": "z", "kind": "sidewalk", "polygon": [[0, 0], [9, 0], [9, 9]],
                                             "objects": ["vehicle", "elephant"]}])]})
    assert errs == ["cameras[0].zones[0].objects: unknown elephant "
                    "(use a category of detector.categories or a class listed there)"]


def test_env_substitution_and_missing_variables():
    s = parse_config({"cameras": [cam(url="rtsp://admin:${CAM_PW}@10.0.0.1/s")]}, Path("."), {"CAM_PW": "s3cret"})
    assert s.cameras[0].url == "rtsp://admin:s3cret@10.0.0.1/s"
    s = parse_config({"cameras": [cam(url="rtsp://${U:-viewer}@h/s")]}, Path("."), {})
    assert s.cameras[0].url == "rtsp://viewer@h/s"
    errs = errors_of({"cameras": [cam(url="rtsp://admin:${CAM_PW}@10.0.0.1/s")]})
    assert errs == ["cameras[0].url: environment variable CAM_PW is not set"]


def test_environment_overrides_per_machine_settings(tmp_path):
    env = {"URBANWATCH_MODEL": "/models/x.onnx", "URBANWATCH_DATABASE_URL": "postgresql+psycopg://u@h/db",
           "URBANWATCH_PORT": "9001", "URBANWATCH_WORKERS": "3"}
    s = parse_config({"detector": {"model": "a.pt"}}, tmp_path, env)
    assert s.detector.model == "/models/x.onnx"
    assert s.storage.resolved_database_url == "postgresql+psycopg://u@h/db"
    assert s.server.port == 9001 and s.workers.processes == 3
    errs = errors_of({}, env={"URBANWATCH_PORT": "eighty"})
    assert any(e.startswith("server.port:") for e in errs)


def test_relative_paths_follow_the_config_file(tmp_path):
    video = tmp_path / "clips" / "v.mp4"
    video.parent.mkdir()
    video.write_bytes(b"")
    cfg = tmp_path / "conf" / "c.yaml"
    cfg.parent.mkdir()
    cfg.write_text(yaml.safe_dump({"storage": {"data_dir": "../state"}, "cameras": [cam(url="../clips/v.mp4")]}))
    s = load_config(cfg, env={})
    assert s.storage.data_dir == (tmp_path / "state").resolve()
    assert s.storage.resolved_database_url == f"sqlite:///{(tmp_path / 'state' / 'urbanwatch.db').resolve()}"
    assert s.cameras[0].url == str(video.resolve())


def test_yaml_syntax_error_is_located(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("cameras:\n  - id: [unclosed\n")
    with pytest.raises(ConfigError) as exc:
        load_config(cfg, env={})
    assert "line" in exc.value.errors[0] and "not valid YAML" in exc.value.errors[0]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "urbanwatch", *args], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})


def test_check_config_command(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"cameras": [cam(), cam(id="c2"), cam(
        id="c3", zones=[{"name": "z", "kind": "sidewalk", "polygon": [[1, 1], [2, 2]]}])]}))
    out = _cli("check-config", str(bad))
    assert out.returncode == 1
    assert "cameras[2].zones[0].polygon: needs at least 3 points" in out.stderr
    ok = _cli("check-config", str(ROOT / "config.yaml"))
    assert ok.returncode == 0, ok.stderr
    assert "saigon-nguyen-hue-01" in ok.stdout and "valid" in ok.stdout
    assert "Phường Sài Gòn, Thành phố Hồ Chí Minh" in ok.stdout and "113 wards, 54 communes" in ok.stdout
    assert "${" not in ok.stdout


def test_a_recording_stream_is_checked_like_the_camera_stream(tmp_path):
    cam = {"id": "c1", "name": "C1", "ward": "Bến Thành", "url": "rtsp://10.0.0.1/sub"}
    ok = parse_config({"cameras": [{**cam, "record_url": "rtsp://10.0.0.1/main"}]}, tmp_path)
    assert ok.cameras[0].record_url == "rtsp://10.0.0.1/main"
    assert parse_config({"cameras": [cam]}, tmp_path).cameras[0].record_url is None
    with pytest.raises(ConfigError, match="record_url"):
        parse_config({"cameras": [{**cam, "record_url": "http://10.0.0.1/main"}]}, tmp_path)


def test_areas_are_the_citys_wards_and_communes_since_july_2025():
    areas = parse_config({}, Path("."), {}).areas
    kinds = [k for _, k in areas.units()]
    assert areas.city == "Thành phố Hồ Chí Minh"
    assert (kinds.count("ward"), kinds.count("commune"), kinds.count("special_zone")) == (113, 54, 1)
    assert areas.unit_kind("Bến Thành") == "ward" and areas.unit_kind("Côn Đảo") == "special_zone"


def test_a_camera_is_in_a_ward_not_a_district():
    (err,) = errors_of({"cameras": [cam(ward=None, district="Quận 1")]})
    assert "districts no longer exist since 1 July 2025" in err and "ward" in err
    (err,) = errors_of({"cameras": [cam(ward="Ben Thanh")]})
    assert err.startswith("cameras[0].ward: 'Ben Thanh' is not a ward, commune or special zone")
    assert "did you mean Bến Thành?" in err


def test_an_office_adds_its_own_areas_and_groups(tmp_path):
    own = tmp_path / "areas.yaml"
    own.write_text("city: Thành phố Thủ Nghiệm\nwards: [Một, Hai]\ncommunes: [Ba]\n")
    s = parse_config({"areas": {"file": "areas.yaml", "wards": ["Bốn"],
                                "groups": [{"name": "Đội 1", "members": ["Một", "Ba"]}]},
                      "cameras": [cam(ward="Bốn")]}, tmp_path, {})
    assert s.areas.units() == [("Một", "ward"), ("Hai", "ward"), ("Bốn", "ward"), ("Ba", "commune")]
    assert s.areas.unit_kind("Ba") == "commune" and s.areas.city == "Thành phố Thủ Nghiệm"
    errors = errors_of({"areas": {"file": "areas.yaml", "groups": [{"name": "Hai", "members": ["Năm"]}]}},
                       base=tmp_path)
    assert any("group 'Hai': the name is taken by a ward" in e for e in errors), errors
    assert any("Năm is not a ward, commune or special zone" in e for e in errors), errors
    # worker processes validate the settings again from their dump: the file is not read twice
    again = type(s).model_validate(s.model_dump(), context={"base_dir": str(tmp_path)})
    assert again.areas.units() == s.areas.units() and again.areas.groups == s.areas.groups
    default = parse_config({}, tmp_path, {})
    assert type(default).model_validate(default.model_dump()).areas.units() == default.areas.units()
    (err,) = errors_of({"areas": {"file": "missing.yaml"}}, base=tmp_path)
    assert "cannot read" in err and "missing.yaml" in err


def test_a_bow_tie_zone_is_refused():
    """Edges that cross leave the inside of a zone ambiguous: refused with the edges named."""
    (err,) = errors_of({"cameras": [cam(zones=[{"name": "a", "kind": "sidewalk",
                                                "polygon": [[0, 0], [100, 100], [100, 0], [0, 60]]}])]})
    assert err == "cameras[0].zones[0].polygon: edges 1 and 3 cross: draw the corners in order around the zone"
