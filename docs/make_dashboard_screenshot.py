"""Regenerate the dashboard screenshot the README shows: python docs/make_dashboard_screenshot.py

Starts ``python -m sim dashboard paris`` on 127.0.0.1 (a free port), opens it in Debian's
chromium through Playwright, moves the detection slider from the file's beta(18, 2) to 0.5
with the keyboard, waits for the rerun and the figures, and saves docs/img/dashboard.png.
Needs the dashboard and test extras (``pip install -e ".[test]"``) and ``chromium``.
With ``--steps``, also saves docs/img/dashboard-steps.png (the step-one-replication view).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(steps: bool = False) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("chromium is not installed (apt-get install chromium)")
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen([sys.executable, "-m", "sim", "dashboard", "paris", "--port", str(port)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit("the dashboard did not start")
                time.sleep(0.5)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=FLAGS, headless=True)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(url, timeout=120_000)
            page.wait_for_selector("[data-status=idle]", timeout=300_000)
            slider = page.locator('[data-path="package.monitoring.detection"] [role=slider]')
            slider.focus()
            slider.press("Home")
            for _ in range(5):
                slider.press("PageUp")
            page.wait_for_selector('[data-path="package.monitoring.detection"].sim-changed', timeout=60_000)
            page.wait_for_selector("[data-status=busy]", timeout=60_000)
            page.wait_for_selector("[data-status=idle]", timeout=300_000)
            page.wait_for_selector("img", timeout=300_000)
            time.sleep(1)
            out = ROOT / "docs" / "img" / "dashboard.png"
            page.screenshot(path=str(out))
            print(out)
            if steps:
                page.get_by_text("Step one replication").click()
                step = page.get_by_role("button", name="Step")
                step.wait_for(timeout=60_000)
                for _ in range(36):
                    step.click()
                    time.sleep(0.3)
                time.sleep(1)
                out = ROOT / "docs" / "img" / "dashboard-steps.png"
                page.screenshot(path=str(out))
                print(out)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main(steps="--steps" in sys.argv[1:])
