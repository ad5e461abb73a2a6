"""Webhook signatures: HMAC-SHA256 of the raw body, compared in constant time against every active secret.

A source's secrets are the lines of ``<home>/secrets/webhook-<source>`` (owner-only, created with a random secret
on first use). Every line is active, so a rotation adds the new secret, updates the sender, then removes the old.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from ingestion.webhooks.sources import Source
from opslake.permissions import owner_only_secret
from opslake.settings import Settings


def secrets_file(settings: Settings, source: Source) -> Path:
    return settings.home / "secrets" / f"webhook-{source.name}"


class ActiveSecrets:
    """A source's secrets, one per non-empty line, read again whenever the file changes (a rotation needs no
    restart); the file is created with one random secret if missing, and refused once others can read it."""

    def __init__(self, settings: Settings, source: Source) -> None:
        self.path = secrets_file(settings, source)
        self._read()

    def __call__(self) -> list[bytes]:
        if self.path.stat().st_mtime_ns != self._mtime:
            self._read()
        return self._keys

    def _read(self) -> None:
        text = owner_only_secret(self.path, lambda: secrets.token_hex(32).encode() + b"\n")
        self._mtime = self.path.stat().st_mtime_ns
        self._keys = [line.strip() for line in text.splitlines() if line.strip()]


def sign(secret: bytes, body: bytes) -> str:
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def signed(source: Source, header: str | None, body: bytes, keys: list[bytes]) -> bool:
    """Whether any signature in ``header`` is the body's HMAC under any active secret."""
    if not header:
        return False
    given = [
        part.strip().removeprefix(source.signature_prefix)
        for part in header.split(",")
        if part.strip().startswith(source.signature_prefix)
    ]
    expected = [sign(key, body) for key in keys]
    matches = [hmac.compare_digest(g.encode(), e.encode()) for g in given for e in expected]  # no early exit
    return any(matches)
