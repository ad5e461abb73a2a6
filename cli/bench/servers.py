"""Servers the benchmarks start on loopback (the webhook receiver, a bare ASGI floor), and the signed PagerDuty
deliveries they send them, signed as PagerDuty does with the receiver's own secret."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable

from ingestion.webhooks.signatures import ActiveSecrets, sign
from ingestion.webhooks.sources import SOURCES
from opslake.settings import Settings

PAGERDUTY = SOURCES["pagerduty"]


def pagerduty_signer(settings: Settings | None) -> Callable[[bytes], str]:
    """``body -> X-PagerDuty-Signature`` under the home's first active secret (a fixed one without a home)."""
    secret = ActiveSecrets(settings, PAGERDUTY)()[0] if settings else b"floor"
    return lambda body: PAGERDUTY.signature_prefix + sign(secret, body)


def start(command: list[str], port: int, env: dict[str, str]) -> subprocess.Popen:
    """Start a server and wait until it accepts connections on ``port``."""
    process = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {process.stderr.read().decode()}") from None
            time.sleep(0.02)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        process.wait(60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
