"""`opslake docs`: dbt's docs site generated under the home (owner-only, the files the site needs and no more)
and served over HTTP on this machine; with nothing built, a sentence."""

from __future__ import annotations

import json
import socket
import stat
import time
import urllib.request

from opslake.dbt_project import mart_names
from tests.fixtures.cli import opslake, start_opslake


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, deadline: float) -> tuple[int, bytes]:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_the_docs_site_is_generated_and_served(built_lake):
    port = _free_port()
    server = start_opslake(built_lake.settings, "docs", "--port", str(port))
    try:
        deadline = time.monotonic() + 240  # generating runs dbt on a busy machine
        status, page = _get(f"http://127.0.0.1:{port}/", deadline)
        assert status == 200 and b"<html" in page.lower()
        status, body = _get(f"http://127.0.0.1:{port}/catalog.json", deadline)
        assert status == 200
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in stderr
    listed = {node["metadata"]["name"] for node in json.loads(body)["nodes"].values()}
    assert set(mart_names(_manifest(built_lake))) <= listed
    site = built_lake.settings.dbt_docs
    assert sorted(p.name for p in site.iterdir()) == ["catalog.json", "index.html", "manifest.json"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in site.iterdir())
    assert stat.S_IMODE(site.stat().st_mode) == 0o700


def _manifest(built_lake) -> dict:
    return json.loads((built_lake.settings.dbt_docs / "manifest.json").read_text())


def test_nothing_built_says_so(settings):
    out = opslake(settings, "docs", "--port", str(_free_port()))
    assert out.returncode == 2
    assert "nothing has been built yet" in out.stderr and "opslake run" in out.stderr
    assert not settings.warehouse.exists()  # dbt did not leave an empty warehouse behind
