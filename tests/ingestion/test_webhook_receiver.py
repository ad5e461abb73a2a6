"""`opslake serve webhooks` as a sender meets it: a real server process on loopback, real HTTP requests."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from opslake.settings import Settings

MARKER = "body-marker-7f3a"  # in every test body; must never reach the log


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def receiver(settings: Settings, *options: str) -> Iterator[tuple[str, subprocess.Popen]]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "webhooks", "--port", str(port), *options],
        env={**os.environ, **settings.env()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"receiver did not start: {process.communicate()[1]}") from None
            time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}", process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(30)


def _secret(settings: Settings, source: str) -> bytes:
    return (settings.home / "secrets" / f"webhook-{source}").read_text().splitlines()[0].encode()


def _hmac(secret: bytes, body: bytes) -> str:
    return hmac.new(secret, body, hashlib.sha256).hexdigest()  # written here, not taken from the product


def _github(settings: Settings, body: bytes, delivery: str, **headers: str) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": delivery,
        "x-hub-signature-256": "sha256=" + _hmac(_secret(settings, "github"), body),
    } | headers


def _landed(settings: Settings, source: str) -> list[dict]:
    folder = settings.landing_dir(source)
    return [json.loads(line) for path in sorted(folder.glob("*")) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Settings:
    return Settings.at(tmp_path_factory.mktemp("webhooks") / "home")


@pytest.fixture(scope="module")
def running(home) -> Iterator[tuple[str, subprocess.Popen]]:
    with receiver(home) as server:
        yield server


def test_github_s_published_test_vector():
    from ingestion.webhooks.signatures import sign

    # https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    expected = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert sign(b"It's a Secret to Everybody", b"Hello, World!") == expected


def test_secrets_are_created_owner_only_one_per_source(home, running):
    for source in ("github", "pagerduty", "jira"):
        path = home.home / "secrets" / f"webhook-{source}"
        assert path.stat().st_mode & 0o777 == 0o600
        assert len(_secret(home, source)) == 64
    assert len({_secret(home, s) for s in ("github", "pagerduty", "jira")}) == 3


def test_a_signed_delivery_is_on_disk_when_it_is_answered(home, running):
    url, _ = running
    payload = {"ref": "refs/heads/main", "note": MARKER, "commits": [{"id": "abc"}]}
    body = json.dumps(payload, indent=2).encode()  # pretty-printed, as some senders do: landed as one line
    answer = httpx.post(f"{url}/webhooks/github", content=body, headers=_github(home, body, "d-signed"))
    assert answer.status_code == 202, answer.text
    landed = [
        r for r in _landed(home, "github") if r["delivery"] == "d-signed"
    ]  # read right after the answer
    assert [(r["event"], r["payload"]) for r in landed] == [("push", payload)]


def _pagerduty_body(event_id: str) -> bytes:
    event = {"id": event_id, "event_type": "incident.triggered", "data": {"id": "P1", "title": MARKER}}
    return json.dumps({"event": event}).encode()


# What each malformed, unsigned or forged request is answered, and that nothing of it lands.
REJECTIONS = {
    "unsigned": ("github", lambda s, b: _github(s, b, "r1") | {"x-hub-signature-256": ""}, None, 401),
    "forged": (
        "github",
        lambda s, b: _github(s, b, "r2") | {"x-hub-signature-256": "sha256=" + "0" * 64},
        None,
        401,
    ),
    "sha1_only": (
        "github",
        lambda s, b: (
            {k: v for k, v in _github(s, b, "r3").items() if k != "x-hub-signature-256"}
            | {"x-hub-signature": "sha1=" + hmac.new(_secret(s, "github"), b, hashlib.sha1).hexdigest()}
        ),
        None,
        401,
    ),
    "other_source_s_secret": (
        "jira",
        lambda s, b: {
            "content-type": "application/json",
            "x-hub-signature": "sha256=" + _hmac(_secret(s, "github"), b),
        },
        None,
        401,
    ),
    "truncated": ("github", lambda s, b: _github(s, b, "r4"), lambda b: b[: len(b) // 2], 401),
    "unknown_source": ("gitlab", lambda s, b: _github(s, b, "r5"), None, 404),
    "wrong_content_type": (
        "github",
        lambda s, b: _github(s, b, "r6", **{"content-type": "application/x-www-form-urlencoded"}),
        None,
        415,
    ),
    "no_event_header": (
        "github",
        lambda s, b: {k: v for k, v in _github(s, b, "r7").items() if k != "x-github-event"},
        None,
        400,
    ),
}


@pytest.mark.parametrize("case", REJECTIONS)
def test_a_rejected_request_is_answered_and_logged_without_its_body(home, running, case):
    url, _ = running
    source, headers, cut, status = REJECTIONS[case]
    body = json.dumps({"note": MARKER, "case": case}).encode()
    sent = cut(body) if cut else body
    before = _landed(home, "github") + _landed(home, "jira")
    answer = httpx.post(f"{url}/webhooks/{source}", content=sent, headers=headers(home, body))
    assert answer.status_code == status, answer.text
    assert _landed(home, "github") + _landed(home, "jira") == before


def test_malformed_signed_json_is_a_400(home, running):
    url, _ = running
    for body in (b'{"note": "' + MARKER.encode() + b'"', b'["not", "an", "object"]'):
        answer = httpx.post(f"{url}/webhooks/github", content=body, headers=_github(home, body, "r8"))
        assert answer.status_code == 400, answer.text


def test_an_oversized_body_is_a_413_whether_announced_or_streamed(home, running):
    from ingestion.webhooks.receiver import MAX_BODY_BYTES

    url, _ = running
    body = b'{"note": "' + b"x" * MAX_BODY_BYTES + b'"}'
    answer = httpx.post(f"{url}/webhooks/github", content=body, headers=_github(home, body, "big"))
    assert answer.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the receiver must count as it reads
        for start in range(0, len(body), 1 << 20):
            yield body[start : start + (1 << 20)]

    answer = httpx.post(f"{url}/webhooks/github", content=chunks(), headers=_github(home, body, "big2"))
    assert answer.status_code == 413
    assert not [r for r in _landed(home, "github") if r["delivery"] in ("big", "big2")]


def test_rejections_are_logged_with_reason_and_never_the_body(tmp_path):
    home = Settings.at(tmp_path / "home")
    with receiver(home) as (url, process):
        body = json.dumps({"note": MARKER}).encode()
        httpx.post(
            f"{url}/webhooks/github",
            content=body,
            headers=_github(home, body, "log-1", **{"x-hub-signature-256": "sha256=00"}),
        )
        httpx.post(f"{url}/webhooks/nope", content=body)
    log = process.stderr.read()
    assert "rejected github delivery log-1 from 127.0.0.1: 401" in log
    assert "rejected nope delivery - from 127.0.0.1: 404" in log
    assert MARKER not in log


def test_pagerduty_secrets_rotate_without_a_restart(home, running):
    url, _ = running
    path = home.home / "secrets" / "webhook-pagerduty"
    old, new = _secret(home, "pagerduty"), b"a-new-secret-for-rotation"
    path.write_bytes(old + b"\n" + new + b"\n")
    body = _pagerduty_body("ev-rot-1")
    both = f"v1={_hmac(b'retired', body)},v1={_hmac(new, body)}"  # PagerDuty sends one per secret it holds
    headers = {"content-type": "application/json", "x-webhook-id": "w-1", "x-pagerduty-signature": both}
    assert httpx.post(f"{url}/webhooks/pagerduty", content=body, headers=headers).status_code == 202
    path.write_bytes(new + b"\n")  # the old secret retired
    headers["x-pagerduty-signature"] = f"v1={_hmac(old, body)}"
    assert httpx.post(f"{url}/webhooks/pagerduty", content=body, headers=headers).status_code == 401
    landed = _landed(home, "pagerduty")
    assert [(r["delivery"], r["payload"]["event"]["id"]) for r in landed] == [("w-1", "ev-rot-1")]


def test_a_second_receiver_on_the_same_home_is_refused(home, running):
    from tests.fixtures.cli import opslake

    result = opslake(home, "serve", "webhooks", "--port", str(_free_port()))
    assert result.returncode == 2
    assert "another receiver is running" in result.stderr and "Traceback" not in result.stderr


def test_every_acknowledged_delivery_survives_a_sigkill(tmp_path):
    settings = Settings.at(tmp_path / "home")
    acknowledged = []
    with receiver(settings) as (url, process):
        with httpx.Client() as client:
            for i in range(50):
                body = json.dumps({"i": i}).encode()
                if (
                    client.post(
                        f"{url}/webhooks/github", content=body, headers=_github(settings, body, f"k{i}")
                    ).status_code
                    == 202
                ):
                    acknowledged.append(f"k{i}")
        process.kill()  # SIGKILL: no chance to close its segment
        process.wait()
    left = [*settings.landing_dir("github").glob("*.jsonl.tmp")] or [
        settings.landing_dir("github") / "x.jsonl.tmp"
    ]
    with open(left[0], "ab") as f:
        f.write(b'{"event": "push", "delivery": "torn", "payl')  # a write the crash cut short, never answered
    with receiver(settings):
        pass
    assert not list(settings.landing_dir("github").glob("*.tmp"))
    assert [r["delivery"] for r in _landed(settings, "github")] == acknowledged
    assert len(acknowledged) == 50
    assert all(Path(p).suffix == ".jsonl" for p in settings.landing_dir("github").iterdir())


def test_an_erasure_with_the_receiver_running_loses_no_delivery(tmp_path):
    """The open segment is the receiver's: the erasure has it closed, then rewrites the closed file."""
    from tests.fixtures.cli import opslake

    settings = Settings.at(tmp_path / "home")
    person = "erase.me@example.com"
    with receiver(settings, "--segment-seconds", "3600") as (url, _):  # open throughout, unless asked
        before = json.dumps({"pusher": {"email": person}, "n": 1}).encode()
        assert (
            httpx.post(
                f"{url}/webhooks/github", content=before, headers=_github(settings, before, "e1")
            ).status_code
            == 202
        )
        erased = opslake(settings, "erase", "--subject", person, "--json")
        after = json.dumps({"pusher": {"email": "someone.else@example.com"}, "n": 2}).encode()
        assert (
            httpx.post(
                f"{url}/webhooks/github", content=after, headers=_github(settings, after, "e2")
            ).status_code
            == 202
        )
    assert erased.returncode == 0, erased.stderr
    landed = {r["delivery"]: r["payload"] for r in _landed(settings, "github")}
    assert landed == {"e1": {"pusher": {"email": "<ERASED>"}, "n": 1}, "e2": json.loads(after)}
    assert json.loads(erased.stdout)["files_rewritten"]


def test_with_refresh_the_receiver_builds_what_lands_without_a_scheduler(settings):
    """`--refresh`: a delivery is in bronze (and on its way to the publication) with no `opslake run` by hand."""
    from tests.fixtures.lake_tables import read_bronze
    from tests.ingestion.test_native_pagerduty import event

    payload = event(
        "incident.triggered", "ev-refresh-1", "2026-11-02T10:00:00Z", "triggered", tenant_id="t-acme"
    )
    body = json.dumps(payload).encode()
    with receiver(settings, "--segment-seconds", "0.5", "--refresh", "1") as (url, _):
        headers = {
            "content-type": "application/json",
            "x-webhook-id": "ev-refresh-1",
            "x-pagerduty-signature": "v1=" + _hmac(_secret(settings, "pagerduty"), body),
        }
        assert httpx.post(f"{url}/webhooks/pagerduty", content=body, headers=headers).status_code == 202
        deadline = time.monotonic() + 240
        while not _in_bronze(settings, "incident", "pagerduty:ev-refresh-1"):
            assert time.monotonic() < deadline, "the delivery never reached bronze"
            time.sleep(1)
    assert [r["incident_id"] for r in read_bronze(settings, "incident").to_pylist()] == ["PGR0VU2"]


def _in_bronze(settings: Settings, domain: str, event_id: str) -> bool:
    from opslake import lake

    table = lake.read_table(settings.table_uri("bronze", domain), ["event_id"])
    return table is not None and event_id in table.column("event_id").to_pylist()
