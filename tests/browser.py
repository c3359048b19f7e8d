"""Debian's Chromium driven by Playwright (Playwright's own browser download does not work here)."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

from .conftest import ROOT, need

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


class Browser:
    """One Chromium; each `page()` is a separate profile (its own cookies), like another person."""

    def __init__(self, browser, width: int, height: int):
        self._browser, self.size = browser, {"width": width, "height": height}

    def page(self):
        return self._browser.new_context(viewport=self.size).new_page()


@contextmanager
def chromium(width: int = 1400, height: int = 900):
    need(Path(CHROMIUM).exists() or shutil.which("chromium"), "Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield Browser(browser, width, height)
        finally:
            browser.close()


@contextmanager
def browser_page(width: int = 1400, height: int = 900):
    with chromium(width, height) as b:
        yield b.page()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
