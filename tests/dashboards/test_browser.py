"""The app in a real browser (Debian's Chromium driven by Playwright): sign in, open every page from the sidebar,
and save a screenshot of each. `make setup` installs Chromium (as root) and CI sets ``OPSLAKE_REQUIRE_BROWSER``, so there a
missing browser fails; elsewhere the test is skipped with the reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cli.bench.pages import CHROMIUM, PAGES, drawn, served
from dashboards.ui import RENDERED
from tests.fixtures.apps import PASSWORD

if not CHROMIUM.exists():
    reason = f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` (CI does)"
    if os.environ.get("OPSLAKE_REQUIRE_BROWSER"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)


@pytest.fixture(scope="module")
def app_url(home):
    """The app served by `streamlit run` on a free loopback port, on the test home."""
    with served(home) as url:
        yield url


def test_an_admin_signs_in_and_every_page_draws_without_an_error(app_url, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("OPSLAKE_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2400})
            page.goto(app_url)
            page.get_by_label("User").fill("admin")
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            nav = page.get_by_test_id("stSidebarNav")
            nav.wait_for(timeout=60_000)
            drawn(page, PAGES[0])  # the first page opens on sign-in: it is visited last, from another one
            for title in PAGES[1:] + PAGES[:1]:
                before = page.locator(f".{RENDERED}").last.get_attribute("data-nonce")
                nav.get_by_role("link", name=title).click()
                drawn(page, title, before)
                page.screenshot(path=shots / f"{title.lower().replace(' ', '_')}.png", full_page=True)
                assert page.get_by_test_id("stException").count() == 0, title
                assert page.get_by_text("could not be shown").count() == 0, title
                assert page.get_by_text("Data as of").count() == 1, title
        finally:
            browser.close()
    print(f"screenshots: {shots}")
    assert sorted(p.name for p in shots.glob("*.png")) == sorted(
        f"{t.lower().replace(' ', '_')}.png" for t in PAGES
    )
