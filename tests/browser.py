"""Debian's Chromium, driven headless by Playwright, for tests that need a real browser.

Playwright never downloads a browser here: it starts /usr/bin/chromium (apt package `chromium`).
Use the sync API from plain (not async) test functions:

    with chromium() as browser:
        page = browser.new_page()
        page.goto("file:///tmp/report.html")
        page.screenshot(path="report.png")
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox (containers, root in CI) and none of Chromium's background traffic.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def chromium(executable: Path = CHROMIUM) -> Iterator:
    """A headless playwright Browser on Debian's Chromium; fails (never skips) when it is missing."""
    if not executable.exists():
        pytest.fail(f"{executable} is missing: this test drives Debian's Chromium. Install it with "
                    f"`apt-get install chromium` (CI installs it); Playwright must not download a browser.",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
