"""The console in a real browser (Debian's Chromium driven by Playwright) against the running system:
two RTSP cameras in two wards, the real detector, and the people of the office.

Screenshots are kept in test-artifacts/screenshots/.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from .browser import browser_page, chromium, screenshot
from .test_end_to_end import Service

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery"
PEOPLE = {  # username: (role, areas, city-wide)
    "admin": ("admin", [], True),
    "sup1": ("supervisor", ["Bến Thành"], False),
    "op1": ("operator", ["Quận 1 (cũ)"], False),  # a group: the wards that were Quận 1
    "sup3": ("supervisor", ["Bàn Cờ"], False),
}


@pytest.fixture(scope="module")
def system(tmp_path_factory, camera_cache, shared):
    from .conftest import RtspCamera

    tmp = tmp_path_factory.mktemp("console")
    curb = shared / "data/clips/street/vn_cars_parked_at_curb.mp4"
    junction = shared / "data/clips/street/saigon_red_light_queue.mp4"
    cam = RtspCamera(camera_cache, {"curb": curb, "junction": junction})
    cam.start()
    gt_curb = json.loads(Path(str(curb) + ".gt.json").read_text())
    gt_junction = json.loads(Path(str(junction) + ".gt.json").read_text())
    config = {
        "detector": {"model": str(shared / "models/yolov8n_coco.pt")},
        "cameras": [
            # a name with quotes and angle brackets: it must show as text everywhere, never as markup
            {"id": "q1-le-loi", "name": 'Lê Lợi – Nguyễn Huệ "góc <b>A</b>"', "ward": "Bến Thành",
             "url": cam.url("curb"),
             "zones": [{"name": z["name"], "kind": "sidewalk", "polygon": z["polygon"], "dwell_s": 3}
                       for z in gt_curb["zones"]]},
            {"id": "q3-vo-van-tan", "name": "Võ Văn Tần", "ward": "Bàn Cờ", "url": cam.url("junction"),
             "zones": [{"name": z["name"], "kind": "sidewalk", "polygon": z["polygon"], "dwell_s": 3}
                       for z in gt_junction["zones"]]},
        ],
    }
    svc = Service(tmp, config)
    with svc:
        import subprocess
        import sys

        from .conftest import ROOT

        for name, (role, areas, city_wide) in PEOPLE.items():
            args = [sys.executable, "-m", "urbanwatch", "users", "add", name, "--role", role, "--password-stdin",
                    "-c", str(svc.config_path)]
            args += ["--city-wide"] if city_wide else [a for d in areas for a in ("--area", d)]
            subprocess.run(args, input=PASSWORD + "\n", text=True, check=True, capture_output=True, cwd=ROOT)
        yield svc
    cam.stop()


def sign_in(page, system, username, password=PASSWORD):
    page.goto(system.http + "/")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-form button[type=submit]")


def review_today(page, system, username):
    """Signed in, on the review page, showing today (local time)."""
    sign_in(page, system, username)
    page.wait_for_selector("#conn[data-state=live]")
    page.click(".tabs button[data-view=review]")
    day = page.evaluate("new Intl.DateTimeFormat('en-CA', {timeZone: 'Asia/Ho_Chi_Minh'}).format(new Date())")
    page.fill("#review-date", day)
    page.dispatch_event("#review-date", "change")
    page.click("#digest-box summary")  # the day's digest, folded away by default to leave room for the work


def wait_for_events(system, **params) -> list[dict]:
    deadline = time.time() + 90
    while time.time() < deadline:
        items = system.get("/api/events", **params)["items"]
        if items:
            return items
        time.sleep(1)
    raise AssertionError(f"no events {params}")


def test_sign_in_and_out(system):
    with browser_page() as page:
        sign_in(page, system, "op1", "not the password")
        page.wait_for_selector("#login-error:not([hidden])")
        assert "Sai tên đăng nhập" in page.inner_text("#login-error")
        screenshot(page, "01-sign-in-refused")
        page.fill("#login-password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#conn[data-state=live]")
        assert page.inner_text("#whoami") == "op1 · Trực ban"
        assert page.is_hidden(".tabs button[data-view=zones]")  # the zone editor is for admins
        screenshot(page, "02-signed-in-operator")
        page.click("#logout")
        page.wait_for_selector("#login-view:not([hidden])")


def test_live_alert_appears(system):
    """An alert raised while the console is open arrives over the WebSocket, flashing and beeping."""
    wait_for_events(system, camera="q1-le-loi")  # the camera is up and analysed
    with browser_page() as page:
        sign_in(page, system, "op1")
        page.wait_for_selector("#conn[data-state=live]")
        page.evaluate("""() => {
            window.__beeps = 0;
            const make = AudioContext.prototype.createOscillator;
            AudioContext.prototype.createOscillator = function () { window.__beeps += 1; return make.call(this); };
        }""")
        # an admin marks the kerb lane where cars stand: a new alert follows within seconds
        zones = system.get("/api/cameras/q1-le-loi")["zones"]
        kerb = {"name": "lan_duong_ke_le", "label": "Làn đường kẻ lề", "kind": "sidewalk", "dwell_s": 3,
                "polygon": [[1200, 300], [1440, 300], [1440, 540], [1200, 540]]}
        body = [{"name": z["name"], "kind": z["kind"], "polygon": z["polygon"], **z["params"]} for z in zones] + [kerb]
        r = httpx.put(f"{system.http}/api/cameras/q1-le-loi/zones", json=body, headers=system.headers)
        assert r.status_code == 200, r.text
        # the zone by its display name, never its code
        card = page.wait_for_selector("li.alert.fresh:has-text('Làn đường kẻ lề')", timeout=60_000)
        assert "Lê Lợi" in card.inner_text()
        assert page.evaluate("window.__beeps") >= 1  # the audible cue
        screenshot(page, "03-live-alert")


def test_confirm_and_dismiss_reach_other_consoles(system):
    items = wait_for_events(system, camera="q1-le-loi", status="unreviewed")
    with chromium() as browser:
        sup, op = browser.page(), browser.page()
        sign_in(op, system, "op1")
        op.wait_for_selector("#conn[data-state=live]")
        sign_in(sup, system, "sup1")
        sup.wait_for_selector(f"li.alert[data-id='{items[0]['id']}']")
        # confirm with the keyboard
        sup.click(f"li.alert[data-id='{items[0]['id']}'] .camera-name")
        sup.keyboard.press("c")
        sup.fill("#review-note", "Ô tô đỗ trên vỉa hè")
        sup.click("#review-submit")
        sup.wait_for_selector(f"li.alert[data-id='{items[0]['id']}'][data-status=confirmed]")
        sup.wait_for_selector("#detail-timeline li:has-text('sup1')")
        screenshot(sup, "04-confirmed-by-supervisor")
        # the operator's console shows the decision without reloading
        op.wait_for_selector(f"li.alert[data-id='{items[0]['id']}'][data-status=confirmed]", timeout=10_000)
        # dismiss needs a reason
        other = wait_for_events(system, camera="q1-le-loi", status="unreviewed")[0]
        sup.click(f"li.alert[data-id='{other['id']}'] .camera-name")
        sup.keyboard.press("d")
        sup.click("#review-submit")
        assert "lý do" in sup.inner_text("#review-error")
        sup.select_option("#review-reason", "false_detection")
        sup.click("#review-submit")
        sup.wait_for_selector(f"li.alert[data-id='{other['id']}'][data-status=dismissed]")
        screenshot(sup, "05-dismissed-with-reason")
    e = system.get(f"/api/events/{other['id']}")
    assert e["status"] == "dismissed" and e["review_reason"] == "false_detection" and e["reviewed_by"] == "sup1"
    kinds = [i["kind"] for i in system.get(f"/api/events/{items[0]['id']}/timeline")["timeline"]]
    assert "event.confirm" in kinds


def test_operator_is_refused_a_supervisors_action(system):
    target = wait_for_events(system, camera="q1-le-loi", status="unreviewed")[0]
    with browser_page() as page:
        sign_in(page, system, "op1")
        page.wait_for_selector(f"li.alert[data-id='{target['id']}']")
        page.click(f"li.alert[data-id='{target['id']}'] .camera-name")
        assert page.is_hidden("#act-confirm") and page.is_hidden("#act-dismiss")
        page.keyboard.press("c")
        assert page.is_hidden("#review-form")
        # even a hand-made request from the operator's own session is refused by the server
        status = page.evaluate(
            """async (id) => {
                const me = await (await fetch('/api/auth/me')).json();
                const r = await fetch(`/api/events/${id}/review`, {method: 'POST',
                    headers: {'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token},
                    body: JSON.stringify({decision: 'confirm'})});
                return r.status;
            }""",
            target["id"],
        )
        assert status == 403
        page.keyboard.press("a")  # acknowledging is the operator's to do
        page.wait_for_selector("#act-ack", state="hidden")
        screenshot(page, "06-operator-without-review-buttons")
    assert system.get(f"/api/events/{target['id']}")["status"] == "unreviewed"


def test_user_is_refused_another_wards_events(system):
    q1 = wait_for_events(system, camera="q1-le-loi")[0]
    wait_for_events(system, camera="q3-vo-van-tan")
    with browser_page() as page:
        sign_in(page, system, "sup3")
        page.wait_for_selector("li.alert")
        names = page.locator("li.alert .camera-name").all_inner_texts()
        assert names and set(names) == {"Võ Văn Tần"}
        statuses = page.evaluate(
            """async ([id, snap]) => [
                (await fetch(`/api/events/${id}`)).status,
                (await fetch(snap)).status,
                (await fetch('/api/cameras/q1-le-loi/frame.jpg')).status,
            ]""",
            [q1["id"], q1["snapshot_url"]],
        )
        assert statuses == [404, 404, 404]
        page.click(".tabs button[data-view=cameras]")
        page.wait_for_selector(".camera-card")
        assert page.locator(".camera-card .cam-name").all_inner_texts() == ["Võ Văn Tần"]
        screenshot(page, "07-other-ward-invisible")


def test_zone_editor_round_trip(system):
    """An admin draws a zone on the camera's picture; the running worker applies it and alerts in it."""
    with browser_page() as page:
        sign_in(page, system, "admin")
        page.wait_for_selector("#conn[data-state=live]")
        page.click(".tabs button[data-view=zones]")
        page.select_option("#zone-camera", "q3-vo-van-tan")
        page.wait_for_function("document.querySelector('#zone-list').children.length >= 2")
        page.wait_for_timeout(500)
        page.click("#zone-new")
        page.fill("#zone-name", "goc_xe_cho")
        page.fill("#zone-dwell", "3")
        box = page.locator("#zone-canvas").bounding_box()
        scale = box["width"] / 1018
        # around the cars stopped at the far crossing: a zone where something stands still
        for x, y in [(560, 180), (800, 180), (800, 320), (560, 320), (560, 180)]:
            page.mouse.click(box["x"] + x * scale, box["y"] + y * scale)
        page.click("#zone-save")
        page.wait_for_selector("#zone-message.ok")
        screenshot(page, "08-zone-editor")
    cam = system.get("/api/cameras/q3-vo-van-tan")
    new = next(z for z in cam["zones"] if z["name"] == "goc_xe_cho")
    assert len(new["polygon"]) == 4 and new["params"]["dwell_s"] == 3
    assert new["polygon"][0] == pytest.approx([560, 180], abs=2)  # where it was clicked, in camera pixels
    assert cam["zones_edited"] is True
    # the worker picked it up without a restart
    events = wait_for_events(system, camera="q3-vo-van-tan", zone="goc_xe_cho")
    assert events[0]["zone_name"] == "goc_xe_cho"


def test_nightly_review_plays_and_seeks_clips(system):
    deadline = time.time() + 120
    while time.time() < deadline:  # a clip whose post-roll has passed
        done = [e for e in system.get("/api/events", camera="q1-le-loi", limit=100)["items"]
                if e["clip_state"] == "complete"]
        if done:
            break
        time.sleep(2)
    assert done, "no finished clip"
    target = done[0]
    with browser_page() as page:
        review_today(page, system, "sup1")
        page.wait_for_selector(".review-row")
        # the supervisor's ward only, and no city overview (that is for city-wide accounts)
        assert page.locator("#review-list h2").all_inner_texts() == ["Phường Bến Thành"]
        assert page.locator(".digest-card h2").first.inner_text().startswith("Phường Bến Thành")
        assert page.locator("#overview").is_hidden()
        index = page.evaluate(
            "(id) => [...document.querySelectorAll('.review-row')].findIndex((r) => r.textContent.includes(''))", 0)
        page.click(f".review-row >> nth={index}")
        for _ in range(200):  # J through the list to the incident with the finished clip
            if page.locator(f"#review-item h2:has-text('#{target['id']} ')").count():
                break
            page.keyboard.press("j")
        video = page.wait_for_selector("#review-clip")
        page.wait_for_function("document.querySelector('#review-clip').readyState >= 1", timeout=20_000)
        duration = page.evaluate("document.querySelector('#review-clip').duration")
        assert duration > 20  # pre-roll, the dwell, post-roll
        seeked = page.evaluate(
            """() => new Promise((resolve) => {
                const v = document.querySelector('#review-clip');
                v.addEventListener('seeked', () => resolve(v.currentTime), {once: true});
                v.currentTime = v.duration / 2;
            })""")
        assert abs(seeked - duration / 2) < 2.0  # seekable: the server answers byte ranges
        page.keyboard.press(" ")
        page.wait_for_function("!document.querySelector('#review-clip').paused", timeout=10_000)
        assert video.is_visible()
        csv_text = page.evaluate("async () => (await fetch(document.querySelector('#review-csv').href)).text()")
        assert "phường/xã,địa chỉ" in csv_text and "Phường Bến Thành, Thành phố Hồ Chí Minh" in csv_text
        assert "Bàn Cờ" not in csv_text
        screenshot(page, "09-nightly-review")


def test_city_overview_and_ward_search(system):
    """A city-wide account sees every ward's counts; typing a ward without its diacritics finds it."""
    wait_for_events(system, camera="q1-le-loi")
    wait_for_events(system, camera="q3-vo-van-tan")
    with browser_page() as page:
        review_today(page, system, "admin")
        page.wait_for_selector("#overview .overview-table")
        wards = page.locator("#overview tbody tr td:first-child").all_inner_texts()
        assert wards == ["Phường Bàn Cờ", "Phường Bến Thành"]  # Vietnamese order
        assert page.locator("#review-list h2").all_inner_texts() == ["Phường Bàn Cờ", "Phường Bến Thành"]
        labels = page.locator(".digest-card .bar-label").all_inner_texts()
        assert 'Lê Lợi – Nguyễn Huệ "góc <b>A</b>"' in labels and page.locator(".digest-card b").count() == 0
        page.fill("#review-area-search", "ban co")
        page.wait_for_function("document.querySelector('#review-area').value === 'Bàn Cờ'")
        page.wait_for_function("[...document.querySelectorAll('#review-list h2')].map((h) => h.textContent)"
                               ".join() === 'Phường Bàn Cờ'")
        screenshot(page, "10-city-overview-ward-search")
