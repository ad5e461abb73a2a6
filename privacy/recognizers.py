"""Custom Presidio recognizers for what an operations platform leaks into free text.

* ``API_KEY``: cloud and SaaS credentials recognisable by their prefix (AWS key ids ``AKIA...``/``ASIA...``,
  Stripe ``sk_live_...``, GitHub ``ghp_...``/``github_pat_...``, Slack ``xoxb-...``, Google ``AIza...``,
  ``sk-...`` secret keys) and the value of ``api_key=...``, ``secret: ...``, ``password=...`` assignments.
* ``BEARER_TOKEN``: the token after ``Bearer`` and any JWT (``eyJ...``.``...``.``...``).
* ``EMPLOYEE_ID``: Opsline's HR id ``EMP-`` plus six digits (``EMP-104233``); the badge form ``E104233``
  counts only near a context word (employee, badge, staff), as it also looks like an error code.
* ``USER_HANDLE``: ``@handle`` mentions in PR bodies and chat, which are derived from people's names
  (``@jane.doe``); ``@here``, ``@channel`` and ``@everyone`` are not people.

Account ids such as ``u-1042`` are pseudonymous keys, pseudonymised with the id columns elsewhere, so free
text keeps them. Presidio's email recognizer checks the domain against the public suffix list through
tldextract, which downloads the list on first use; ``OfflineEmailRecognizer`` uses the snapshot bundled with
tldextract instead, plus the reserved and internal suffixes (``.example``, ``.internal``, ...) that real
suffix lists lack but operational text is full of.
"""

from __future__ import annotations

import re

import tldextract
from presidio_analyzer import Pattern, PatternRecognizer
from presidio_analyzer.predefined_recognizers import EmailRecognizer

# RFC 2606 / RFC 6761 reserved names and the usual private-network suffixes.
RESERVED_SUFFIXES = (
    "example",
    "test",
    "invalid",
    "localhost",
    "internal",
    "local",
    "corp",
    "lan",
    "home.arpa",
)
_FLAGS = re.DOTALL | re.MULTILINE  # case-sensitive, as key prefixes are; (?i:...) where not (same in regex)

_TLD = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), extra_suffixes=RESERVED_SUFFIXES)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's email recognizer, validating domains against the bundled public suffix snapshot."""

    def validate_result(self, pattern_text: str) -> bool:
        return _TLD(pattern_text).fqdn != ""


def _recognizer(entity: str, patterns: list[tuple[str, str, float]], context: list[str] | None = None):
    return PatternRecognizer(
        supported_entity=entity,
        name=f"{entity.title().replace('_', '')}Recognizer",
        patterns=[Pattern(name, rx, score) for name, rx, score in patterns],
        context=context,
        global_regex_flags=_FLAGS,
    )


def custom_recognizers() -> list[PatternRecognizer]:
    """The opslake-specific recognizers (English)."""
    end = r"(?![A-Za-z0-9_-])"
    api_keys = [
        ("AWS access key id", r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b", 0.9),
        ("Stripe key", r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b", 0.9),
        ("GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b", 0.9),
        ("Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}" + end, 0.9),
        ("Google API key", r"\bAIza[A-Za-z0-9_-]{35}" + end, 0.9),
        ("Secret key", r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}" + end, 0.8),
        (
            "Assigned secret",
            r"(?<=(?i:\b(?:x-)?api[_-]?key|\bsecret(?:[_-]?key)?|\bclient[_-]?secret|\b(?:access|auth)[_-]?token"
            r"|\bpassword|\bpasswd)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&<>]{8,}",
            0.7,
        ),
    ]
    bearer = [
        ("Bearer token", r"(?<=\b(?i:bearer)\s+)[A-Za-z0-9._~+/-]{16,}=*", 0.8),
        ("JWT", r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}" + end, 0.9),
    ]
    employee = [("HR id", r"\bEMP-\d{6}\b", 0.9), ("Badge id", r"\bE\d{6}\b", 0.3)]
    handle = [
        ("Mention", r"(?<![\w.@/+-])@(?!(?:here|channel|everyone)\b)[A-Za-z0-9](?:[\w.-]*[A-Za-z0-9])?", 0.6)
    ]
    return [
        _recognizer("API_KEY", api_keys),
        _recognizer("BEARER_TOKEN", bearer),
        _recognizer("EMPLOYEE_ID", employee, ["employee", "badge", "staff"]),
        _recognizer("USER_HANDLE", handle),
    ]
