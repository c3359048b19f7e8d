"""`urbanwatch demo` on a fresh data folder: an alert shows in the console, in a real browser,
within a minute."""

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from .browser import browser_page, screenshot
from .conftest import ROOT, free_port

pytestmark = pytest.mark.e2e


def test_demo_shows_an_alert_within_a_minute(tmp_path, curb_clip, pt_model):
    port = free_port()
    env = {**os.environ, "URBANWATCH_SHARED": str(curb_clip.parents[3]), "PYTHONUNBUFFERED": "1"}
    env.pop("URBANWATCH_MODEL", None)
    log = open(tmp_path / "demo.log", "w")
    started = time.time()
    proc = subprocess.Popen([sys.executable, "-m", "urbanwatch", "demo", "--port", str(port), "--data-dir",
                             str(tmp_path / "demo")], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    try:
        url = f"http://127.0.0.1:{port}/"
        while time.time() - started < 60:
            try:
                if httpx.get(url + "api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        with browser_page() as page:
            page.goto(url)
            page.fill("#login-username", "demo")
            page.fill("#login-password", "urbanwatch-demo")
            page.click("#login-form button[type=submit]")
            page.wait_for_selector("#conn[data-state=live]", timeout=30_000)
            # the page was opened before any alert existed: this one arrives over the WebSocket
            page.wait_for_selector("li.alert", timeout=max(1_000, 60_000 - 1000 * (time.time() - started)))
            elapsed = time.time() - started
            card = page.locator("li.alert").first
            assert card.locator(".type-badge").inner_text() == "Lấn chiếm vỉa hè"
            assert "Demo" in card.locator(".camera-name").inner_text()
            page.wait_for_function("document.querySelector('li.alert img.thumb').naturalWidth > 0")
            screenshot(page, "demo-console-vi")
            page.click("#app-view .lang button[data-lang=en]")
            assert card.locator(".type-badge").inner_text() == "Sidewalk encroachment"
            assert page.locator("#alerts-title").inner_text() == "Live alerts"
            card.click()
            page.wait_for_selector("#detail-body:not([hidden])")
            assert "Sidewalk encroachment" in page.locator("#detail-title").inner_text()
            page.wait_for_function("document.querySelector('#detail-annotated').naturalWidth > 0")
            screenshot(page, "demo-event-detail-en")
        print(f"\ndemo: first alert in the console {elapsed:.1f} s after `urbanwatch demo` started")
        assert elapsed < 60
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
