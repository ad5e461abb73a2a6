"""Page speed of the BI app in headless Chromium: from a click in the sidebar to the page's last chart drawn.

The app is started on the current publication (through a scratch home that links to it, with a scratch admin,
so the real user store is not touched). Each page is opened once cold (the server's cache empty for it), then
``repeat`` times warm. The baseline, measured in the same run, is the sign-in page: Streamlit's own round trip
with no data read. Needs Debian's Chromium (``apt-get install -y chromium``) and the dev dependencies.
"""

from __future__ import annotations

import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dashboards.ui import RENDERED
from opslake import users
from opslake.settings import PROJECT_ROOT, Settings

CHROMIUM = Path("/usr/bin/chromium")
PAGES = ["Overview", "Flow", "Delivery", "Reliability", "Cost", "Compliance", "Data health"]
# Every visible chart has drawn its canvas or SVG.
DRAWN = (
    "() => [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]"
    ".every(c => !c.checkVisibility() || c.querySelector('canvas, svg'))"
)


@dataclass
class PageTimes:
    cold: float
    warm: list[float] = field(default_factory=list)

    @property
    def warm_p50(self) -> float:
        return statistics.median(self.warm)

    @property
    def warm_p95(self) -> float:
        return _p95(self.warm)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(
    settings: Settings, repeat: int, echo: Callable[[str], None]
) -> tuple[float, dict[str, PageTimes]]:
    """Seconds of the sign-in page (the baseline) and of each page, cold and warm."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="opslake-bench-pages-") as scratch:
        home = Settings.at(Path(scratch) / "home")
        home.home.mkdir(parents=True)
        os.symlink(settings.published, home.published)
        password = secrets.token_urlsafe(16)
        users.add(home, "bench", "admin", password)
        with served(home) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            baseline = []
            for _ in range(repeat):
                started = time.perf_counter()
                page.goto(url)
                page.get_by_label("User").wait_for()
                baseline.append(time.perf_counter() - started)
            page.get_by_label("User").fill("bench")
            page.get_by_label("Password", exact=True).fill(password)
            page.get_by_role("button", name="Sign in").click()
            nav = page.get_by_test_id("stSidebarNav")
            nav.wait_for(timeout=120_000)
            drawn(page, PAGES[0])
            times: dict[str, PageTimes] = {}
            for rnd in range(repeat + 1):
                for title in PAGES[1:] + PAGES[:1]:  # the overview was drawn at sign-in: open it last
                    seconds = _open(page, nav, title)
                    if rnd == 0:
                        times[title] = PageTimes(cold=seconds)
                    else:
                        times[title].warm.append(seconds)
                echo(f"round {rnd + 1} of {repeat + 1} done")
            browser.close()
    return statistics.median(baseline), times


def _open(page, nav, title: str) -> float:
    before = _nonce(page)
    started = time.perf_counter()
    nav.get_by_role("link", name=title).click()
    drawn(page, title, before)
    return time.perf_counter() - started


def _nonce(page) -> str | None:
    marker = page.locator(f".{RENDERED}")
    return marker.last.get_attribute("data-nonce") if marker.count() else None


def drawn(page, title: str, before: str | None = None) -> None:
    """Until a run of the page titled ``title`` other than ``before`` has ended (its marker arrived) and every
    visible chart is drawn."""
    page.wait_for_function(
        "([cls, title, before]) => [...document.getElementsByClassName(cls)]"
        ".some(m => m.dataset.page === title && m.dataset.nonce !== before)",
        arg=[RENDERED, title, before],
        timeout=120_000,
    )
    page.wait_for_function(DRAWN, timeout=120_000)


class served:
    """`streamlit run` of the app on a free loopback port, on the given home."""

    def __init__(self, home: Settings) -> None:
        self.home = home

    def __enter__(self) -> str:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        streamlit = str(Path(sys.executable).with_name("streamlit"))
        args = [streamlit, "run", str(PROJECT_ROOT / "dashboards" / "streamlit_app.py")]
        args += ["--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"]
        self.server = subprocess.Popen(
            args,
            cwd=PROJECT_ROOT,
            env={**os.environ, **self.home.env()},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                return url
            except OSError:
                if self.server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the app did not start: run `opslake dashboard` to see why") from None
                time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        self.server.terminate()
        self.server.wait(timeout=30)


def report(baseline: float, times: dict[str, PageTimes]) -> list[tuple[str, str, str, str, str]]:
    """Rows of page, cold, warm p50, warm p95 and warm p50 against the baseline."""
    rows = [
        (title, f"{t.cold:.2f}", f"{t.warm_p50:.2f}", f"{t.warm_p95:.2f}", f"{t.warm_p50 / baseline:.1f}x")
        for title, t in times.items()
    ]
    every = [s for t in times.values() for s in t.warm]
    rows.append(
        (
            "all pages",
            f"{max(t.cold for t in times.values()):.2f} (max)",
            f"{statistics.median(every):.2f}",
            f"{_p95(every):.2f}",
            f"{statistics.median(every) / baseline:.1f}x",
        )
    )
    return rows
