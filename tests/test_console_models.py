"""The detection models page (admins) in Debian's Chromium against the real API and a real SQLite
database: the registry newest first with states, people, metrics and the shadow comparison; a
promotion asked for first; a rollback that needs a note; shadow mode started and stopped; the
configuration's model named while none from the registry is live; no sideways scroll at 1280x720
and 390x844; no English word on the Vietnamese page. Screenshots: test-artifacts/screenshots/15-models-*.png.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from api.app import create_app
from models import Database, registry
from models.audit import entries
from models.schema import User
from urbanwatch.config import parse_config

from .browser import chromium, screenshot
from .helpers import add_user
from .live_server import LiveServer
from .test_console_workspace import ALLOWED, latin_words, page_does_not_scroll, sign_in, visible_text

CONFIGURED = "/srv/urbanwatch/models/yolov8n_coco.pt"
ADMIN = ("chief", "Nguyễn Văn An")
TRAINER = ("trang", "Phạm Thu Trang")
AGAINST = {"model": "yolov8n_coco.pt", "sha256": "9f" * 32}
MODELS = [  # name, file, sha256, classes, metrics, trained_from (as `urbanwatch train` stores them)
    ("Vỉa hè Quận 1 – tháng 10", "/srv/urbanwatch/models/via-he-q1-t10.pt", "1a" * 32, ["car", "motorcycle"],
     {"clips": {"against": AGAINST, "candidate": {"clips": 6, "fps": 2.0, "tp": 9, "fp": 2, "fn": 2, "f1": 0.81,
                                                  "precision": 0.8, "recall": 0.82, "per_clip": {"curb": 0.8}},
                "running": {"clips": 6, "fps": 2.0, "tp": 7, "fp": 3, "fn": 4, "f1": 0.7, "precision": 0.75,
                            "recall": 0.66, "per_clip": {"curb": 0.7}}}},
     {"dataset": "/srv/urbanwatch/datasets/q1-2026-10", "epochs": 40, "base_model": "yolov8n.pt"}),
    ("Vỉa hè Quận 1 – tháng 11", "/srv/urbanwatch/models/via-he-q1-t11.pt", "2b" * 32,
     ["car", "motorcycle", "stool_chair", "stall_cart"],
     {"reviews": {"dataset": "/srv/urbanwatch/datasets/q1-2026-11", "against": AGAINST,
                  "candidate": {"pictures": 40, "objects": 52, "found": 47, "recall": 0.9, "false_alarms": 12,
                                "recall_by_category": {"goods": 0.9}},
                  "running": {"pictures": 40, "objects": 52, "found": 44, "recall": 0.84, "false_alarms": 20,
                              "recall_by_category": {"goods": 0.8}}}},
     {"dataset": "/srv/urbanwatch/datasets/q1-2026-11", "epochs": 60, "base_model": "v1"}),
    ("Rác thải – thử nghiệm", "/srv/urbanwatch/models/rac-thai.pt", "3c" * 32, ["garbage_bag", "garbage_pile"],
     {}, {}),
]


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("models-console")
    url = f"sqlite:///{tmp / 'urbanwatch.db'}"
    db = Database(url)
    db.upgrade()
    for (username, full), role in ((ADMIN, "admin"), (TRAINER, "admin")):
        add_user(db, username, role, city_wide=True)
        with db.write() as s:
            s.query(User).filter_by(username=username).one().display_name = full
    with db.write() as s:
        trainer = s.query(User).filter_by(username=TRAINER[0]).one()
        made = [registry.register(s, name=n, path=p, sha256=h, classes=c, metrics=m, trained_from=tf,
                                  user=trainer if i < 2 else None) for i, (n, p, h, c, m, tf) in enumerate(MODELS)]
        # the newest ran in shadow once (its comparison kept); the second runs in shadow now
        registry.start_shadow(s, made[2], 0.1, trainer)
        registry.stop_shadow(s, made[2], trainer)
        registry.start_shadow(s, made[1], 0.25, trainer)
    settings = parse_config({"storage": {"database_url": url, "media_dir": str(tmp / "media")},
                             "detector": {"model": CONFIGURED}}, Path("."), {})
    app = create_app(settings, db, poll_s=0.05)
    with LiveServer(app) as srv:
        yield SimpleNamespace(http=srv.url, db=db)
    db.dispose()


def card(page, label):
    return page.locator(".model-card", has=page.locator(".model-version", has_text=label))


def open_models(page, console):
    sign_in(page, console, ADMIN[0])
    page.click(".tabs button[data-view=models]")
    page.wait_for_selector(".model-card")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")


def test_models_page_lists_promotes_and_rolls_back(console):
    with chromium(1280, 720) as browser:
        page = browser.page()
        open_models(page, console)
        assert [v.inner_text() for v in page.locator(".model-version").all()] == ["v3", "v2", "v1"]
        running = page.inner_text("#models-running")
        assert "yolov8n_coco.pt" in running and "mô hình trong tệp cấu hình" in running
        assert "v2" in running and "25 %" in running  # the model in shadow, and on how many frames
        assert page.locator("#models-rollback").is_hidden()

        v1, v2, v3 = card(page, "v1"), card(page, "v2"), card(page, "v3")
        text = v1.inner_text()
        assert "Ứng viên" in text and "Phạm Thu Trang" in text and "ô tô · xe máy" in text
        assert "bộ dữ liệu q1-2026-10" in text and "40 vòng huấn luyện" in text and "yolov8n.pt" in text
        clips = v1.locator("table[data-metric=clips]")  # the numbers only: not the per-clip scores
        assert clips.locator("tbody tr").count() == 8 and "0,81" in clips.inner_text()
        assert "Tỉ lệ phát hiện" in clips.inner_text()
        assert "Mô hình đang dùng khi đánh giá (yolov8n_coco.pt)" in clips.inner_text()
        reviews = v2.locator("table[data-metric=reviews]")
        assert reviews.locator("tbody tr").count() == 5 and "Cảnh báo sai" in reviews.inner_text()
        assert "Vật thể tìm thấy" in reviews.inner_text() and "47" in reviews.inner_text()
        assert "từ mô hình gốc v1" in v2.inner_text()
        assert "ghế, ghế nhựa · quầy hàng, xe đẩy" in v2.inner_text()
        assert "Đang chạy thử song song · 25 %" in v2.inner_text()
        assert v2.locator(".model-compare[data-running=true]").count() == 1
        assert "Quản trị hệ thống" in v3.inner_text()  # registered on the server's command line
        assert v3.locator(".model-compare[data-running=false]").count() == 1
        assert "Cả hai cùng phát hiện" in v3.inner_text()

        # no English word on the Vietnamese page (the places and data names aside; "v" of the version labels)
        vi_texts = page.evaluate("async () => Object.values((await import('/static/i18n.js')).MESSAGES.vi).join(' ')")
        places = page.evaluate("async () => (await (await fetch('/api/areas')).json()).items.map((a) => a.label)")
        names = " ".join([*places, *(m[0] for m in MODELS), *(Path(m[1]).name for m in MODELS),
                          *(m[2][:12] for m in MODELS),
                          *(Path(str(m[5].get(k, ""))).name for m in MODELS for k in ("dataset", "base_model")),
                          Path(CONFIGURED).name, ADMIN[1], TRAINER[1]])
        words = latin_words(visible_text(page)) - (ALLOWED | {"v"} | latin_words(vi_texts) | latin_words(names))
        assert not words, f"English words or raw ids on the Vietnamese models page: {words}"
        assert no_sideways_scroll(page) and page_does_not_scroll(page) is not None
        screenshot(page, "15-models-laptop")

        # promoting asks first; the note goes to the audit log
        v1.locator("button.primary").click()
        dialog = page.locator("#models-dialog")
        dialog.wait_for(state="visible")
        assert "Đưa v1 vào sử dụng?" in dialog.inner_text() and "yolov8n_coco.pt" in dialog.inner_text()
        screenshot(page, "15-models-promote-dialog")
        page.fill("#models-dialog-note", "Tốt hơn trên clip mẫu")
        page.click("#models-dialog-ok")
        page.wait_for_selector(".model-card[data-state=live] .model-version:text('v1')")
        assert dialog.is_hidden()
        assert "Đang dùng: v1" in page.inner_text("#models-running")
        assert "Đã đưa v1 vào sử dụng" in page.inner_text("#models-message")
        assert "Nguyễn Văn An" in card(page, "v1").inner_text()  # who promoted it
        assert card(page, "v1").locator("button.primary").count() == 0

        # cancelling a promotion changes nothing
        card(page, "v3").locator("button.primary").click()
        page.click("#models-dialog-cancel")
        assert dialog.is_hidden() and card(page, "v3").get_attribute("data-state") == "candidate"

        # v3 then replaces v1; a rollback needs a note and returns to v1
        card(page, "v3").locator("button.primary").click()
        page.click("#models-dialog-ok")
        page.wait_for_selector(".model-card[data-state=live] .model-version:text('v3')")
        assert card(page, "v1").get_attribute("data-state") == "retired" and "Đã thay" in card(page, "v1").inner_text()
        page.click("#models-rollback")
        dialog.wait_for(state="visible")
        assert "v1 – Vỉa hè Quận 1 – tháng 10" in dialog.inner_text()
        page.click("#models-dialog-ok")
        assert page.inner_text("#models-dialog-error") == "Cần ghi lý do quay lại mô hình trước."
        assert dialog.is_visible()
        page.fill("#models-dialog-note", "Báo sai nhiều ở Bến Thành")
        page.click("#models-dialog-ok")
        page.wait_for_selector(".model-card[data-state=live] .model-version:text('v1')")
        assert "Đã quay lại v1" in page.inner_text("#models-message")
        assert card(page, "v3").get_attribute("data-state") == "retired"

        # shadow mode: v3 on half the frames (the one before, v2, stops), then stopped
        card(page, "v3").locator("select.model-share").select_option("0.5")
        card(page, "v3").get_by_role("button", name="Chạy thử song song").click()
        page.wait_for_selector(".model-card[data-id] .model-shadow:text('50 %')")
        assert card(page, "v2").locator(".model-shadow").count() == 0
        assert card(page, "v2").locator(".model-compare[data-running=false]").count() == 1  # its result kept
        card(page, "v3").get_by_role("button", name="Dừng chạy thử").click()
        page.wait_for_selector("#models-message:text('Đã dừng chạy thử v3')")
        assert page.locator(".model-shadow").count() == 0

        # the audit log says it in words, with the notes
        page.click(".tabs button[data-view=audit]")
        page.wait_for_selector("#audit-table tbody tr")
        audit = page.inner_text("#audit-table")
        assert "Đưa mô hình nhận dạng vào sử dụng" in audit and "Quay lại mô hình nhận dạng trước" in audit
        assert "Mô hình nhận dạng v3" in audit and "Báo sai nhiều ở Bến Thành" in audit
        assert "Bắt đầu chạy thử song song" in audit and "Dừng chạy thử song song" in audit

        # on a phone: the same page, nothing wider than the screen
        page.set_viewport_size({"width": 390, "height": 844})
        page.click(".tabs button[data-view=models]")
        page.wait_for_selector(".model-card")
        page.wait_for_timeout(300)
        assert no_sideways_scroll(page), page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        screenshot(page, "15-models-phone")
        page.click("#models-rollback")
        dialog.wait_for(state="visible")
        box = dialog.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        page.click("#models-dialog-cancel")

        # in English
        page.set_viewport_size({"width": 1280, "height": 720})
        page.click(".lang button[data-lang=en] >> nth=-1")
        assert page.inner_text(".tabs button[data-view=models]") == "Detection models"
        assert "In use: v1" in page.inner_text("#models-running")
        assert "Candidate" in card(page, "v2").inner_text() and "Recall" in card(page, "v2").inner_text()

    with console.db.session() as s:
        rollback = [e for e in entries(s, "model") if e.action == "model.rollback"]
        assert [e.note for e in rollback] == ["Báo sai nhiều ở Bến Thành"] and rollback[0].user.username == ADMIN[0]
        promotes = [e.note for e in entries(s, "model") if e.action == "model.promote"]
        assert "Tốt hơn trên clip mẫu" in promotes


def test_the_configurations_model_runs_when_none_is_live(console):
    """After the rollbacks above nothing from the registry may be live; rolled back to the end, the
    page names the configuration's model in both languages."""
    with console.db.write() as s:
        while registry.live(s) is not None:
            registry.rollback(s, None, note="về mô hình trong cấu hình")
    with chromium(390, 844) as browser:
        page = browser.page()
        page.goto(console.http + "/")
        page.evaluate("localStorage.setItem('urbanwatch.lang', 'vi')")
        open_models(page, console)
        assert "các máy nhận dạng đang chạy mô hình trong tệp cấu hình (yolov8n_coco.pt)" in page.inner_text(
            "#models-running")
        assert page.locator("#models-rollback").is_hidden() and no_sideways_scroll(page)
        page.click(".lang button[data-lang=en] >> nth=-1")
        assert "the configuration's model (yolov8n_coco.pt)" in page.inner_text("#models-running")
