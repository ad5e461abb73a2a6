"""PII masking benchmark: Presidio one text at a time against ``TextMasker`` on a repetitive free-text column.

The corpus is operational free text (incident summaries, audit messages, PR titles and bodies, log lines,
support notes) drawn from templates and from pools of people, ids and secrets, all Zipf-weighted as real
operational text is: a few templates, services and people account for most of it. Every text is generated
with the exact character spans and types of the PII put into it, so recall and precision are measured
against labels that do not come from Presidio.
"""

from __future__ import annotations

import random
import resource
import string
import time
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate

from ingestion.generator.catalog import COMPANIES, FIRST_NAMES, LAST_NAMES

Label = tuple[int, int, str]  # start, end, entity type

TEMPLATES = (  # most frequent first
    "User {user} logged in from {ip}.",
    "Bump {package} from 1.{minor}.0 to 1.{minor2}.1",
    "Acknowledged by {person} ({phone}), on call for {team}.",
    "GET /v1/accounts/{user}/usage 200 {ms}ms client={ip}",
    "Setting {setting} changed by {user}.",
    "Fix flaky test in {component}",
    "Paged {person} ({phone}) about elevated 5xx on {service} after {dep}.",
    "Failed login for {email} from {ip} ({attempts} attempts).",
    "Implements {story}. Thanks {person} for pairing; cc {email}",
    "Rolled back {dep}; error rate back to baseline. Postmortem owner: {person} ({email}).",
    "upstream {ip}:{port} timed out after {ms} ms on {service}",
    "Reassigned to {person} <{email}>, secondary on call for {team}.",
    "Implements {story}. Follow-up from review by {handle}.",
    "Role {role} granted to {email} by {person}.",
    "Datadog monitor: p99 latency of {service} above {ms} ms in {region}.",
    "WARN auth: rejected Authorization: Bearer {bearer} from {ip}",
    "Customer contact at {tenant}: {person}, {phone}.",
    "Password reset requested for {email} from {ipv6}.",
    "Implements {story}. Reported by {person} ({email}) of {tenant} via support.",
    "API key {api_key} rotated by {person} after it was pasted in #{channel}.",
    "Escalated to {person} after no answer from {handle} within 15 minutes.",
    "HR termination processed for {employee}; account {user} disabled by {person}.",
    "Customer in {city} reports checkout errors since {hour}:00 UTC, tenant {tenant}.",
    "Redact JWT {jwt} from debug logs of {service}",
    "Refund to card {card} approved by {person} for {tenant}.",
    "Payout IBAN {iban} updated for {tenant} by {email}.",
    "Payroll export: identity of {person} verified, SSN {ssn}.",
    "{person} moved from {city} to {city2}; update the on-call roster of {team}.",
    "Revoked leaked key {api_key} committed by {person} in {story}.",
    "Access for contractor {employee} ({person}, {phone}) expires on Friday.",
)
_SERVICES = ("billing-api", "auth-service", "search-indexer", "notifications", "usage-meter", "web-gateway")
_SERVICES += ("report-builder", "export-worker", "tenant-admin", "ingest-edge")
_TEAMS = ("Team Phoenix", "Team Atlas", "Team Orion", "Team Hydra", "Team Nova", "Team Vega", "Team Lyra")
_CITIES = ("Berlin", "Dublin", "Sydney", "London", "Frankfurt", "Seattle", "Austin", "Toronto", "Paris")
_CITIES += ("Madrid", "Chicago", "Boston", "Melbourne", "Munich", "Denver", "Amsterdam")
_PACKAGES = ("requests", "pydantic", "urllib3", "boto3", "grpcio", "protobuf", "sqlalchemy", "httpx")
_COMPONENTS = ("invoice export", "quota alerts", "SSO login", "audit search", "usage rollup", "webhooks")
_SETTINGS = ("sso.enforced", "session.timeout_minutes", "retention.days", "mfa.required", "export.max_rows")
_ROLES = ("admin", "billing-admin", "auditor", "developer", "viewer", "owner")
_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
_CHANNELS = ("incidents", "platform-eng", "support", "general", "deploys")
_PHONES = ("+1 415 555 01{:02d}", "+1 (212) 555-01{:02d}", "+44 20 7946 0{:03d}", "+49 30 2345 67{:02d}")
_PHONES += ("+61 2 5550 01{:02d}", "+353 1 555 01{:02d}", "(206) 555-01{:02d}", "+33 1 99 00 12 {:02d}")
_CARDS = ("4111 1111 1111 1111", "5555-5555-5555-4444", "4012888888881881", "3782 822463 10005")
_CARDS += ("6011 1111 1111 1117", "5105 1051 0510 5100")
_IBANS = ("DE89 3704 0044 0532 0130 00", "GB29 NWBK 6016 1331 9268 19", "IE29AIBK93115212345678")
_IBANS += ("FR14 2004 1010 0505 0001 3M02 606", "NL91ABNA0417164300", "ES9121000418450200051332")
_ALNUM = string.ascii_letters + string.digits
_PII = {  # slot -> entity type
    "person": "PERSON",
    "email": "EMAIL_ADDRESS",
    "phone": "PHONE_NUMBER",
    "ip": "IP_ADDRESS",
    "ipv6": "IP_ADDRESS",
    "handle": "USER_HANDLE",
    "employee": "EMPLOYEE_ID",
    "api_key": "API_KEY",
    "bearer": "BEARER_TOKEN",
    "jwt": "BEARER_TOKEN",
    "card": "CREDIT_CARD",
    "iban": "IBAN_CODE",
    "ssn": "US_SSN",
    "city": "LOCATION",
    "city2": "LOCATION",
}


@dataclass(frozen=True)
class _Person:
    name: str
    email: str
    phone: str
    handle: str
    employee: str
    ips: tuple[str, ...]
    ipv6: str


def _zipf(n: int, s: float = 1.1) -> list[float]:
    return list(accumulate(1 / (k + 1) ** s for k in range(n)))


class _Pool:
    """Values drawn with Zipf weights (the first is the most frequent)."""

    def __init__(self, values, s: float = 1.1):
        self.values, self.cum = list(values), _zipf(len(values), s)

    def draw(self, rng: random.Random):
        return rng.choices(self.values, cum_weights=self.cum)[0]


def _token(rng: random.Random, n: int, alphabet: str = _ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _people(rng: random.Random, n: int) -> list[_Person]:
    out, taken = [], set()
    while len(out) < n:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local = rng.choice((f"{first}.{last}", f"{first[0]}{last}", f"{first}{last[0]}")).lower()
        if local in taken:
            continue
        taken.add(local)
        domain = rng.choice(COMPANIES)[0] + rng.choice((".example", ".example", ".com", ".io"))
        ips = tuple(f"{rng.choice((10, 172, 192, 203))}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}" for _ in range(rng.randint(1, 3)))  # fmt: skip
        out.append(
            _Person(
                name=f"{first} {last}",
                email=f"{local}@{domain}",
                phone=rng.choice(_PHONES).format(rng.randrange(100)),
                handle=f"@{local}",
                employee=f"EMP-{rng.randrange(100000, 999999)}",
                ips=ips,
                ipv6=f"2001:db8:{rng.randrange(1, 0xFFFF):x}::{rng.randrange(1, 0xFFFF):x}",
            )
        )
    return out


class Corpus:
    """A reproducible generator of labelled operational free text."""

    def __init__(self, seed: int = 11, people: int = 2_000):
        rng = random.Random(seed)
        self.seed = seed
        self.people = _Pool(_people(rng, people))
        self.templates = _Pool(TEMPLATES, 1.0)
        jwt_head = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
        self.pools = {
            "dep": _Pool([f"dep-{i:06d}" for i in range(9000, 4000, -1)], 0.8),
            "story": _Pool([f"{t[:3].upper()}-{i}" for i in range(4000, 1000, -1) for t in ("ACME",)], 0.8),
            "user": _Pool([f"u-{i}" for i in rng.sample(range(1001, 6000), 3000)]),
            "api_key": _Pool(
                [f"AKIA{_token(rng, 16, string.ascii_uppercase + string.digits)}" for _ in range(100)]
                + [f"sk_live_{_token(rng, 24)}" for _ in range(100)]
                + [f"ghp_{_token(rng, 36)}" for _ in range(100)]
                + [f"xoxb-{rng.randrange(10**11)}-{_token(rng, 24)}" for _ in range(100)]
            ),
            "bearer": _Pool([_token(rng, 40, _ALNUM + "-_.") for _ in range(300)]),
            "jwt": _Pool([f"{jwt_head}.eyJ{_token(rng, 40)}.{_token(rng, 43)}" for _ in range(200)]),
            "service": _Pool(_SERVICES),
            "team": _Pool(_TEAMS),
            "tenant": _Pool([name for _, name in COMPANIES]),
            "city": _Pool(_CITIES),
            "package": _Pool(_PACKAGES),
            "component": _Pool(_COMPONENTS),
            "setting": _Pool(_SETTINGS),
            "role": _Pool(_ROLES),
            "region": _Pool(_REGIONS),
            "channel": _Pool(_CHANNELS),
            "card": _Pool(_CARDS),
            "iban": _Pool(_IBANS),
            "ssn": _Pool(
                [
                    f"{rng.randrange(100, 665)}-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}"
                    for _ in range(300)
                ]
            ),  # fmt: skip
        }
        self.numbers = {
            "ms": [str(50 * k) for k in range(1, 41)],
            "port": ["443", "8080", "5432", "6379", "9092"],
            "attempts": [str(k) for k in range(2, 10)],
            "minor": [str(k) for k in range(20)],
            "minor2": [str(k) for k in range(20, 40)],
            "hour": [f"{h:02d}" for h in range(24)],
        }
        self.fields = {t: [f for _, f, _, _ in string.Formatter().parse(t) if f] for t in TEMPLATES}

    def texts(self, n: int, seed: int | None = None) -> list[tuple[str, list[Label]]]:
        """``n`` texts with their labels; the same ``seed`` gives the same texts."""
        rng = random.Random(self.seed * 7919 + (seed or 0))
        return [self._text(rng) for _ in range(n)]

    def _text(self, rng: random.Random) -> tuple[str, list[Label]]:
        template = self.templates.draw(rng)
        person = self.people.draw(rng)
        values = {}
        for f in self.fields[template]:
            if f in ("person", "email", "phone", "handle", "employee", "ipv6"):
                values[f] = getattr(person, "name" if f == "person" else f)
            elif f == "ip":
                values[f] = rng.choice(person.ips)
            elif f == "city2":
                values[f] = self.pools["city"].draw(rng)
            elif f in self.numbers:
                values[f] = rng.choice(self.numbers[f])
            else:
                values[f] = self.pools[f].draw(rng)
        parts, labels, pos = [], [], 0
        for literal, f, _, _ in string.Formatter().parse(template):
            parts.append(literal)
            pos += len(literal)
            if f:
                value = values[f]
                if f in _PII:
                    labels.append((pos, pos + len(value), _PII[f]))
                parts.append(value)
                pos += len(value)
        return "".join(parts), labels


def score(labelled: list[list[Label]], detected: list[list[Label]]) -> dict[str, dict[str, float]]:
    """Recall and precision per entity type; a label is found by an overlapping detection of its type."""
    found, truth, right, claimed = Counter(), Counter(), Counter(), Counter()
    for labels, spans in zip(labelled, detected, strict=True):
        for s, e, t in labels:
            truth[t] += 1
            found[t] += any(t == dt and ds < e and s < de for ds, de, dt in spans)
        for ds, de, dt in spans:
            claimed[dt] += 1
            right[dt] += any(t == dt and ds < e and s < de for s, e, t in labels)
    types = sorted(set(truth) | set(claimed))
    return {
        t: {
            "labels": truth[t],
            "detections": claimed[t],
            "recall": round(found[t] / truth[t], 3) if truth[t] else None,
            "precision": round(right[t] / claimed[t], 3) if claimed[t] else None,
        }
        for t in types
    }


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def run_pii_benchmark(n_texts: int = 200_000, naive_sample: int = 2_000, seed: int = 11, echo=print) -> dict:
    """Mask ``n_texts`` corpus texts with ``TextMasker`` and the first ``naive_sample`` the naive way."""
    from quality.privacy.engine import build_analyzer
    from quality.privacy.text import TextMasker, mask_naive

    analyzer, load_s = timed(build_analyzer)
    data = Corpus(seed).texts(n_texts)
    texts = [t for t, _ in data]
    labels = [lab for _, lab in data]
    naive, naive_s = timed(mask_naive, texts[:naive_sample], analyzer)
    fast, fast_s = timed(TextMasker(analyzer).run, texts)
    k = len(naive)
    naive_rate, fast_rate = k / naive_s, len(texts) / fast_s
    out = {
        "texts": len(texts),
        "distinct_texts": len(set(texts)),
        "model_load_s": round(load_s, 2),
        "naive_sample": k,
        "naive_texts_per_s": round(naive_rate, 1),
        "naive_extrapolated_s": round(len(texts) / naive_rate, 1),
        "fast_s": round(fast_s, 2),
        "fast_texts_per_s": round(fast_rate, 1),
        "ratio": round(fast_rate / naive_rate, 1),
        "same_output_on_sample": round(sum(a == b for a, b in zip(naive, fast, strict=False)) / k, 4),
        "naive_quality": score(labels[:k], [m.spans for m in naive]),
        "fast_quality": score(labels[:k], [m.spans for m in fast[:k]]),
        "fast_quality_all": score(labels, [m.spans for m in fast]),
        "peak_rss_mb": round(peak_mb()),
    }
    echo(out)
    return out
