"""A careless configuration gets one line naming the setting and a non-zero exit, never a
traceback: unreadable files, bad URLs, unreachable services, no cameras, no model."""

import subprocess
import sys

import pytest
import yaml

from urbanwatch.config import ConfigError, load_config

from ..conftest import ROOT, free_port, shared_path


def urbanwatch(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "urbanwatch", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})


@pytest.fixture
def runnable(tmp_path):
    """A configuration that would start: one replayed camera, a model on disk, a free port."""
    return {
        "server": {"port": free_port()},
        "storage": {"data_dir": str(tmp_path / "data")},
        "detector": {"model": str(shared_path("models/yolov8n_coco.pt"))},
        "cameras": [{"id": "c1", "name": "C1", "ward": "Bến Thành",
                     "url": str(shared_path("data/clips/street/vn_cars_parked_at_curb.mp4"))}],
    }


def write(tmp_path, data) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return str(path)


def one_clear_line(out, *expected):
    assert out.returncode != 0
    assert "Traceback" not in out.stderr + out.stdout, out.stderr[-2000:]
    for text in expected:
        assert text in out.stderr, out.stderr[-2000:]


def test_files_that_are_not_text(tmp_path):
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00")
    latin = tmp_path / "latin1.yaml"
    latin.write_bytes("cameras: []  # Ph\xf0\xf2\xf1ng".encode("latin-1"))
    for path, message in [(binary, "not a text file"), (latin, "not a UTF-8 text file")]:
        with pytest.raises(ConfigError, match=message):
            load_config(path)
    one_clear_line(urbanwatch("check-config", str(latin)), "not a UTF-8 text file")


def test_urls_that_cannot_be_a_database_or_redis(tmp_path, runnable):
    runnable["storage"].update(database_url="notaurl", redis_url="http://x")
    out = urbanwatch("check-config", write(tmp_path, runnable))
    one_clear_line(out, "storage.database_url: must be a PostgreSQL URL", "storage.redis_url: must be a redis://")


def test_services_that_do_not_answer_stop_the_start(tmp_path, runnable):
    dead = free_port()
    runnable["storage"]["database_url"] = f"postgresql+psycopg://postgres@127.0.0.1:{dead}/urbanwatch"
    one_clear_line(urbanwatch("run", "-c", write(tmp_path, runnable)),
                   f"storage.database_url: cannot open the database postgresql+psycopg://postgres@127.0.0.1:{dead}")
    runnable["storage"]["database_url"] = "postgresql+psycopg://postgres@127.0.0.1:5432/no_such_database_here"
    one_clear_line(urbanwatch("run", "-c", write(tmp_path, runnable)), "no_such_database_here")
    del runnable["storage"]["database_url"]
    runnable["storage"]["redis_url"] = f"redis://127.0.0.1:{dead}/0"
    one_clear_line(urbanwatch("run", "-c", write(tmp_path, runnable)), "storage.redis_url: no Redis answers")


def test_no_cameras_or_no_model_stops_the_start(tmp_path, runnable):
    (tmp_path / "empty.yaml").write_text("")
    one_clear_line(urbanwatch("run", "-c", str(tmp_path / "empty.yaml")), "cameras: none configured")
    runnable["detector"]["model"] = "yolo11n.pt"  # not on this machine: it must not be downloaded
    one_clear_line(urbanwatch("run", "-c", write(tmp_path, runnable)), "detector.model: no such file yolo11n.pt")


def test_verify_exit_codes_without_tracebacks(tmp_path, runnable):
    config = write(tmp_path, runnable)
    out = urbanwatch("verify", "99999999999999999999", "-c", config)
    assert out.returncode == 2 and "no event" in out.stderr and "Traceback" not in out.stderr
    runnable["storage"]["database_url"] = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x"
    out = urbanwatch("verify", "5", "-c", write(tmp_path, runnable))
    assert out.returncode == 3 and "could not check" in out.stderr and "Traceback" not in out.stderr
