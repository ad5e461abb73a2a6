"""Custom Presidio recognizers for what an operations platform leaks into free text.

* ``API_KEY``: cloud and SaaS credentials recognisable by their prefix (AWS key ids ``AKIA...``/``ASIA...``,
  Stripe ``sk_live_...``, GitHub ``ghp_...``/``github_pat_...``, Slack ``xoxb-...``, Google ``AIza...``,
  ``sk-...`` secret keys) and the value of ``api_key=...``, ``secret: ...``, ``password=...`` assignments.
* ``BEARER_TOKEN``: the token after ``Bearer`` and any JWT (``eyJ...``.``...``.``...``).
* ``EMPLOYEE_ID``: Opsline's HR id ``EMP-`` plus six digits (``EMP-104233``); the badge form ``E104233``
  counts only near a context word (employee, badge, staff), as it also looks like an error code.
* ``CREDIT_CARD``: ``CardNumberRecognizer``, every issuer's card numbers (Presidio's pattern misses some).
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

import phonenumbers
import tldextract
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import CreditCardRecognizer, EmailRecognizer, PhoneRecognizer

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


# Issuer prefixes (IIN ranges) and the lengths their card numbers have: Visa, Mastercard (51-55 and 2221-2720),
# Amex, Diners, Discover, JCB (also its 15-digit 1800/2131), UnionPay, Maestro (12 to 19 digits), Mir.
_ISSUERS = (
    (r"4", (13, 16, 19)),
    (r"5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720", (16,)),
    (r"3[47]", (15,)),
    (r"30[0-5]|3095|3[689]", (14, 15, 16, 17, 18, 19)),
    (r"6011|64[4-9]|65|62212[6-9]|6221[3-9]\d|622[2-8]\d\d|6229[01]\d|62292[0-5]", (16, 17, 18, 19)),
    (r"35", (16, 17, 18, 19)),
    (r"1800|2131", (15,)),
    (r"62|81", (16, 17, 18, 19)),
    (r"50|5[6-9]|6", (12, 13, 14, 15, 16, 17, 18, 19)),
    (r"220[0-4]", (16,)),
)
_ISSUER = [(re.compile(prefix), lengths) for prefix, lengths in _ISSUERS]


class CardNumberRecognizer(CreditCardRecognizer):
    """Card numbers of every major issuer, 12 to 19 digits, grouped or not, Luhn-checked.

    Presidio's pattern knows 13 to 19 digits starting 1, 3, 4, 5 or 6: it misses Mastercard's 2-series,
    19-digit Visa and 12-digit Maestro numbers, about a quarter of the cards in Presidio's own evaluation
    corpus. Card numbers are PCI data, so every issuer's. A match counts only when it starts with an issuer
    prefix, has a length that issuer uses and passes the Luhn check, which keeps long order or trace numbers
    out.
    """

    PATTERNS = [Pattern("Card number (12-19 digits)", r"(?<![\w-])\d(?:[ -]?\d){11,18}(?![\w-])", 0.3)]

    def __init__(self):
        super().__init__(patterns=self.PATTERNS, name="CardNumberRecognizer")

    def validate_result(self, pattern_text: str) -> bool:
        digits = re.sub(r"[ -]", "", pattern_text)
        separators = set(re.findall(r"[ -]", pattern_text))
        issued = any(p.match(digits) and len(digits) in lengths for p, lengths in _ISSUER)
        return len(separators) <= 1 and issued and super().validate_result(pattern_text)


_NUMBER = re.compile(r"\(?\d[\d ().\-/]{4,20}\d")  # where a national phone number could be
_DIGITS = re.compile(r"\d")


class PhoneNumbersRecognizer(PhoneRecognizer):
    """Presidio's phone recognizer: the ``regions``' national formats read the whole text, the
    ``more_regions``' only the runs of six digits or more (with separators) nothing else matched.

    Each region is one pass of ``phonenumbers``' matcher over the text, the costliest step of masking, so the
    regions that find few numbers in operational text look only where a number can be.
    """

    def __init__(self, regions: tuple[str, ...], more_regions: tuple[str, ...]):
        super().__init__(supported_regions=regions)
        self.more_regions = more_regions

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts)
        found = [(r.start, r.end) for r in results]
        for m in _NUMBER.finditer(text):
            start, end = m.span()
            if len(_DIGITS.findall(m.group())) < 6 or any(a < end and start < b for a, b in found):
                continue
            lo, hi = max(0, start - 1), min(len(text), end + 1)  # the matcher checks the characters around
            for region in self.more_regions:
                for match in phonenumbers.PhoneNumberMatcher(text[lo:hi], region, leniency=self.leniency):
                    match.start, match.end = match.start + lo, match.end + lo
                    results.append(self._get_recognizer_result(match, text, region, nlp_artifacts))
                    found.append((match.start, match.end))
        return EntityRecognizer.remove_duplicates(results)


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
