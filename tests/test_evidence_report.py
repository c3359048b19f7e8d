"""The evidence sheet for the sanction file (issue 17 item 2), on real parts: an event with real
snapshots and a real clip cut from shared footage, the PDF fetched through the app, rendered by
poppler (pdftoppm, pdftotext, pdfimages), its QR code read back by OpenCV and followed to the
verification page, which recomputes every file's SHA-256."""

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import cv2
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from models import Database
from models.evidence import record_file
from models.media import MediaStore
from models.schema import Camera, Zone
from models.users import create_api_token, create_user
from models.vocabulary import ClipState
from urbanwatch.config import parse_config
from urbanwatch.runtime.evidence import Provenance, record_snapshots, write_package

from .conftest import need, shared_path
from .helpers import PASSWORD, T0, add_camera, bearer, new_event

PROV = Provenance("yolov8n.onnx", "ab" * 32, 640, 0.25, "Asia/Ho_Chi_Minh", 30, 30)
REVIEWER = "Nguyễn Thị Lan"
ZONE_LABEL = "Vỉa hè trước số 12 Nguyễn Huệ"
CAMERA_ADDRESS = "12 Nguyễn Huệ, trước Bưu điện"


def tool(name: str) -> str:
    path = shutil.which(name)
    need(path is not None, f"{name} not found: install Debian's poppler-utils (scripts/system-packages.sh)")
    return path


def cut_clip(dst: Path) -> Path:
    """4 s of a shared street clip, as the recorder writes clips: H.264 in fragmented MP4."""
    src = shared_path("data/clips/street/street_parked_cars_curb.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", "2", "-t", "4", "-i", str(src), "-an", "-c:v", "libx264",
                    "-preset", "ultrafast", "-g", "25", "-movflags", "frag_keyframe+empty_moov+default_base_moof",
                    str(dst)], check=True, timeout=60)
    return dst


def snapshots_from(clip: Path) -> tuple[bytes, bytes]:
    """A clean JPEG of the clip's first frame, and the same with the object's box drawn."""
    cap = cv2.VideoCapture(str(clip))
    ok, frame = cap.read()
    cap.release()
    assert ok
    clean = cv2.imencode(".jpg", frame)[1].tobytes()
    cv2.rectangle(frame, (400, 300), (800, 600), (0, 0, 255), 4)
    return clean, cv2.imencode(".jpg", frame)[1].tobytes()


@pytest.fixture
def world(tmp_path):
    """The app on a fresh database with one camera (address, labelled zone), a confirmed event with
    its snapshots, clip and evidence package, the reviewer, and a user of another ward."""
    tool("pdftoppm")
    clip_file = cut_clip(tmp_path / "cut.mp4")
    settings = parse_config({"storage": {"data_dir": str(tmp_path / "data")}}, tmp_path, {})
    db = Database(settings.storage.resolved_database_url)
    db.upgrade()
    zone_id = add_camera(db)
    media = MediaStore(settings.storage.resolved_media_dir)
    with db.write() as s:
        s.get(Camera, "cam1").address = CAMERA_ADDRESS
        zone = s.get(Zone, zone_id)
        zone.params = {**zone.params, "label": ZONE_LABEL}
        sup = create_user(s, "lan", PASSWORD, "supervisor", ["Bến Thành"], display_name=REVIEWER)
        token = create_api_token(s, sup, "tests")
        other = create_api_token(s, create_user(s, "minh", PASSWORD, "supervisor", ["Tân Định"]), "tests")

    from models.events import create_event

    ne = new_event(zone_id=zone_id)  # raised at T0: 08:00:00 in Ho Chi Minh City
    ne.started_at = T0 - timedelta(minutes=4, seconds=12)
    stem = media.new_stem("cam1", ne.raised_at)
    clean, annotated = snapshots_from(clip_file)
    ne.snapshot = media.write(f"{stem}-clean.jpg", clean)
    ne.snapshot_annotated = media.write(f"{stem}-annotated.jpg", annotated)
    ne.clip = media.write(f"{stem}.mp4", clip_file.read_bytes())
    with db.write() as s:
        e = create_event(s, ne)
        e.clip_state = ClipState.COMPLETE
        e.clip_started_at, e.clip_ended_at = ne.raised_at - timedelta(seconds=2), ne.raised_at + timedelta(seconds=2)
        record_snapshots(s, media, e)
        record_file(s, media, e.id, "clip", e.clip)
        write_package(s, media, e, PROV)
        eid = e.id
    app = create_app(settings)
    with TestClient(app, headers=bearer(token)) as c:
        r = c.post(f"/api/events/{eid}/review", json={"decision": "confirm", "note": "Ô tô đỗ trên vỉa hè, cản lối đi"})
        assert r.status_code == 200, r.text
        yield c, eid, media, other, settings
    app.state.db.dispose()
    db.dispose()


def pdf_text(pdf: Path) -> str:
    return subprocess.run([tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_the_sheet_is_one_page_in_vietnamese_and_its_qr_verifies_the_files(world, tmp_path):
    c, eid, media, _, _ = world
    r = c.get(f"/api/events/{eid}/report.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["x-evidence-intact"] == "true"
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(r.content)

    info = subprocess.run([tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    assert fields["Pages"].strip() == "1" and fields["Page size"].strip() == "595.28 x 841.89 pts (A4)"

    text = pdf_text(pdf)
    for words in ("Lấn chiếm vỉa hè", REVIEWER, ZONE_LABEL, CAMERA_ADDRESS, "Nguyễn Huệ 1",
                  "Phường Bến Thành, Thành phố Hồ Chí Minh", "08:00:00 ngày 27/11/2026 (UTC+07:00)",
                  "07:55:48 ngày 27/11/2026", "4 phút 12 giây", "Đã xác nhận vi phạm", "Ô tô đỗ trên vỉa hè",
                  "Phương tiện (ô tô)", "Tất cả 4 tệp nguyên vẹn"):
        assert words in text, words
    checks = c.get(f"/api/events/{eid}/verification").json()["files"]
    assert {f["kind"] for f in checks} == {"snapshot", "snapshot_annotated", "clip", "metadata"}
    for f in checks:  # every file's SHA-256, in full
        assert f["sha256_recorded"] in text, f["kind"]

    # both snapshots and a strip of four frames from the clip are on the page
    images = subprocess.run([tool("pdfimages"), "-list", str(pdf)], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]
    assert len(images) == 6

    subprocess.run([tool("pdftoppm"), "-r", "200", "-png", "-singlefile", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=60)
    page = cv2.imread(str(tmp_path / "page.png"))
    assert page.shape[:2] == (2339, 1654)  # A4 at 200 dpi
    url, points, _ = cv2.QRCodeDetector().detectAndDecode(page)
    assert url == f"http://testserver/verify/{eid}"
    assert points is not None and points[0][:, 0].min() > page.shape[1] * 0.7  # top right, beside the facts

    path = url.removeprefix("http://testserver")
    signed_out = c.get(path, headers={"Authorization": ""})
    assert signed_out.status_code == 401 and "đăng nhập" in signed_out.text.lower()
    login = c.post("/api/auth/login", json={"username": "lan", "password": PASSWORD}, headers={"Authorization": ""})
    assert login.status_code == 200
    page_ok = c.get(path, headers={"Authorization": ""})  # the session cookie, as a phone that scanned it
    assert page_ok.status_code == 200 and 'data-verdict="intact"' in page_ok.text
    assert page_ok.text.count('data-status="intact"') == 4 and "nguyên vẹn / intact" in page_ok.text

    event = c.get(f"/api/events/{eid}").json()
    file = media.path(event["snapshot_annotated_url"].removeprefix("/media/"))
    file.write_bytes(file.read_bytes()[:-10] + b"tampered!!")  # ten bytes changed on disk
    page_bad = c.get(path, headers={"Authorization": ""})
    assert 'data-verdict="tampered"' in page_bad.text and "đã bị thay đổi / tampered" in page_bad.text
    assert page_bad.text.count('data-status="intact"') == 3
    v = c.get(f"/api/events/{eid}/verification").json()
    assert v["verdict"] == "tampered" and v["intact"] is False
    assert {f["kind"]: f["status"] for f in v["files"]}["snapshot_annotated"] == "modified"

    r = c.get(f"/api/events/{eid}/report.pdf?lang=en")  # the sheet says so too
    assert r.headers["x-evidence-intact"] == "false"
    pdf.write_bytes(r.content)
    text = pdf_text(pdf)
    assert "Sidewalk encroachment" in text and "WARNING: 1 of 4 files are not intact" in text and "tampered" in text


def test_each_download_is_audited_and_other_wards_get_404(world):
    c, eid, _, other, _ = world
    for lang in ("vi", "en"):
        assert c.get(f"/api/events/{eid}/report.pdf", params={"lang": lang}).status_code == 200
    assert c.get(f"/api/events/{eid}/report.pdf", params={"lang": "fr"}).status_code == 422
    reports = [i for i in c.get(f"/api/events/{eid}/timeline").json()["timeline"] if i["kind"] == "event.report"]
    assert len(reports) == 2 and reports[0]["by_name"] == REVIEWER
    assert reports[0]["after"]["intact"] is True and set(reports[0]["after"]["files"].values()) == {"intact"}

    for url in (f"/api/events/{eid}/report.pdf", f"/api/events/{eid}/verification", f"/verify/{eid}"):
        assert c.get(url, headers=bearer(other)).status_code == 404, url
    assert c.get("/api/events/999999/report.pdf").status_code == 404
    assert c.get(f"/api/events/{eid}/report.pdf", headers={"Authorization": ""}).status_code == 401


def test_the_qr_names_the_public_address_when_one_is_set(world, tmp_path):
    c, eid, _, _, settings = world
    c.app.state.settings = settings.model_copy(update={
        "server": settings.server.model_copy(update={"public_url": "https://giamsat.benthanh.example/uw"})})
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(c.get(f"/api/events/{eid}/report.pdf").content)
    assert f"https://giamsat.benthanh.example/uw/verify/{eid}" in pdf_text(pdf)
    assert c.get(f"/api/events/{eid}/verification").json()["verdict"] == "intact"


def test_a_sheet_without_clip_or_files_says_so_and_a_missing_font_is_named(tmp_path, monkeypatch):
    from api import evidence_sheet

    from .helpers import add_event, add_user

    settings = parse_config({"storage": {"data_dir": str(tmp_path / "data")}}, tmp_path, {})
    db = Database(settings.storage.resolved_database_url)
    db.upgrade()
    eid = add_event(db, zone_id=add_camera(db))  # its pictures were never written
    app = create_app(settings)
    with TestClient(app, headers=bearer(add_user(db, "lan", "supervisor"))) as c:
        r = c.get(f"/api/events/{eid}/report.pdf")
        assert r.status_code == 200 and r.headers["x-evidence-intact"] == "false"
        pdf = tmp_path / "sheet.pdf"
        pdf.write_bytes(r.content)
        text = pdf_text(pdf)
        for words in ("Không có đoạn phim", "Không đọc được ảnh", "Không có tệp chứng cứ", "Chưa xử lý"):
            assert words in text, words
        assert c.get(f"/api/events/{eid}/verification").json()["verdict"] == "none"

        monkeypatch.setattr(evidence_sheet, "FONT_DIR", tmp_path / "no-fonts")
        r = c.get(f"/api/events/{eid}/report.pdf")
        assert r.status_code == 500 and "fonts-dejavu-core" in r.json()["detail"]
    app.state.db.dispose()
    db.dispose()


def test_long_texts_shrink_the_pictures_and_never_add_a_page(tmp_path):
    """Every fact on two lines, a long note, eight files: still one page, every hash on it."""
    import numpy as np

    from api import evidence_sheet as es
    from models.evidence import Check

    long = "Lấn chiếm vỉa hè kéo dài " * 30
    picture = es.Picture("ảnh", np.full((720, 1280, 3), 128, np.uint8))
    kinds = ["snapshot", "snapshot_annotated", "crop_owner", "clip", "metadata", "crop_a", "crop_b"]
    checks = [Check(k, f"events/2026/11/27/cam1/{k}.bin", f"{i:02d}" * 32, None, 10**8) for i, k in enumerate(kinds)]
    sheet = es.Sheet("vi", 7, "bây giờ", "Asia/Ho_Chi_Minh", [(f"mục {i}", long) for i in range(10)],
                     [(f"ý {i}", long) for i in range(5)], [picture, picture], [picture] * 4, checks,
                     "https://giamsat.example.vn/verify/7", "0.1.0")
    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(es.render(sheet))
    info = subprocess.run([tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    assert dict(line.split(":", 1) for line in info.splitlines() if ":" in line)["Pages"].strip() == "1"
    text = pdf_text(pdf)
    assert all(c.expected in text for c in checks) and "CẢNH BÁO: 7 trong 7 tệp" in text
