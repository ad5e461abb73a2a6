"""PII masking benchmark: Presidio one text at a time against ``TextMasker`` on a repetitive free-text column.

The corpus is operational free text (incident summaries, audit messages, PR titles and bodies, log lines,
support notes) drawn from templates and from pools of people, ids and secrets, all Zipf-weighted as real
operational text is: a few templates, services and people account for most of it. Every text is generated
with the exact character spans and types of the PII put into it, so recall and precision are measured
against labels that do not come from Presidio.

A corpus written by the project that masks it cannot show what that project never thought of, so every run
also scores Presidio's own evaluation corpus (``data/``, from ``presidio-evaluator``), for the entity types
opslake masks, three ways: Presidio as shipped (its default recognizers and threshold), opslake's per-text
path and its fast path. Masking should find at least what Presidio's defaults find.
"""

from __future__ import annotations

import functools
import json
import random
import resource
import string
import time
from collections import Counter
from itertools import accumulate
from pathlib import Path

from demo.catalog import (
    COMPANIES,
    FIRST_NAMES,
    LAST_NAMES,
    SERVICES,
    STORY_OBJECTS,
    TEAM_NAMES,
)

Label = tuple[int, int, str]  # start, end, entity type
EVALUATOR_CORPUS = Path(__file__).parent / "data" / "presidio_evaluator_sentences.jsonl"
EVALUATOR_TYPES = {"GPE": "LOCATION", "STREET_ADDRESS": "LOCATION"}  # the evaluator's own mapping

TEMPLATES = (  # (who, template), most frequent first; who is "customer", "staff" or ""
    ("customer", "User {user} logged in from {ip}."),
    ("", "Bump {package} from 1.{minor}.0 to 1.{minor2}.1"),
    ("staff", "Acknowledged by {person} ({phone}), on call for {team}."),
    ("customer", "GET /v1/accounts/{user}/usage 200 {ms}ms client={ip}"),
    ("customer", "Setting {setting} changed by {user}."),
    ("", "Fix flaky test in {component}"),
    ("staff", "Paged {person} ({phone}) about elevated 5xx on {service} after {dep}."),
    ("customer", "Failed login for {email} from {ip} ({attempts} attempts)."),
    ("staff", "Implements {story}. Thanks {person} for pairing; cc {email}"),
    ("staff", "Rolled back {dep}; error rate back to baseline. Postmortem owner: {person} ({email})."),
    ("", "upstream {host}:{port} timed out after {ms} ms on {service}"),
    ("staff", "Reassigned to {person} <{email}>, secondary on call for {team}."),
    ("staff", "Implements {story}. Follow-up from review by {handle}."),
    ("customer", "Role {role} granted to {email} by {admin}."),
    ("", "Datadog monitor: p99 latency of {service} above {ms} ms in {region}."),
    ("customer", "WARN auth: rejected Authorization: Bearer {bearer} from {ip}"),
    ("customer", "Customer contact at {tenant}: {person}, {phone}."),
    ("customer", "Password reset requested for {email} from {ipv6}."),
    ("customer", "Implements {story}. Reported by {person} ({email}) of {tenant} via support."),
    ("staff", "API key {api_key} rotated by {person} after it was pasted in #{channel}."),
    ("staff", "Escalated to {person} after no answer from {handle2} within 15 minutes."),
    ("staff", "HR termination processed for {employee}; account {user} disabled by {admin}."),
    ("customer", "Customer in {city} reports checkout errors since {hour}:00 UTC, tenant {tenant}."),
    ("customer", "Redact JWT {jwt} from debug logs of {service}"),
    ("customer", "Refund to card {card} approved for {person} of {tenant}."),
    ("customer", "Payout IBAN {iban} updated for {tenant} by {email}."),
    ("staff", "Payroll export: identity of {person} verified, SSN {ssn}."),
    ("staff", "{person} moved from {city} to {city2}; update the on-call roster of {team}."),
    ("staff", "Revoked leaked key {api_key} committed by {person} in {story}."),
    ("staff", "Access for contractor {employee} ({person}, {phone}) expires on Friday."),
)
_CITIES = ("Berlin", "Dublin", "Sydney", "London", "Frankfurt", "Seattle", "Austin", "Toronto", "Paris")
_CITIES += ("Madrid", "Chicago", "Boston", "Melbourne", "Munich", "Denver", "Amsterdam")
_PACKAGES = ("requests", "pydantic", "urllib3", "boto3", "grpcio", "protobuf", "sqlalchemy", "httpx")
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
_PARSED = {t: list(string.Formatter().parse(t)) for _, t in TEMPLATES}
_ALNUM = string.ascii_letters + string.digits
_JWT_HEAD = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
_PII = {  # slot -> entity type
    "person": "PERSON",
    "admin": "PERSON",
    "email": "EMAIL_ADDRESS",
    "phone": "PHONE_NUMBER",
    "ip": "IP_ADDRESS",
    "ipv6": "IP_ADDRESS",
    "host": "IP_ADDRESS",
    "handle": "USER_HANDLE",
    "handle2": "USER_HANDLE",
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


@functools.cache
def _zipf(n: int, s: float = 1.1) -> tuple[float, ...]:
    """Cumulative Zipf weights of ``n`` ranks."""
    return tuple(accumulate(1 / (k + 1) ** s for k in range(n)))


def _pick(rng: random.Random, values: list | tuple, s: float = 1.1):
    """A value drawn with Zipf weights (the first is the most frequent)."""
    return rng.choices(values, cum_weights=_zipf(len(values), s))[0]


def _token(rng: random.Random, n: int, alphabet: str = _ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _ip(rng: random.Random) -> str:
    return (
        f"{rng.choice((10, 172, 192, 203))}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    )


class _Group:
    """A tenant's customers or a team's engineers, with what their texts mention."""

    def __init__(self, rng: random.Random, name: str, domain: str, size: int, staff: bool, services, city):
        self.name, self.services, self.city = name, services, city
        self.iban = rng.choice(_IBANS)
        self.people, taken = [], set()
        while len(self.people) < size:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            local = rng.choice((f"{first}.{last}", f"{first[0]}{last}", f"{first}{last[0]}")).lower()
            if local not in taken:
                taken.add(local)
                self.people.append(self._person(rng, f"{first} {last}", f"{local}@{domain}", staff))

    @staticmethod
    def _person(rng: random.Random, name: str, email: str, staff: bool) -> dict:
        keys = (
            f"AKIA{_token(rng, 16, string.ascii_uppercase + string.digits)}",
            f"sk_live_{_token(rng, 24)}",
            f"ghp_{_token(rng, 36)}",
            f"xoxb-{rng.randrange(10**11)}-{_token(rng, 24)}",
        )
        return {
            "person": name,
            "email": email,
            "phone": rng.choice(_PHONES).format(rng.randrange(100)),
            "handle": "@" + email.split("@")[0],
            "user": f"u-{rng.randrange(1001, 9999)}",
            "employee": f"EMP-{rng.randrange(100000, 999999)}",
            "ip": tuple(_ip(rng) for _ in range(rng.randint(1, 3))),
            "ipv6": f"2001:db8:{rng.randrange(1, 0xFFFF):x}::{rng.randrange(1, 0xFFFF):x}",
            "api_key" if staff else "bearer": rng.choice(keys) if staff else _token(rng, 40, _ALNUM + "-_."),
            "jwt": f"{_JWT_HEAD}.eyJ{_token(rng, 40)}.{_token(rng, 43)}",
            "card": rng.choice(_CARDS),
            "ssn": f"{rng.randrange(100, 665)}-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}",
        }


class Corpus:
    """A reproducible generator of labelled operational free text.

    Customers belong to tenants (Zipf-sized), engineers to teams that own services; a text mentions one
    person and what goes with them (their email, phone, IPs, team, tenant), as operational text does.
    """

    def __init__(self, seed: int = 11, customers: int = 2_000, engineers: int = 300):
        rng = random.Random(seed)
        self.seed = seed
        total, services = _zipf(len(COMPANIES))[-1], [s.name for s in SERVICES]
        self.tenants = []
        for k, (slug, name) in enumerate(COMPANIES):
            size = max(3, round(customers / (k + 1) ** 1.1 / total))
            domain = slug + rng.choice((".example", ".com", ".io"))
            self.tenants.append(_Group(rng, name, domain, size, False, (), rng.choice(_CITIES)))
        self.teams = []
        for k, name in enumerate(TEAM_NAMES):
            owned = (services[k % len(services)], services[(k + 3) % len(services)])
            size = engineers // len(TEAM_NAMES)
            self.teams.append(
                _Group(rng, f"Team {name}", "opsline.example", size, True, owned, rng.choice(_CITIES))
            )
        self.hosts = [_ip(rng) for _ in range(200)]

    def identities(self) -> list[tuple[str, str]]:
        """``(kind, value)`` of every person's name, email and account, as structured columns hold them."""
        people = [p for group in self.tenants + self.teams for p in group.people]
        kinds = (("PERSON", "person"), ("EMAIL_ADDRESS", "email"), ("USER_ID", "user"))
        return [(kind, p[slot]) for p in people for kind, slot in kinds]

    def texts(self, n: int, seed: int = 0) -> list[tuple[str, list[Label]]]:
        """``n`` texts with their labels; the same ``seed`` gives the same texts."""
        rng = random.Random(self.seed * 7919 + seed)
        return [self._text(rng) for _ in range(n)]

    def _text(self, rng: random.Random) -> tuple[str, list[Label]]:
        who, template = _pick(rng, TEMPLATES, 1.0)
        group = _pick(rng, self.teams if who == "staff" else self.tenants)
        person, other = _pick(rng, group.people), _pick(rng, group.people)
        project = group.name[5:] if who == "staff" else rng.choice(TEAM_NAMES)  # a team's stories
        slots = {
            **person,
            "ip": rng.choice(person["ip"]),
            "admin": rng.choice(group.people[:3])["person"],  # tenant admins, team leads
            "handle2": other["handle"],
            "team": group.name,
            "tenant": group.name,
            "city": group.city,
            "city2": rng.choice(_CITIES),
            "iban": group.iban,
            "service": rng.choice(group.services or [s.name for s in SERVICES]),
            "dep": f"dep-{rng.randrange(4000, 9000):06d}",
            "story": f"{project[:3].upper()}-{rng.randrange(1000, 4000)}",
            "host": rng.choice(self.hosts),
            "ms": str(50 * rng.randint(1, 40)),
            "port": rng.choice(("443", "8080", "5432", "6379", "9092")),
            "attempts": str(rng.randint(2, 9)),
            "minor": str(rng.randrange(20)),
            "minor2": str(rng.randrange(20, 40)),
            "hour": f"{rng.randrange(24):02d}",
            "package": _pick(rng, _PACKAGES),
            "component": _pick(rng, STORY_OBJECTS),
            "setting": _pick(rng, _SETTINGS),
            "role": _pick(rng, _ROLES),
            "region": _pick(rng, _REGIONS),
            "channel": _pick(rng, _CHANNELS),
        }
        parts, labels, pos = [], [], 0
        for literal, f, _, _ in _PARSED[template]:
            parts.append(literal)
            pos += len(literal)
            if f:
                value = slots[f]
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


def evaluator_corpus(masked: tuple[str, ...]) -> tuple[list[str], list[list[Label]]]:
    """Presidio's evaluation sentences and their labels, restricted to the ``masked`` entity types."""
    texts, labels = [], []
    for line in EVALUATOR_CORPUS.read_text().splitlines():
        sample = json.loads(line)
        texts.append(sample["text"])
        spans = [(s, e, EVALUATOR_TYPES.get(t, t)) for s, e, t in sample["spans"]]
        labels.append([span for span in spans if span[2] in masked])
    return texts, labels


def presidio_defaults(nlp_engine):
    """Presidio as shipped: its predefined recognizers and no score threshold, on the one spaCy model here
    (its default, ``en_core_web_lg``, cannot be downloaded); only the email recognizer reads the bundled
    public suffix list instead of fetching it."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    from privacy.recognizers import OfflineEmailRecognizer

    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(nlp_engine=nlp_engine, languages=["en"])
    registry.remove_recognizer(EmailRecognizer().name)
    registry.add_recognizer(OfflineEmailRecognizer())
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])


def evaluator_scores(analyzer) -> dict[str, dict]:
    """Recall and precision on Presidio's evaluation corpus: Presidio's defaults, per text, fast path."""
    from privacy.engine import ENTITIES as masked
    from privacy.text import TextMasker, mask_naive

    texts, labels = evaluator_corpus(masked)
    defaults = presidio_defaults(analyzer.nlp_engine)
    found = [[(r.start, r.end, r.entity_type) for r in defaults.analyze(t, "en")] for t in texts]
    ways = {
        "presidio_defaults": [[s for s in spans if s[2] in masked] for spans in found],
        "per_text": [m.spans for m in mask_naive(texts, analyzer)],
        "fast": [m.spans for m in TextMasker(analyzer).run(texts)],
    }
    return {way: score(labels, spans) for way, spans in ways.items()}


def run_pii_benchmark(
    n_texts: int = 200_000, naive_sample: int = 4_000, seed: int = 11, evaluator: bool = True, echo=print
) -> dict:
    """Mask ``n_texts`` corpus texts with ``TextMasker``, and the first ``naive_sample`` of them the naive way.

    The naive way (about 150 texts/s here) is timed on the sample only and extrapolated: it analyses every
    text on its own, so its time grows linearly with the number of texts. Both ways are scored on the sample
    against the corpus labels, ``TextMasker`` also on all texts. The two differ only where spaCy reads a
    template differently from the raw text (a few percent of texts, both ways; a smaller sample makes the
    PERSON recall comparison noisy). Returns the figures it prints.
    """
    start = time.perf_counter()
    from privacy.engine import ENTITIES, build_analyzer
    from privacy.identities import Identities
    from privacy.text import TextMasker, mask_naive

    analyzer = build_analyzer()
    load_s = time.perf_counter() - start  # imports included: most of it is importing spaCy and Presidio
    corpus = Corpus(seed)
    data = corpus.texts(n_texts)
    texts, labels = [t for t, _ in data], [lab for _, lab in data]
    start = time.perf_counter()
    naive = mask_naive(texts[:naive_sample], analyzer)
    naive_s = time.perf_counter() - start
    masker = TextMasker(analyzer)
    start = time.perf_counter()
    fast = masker.run(texts)
    fast_s = time.perf_counter() - start
    start = time.perf_counter()  # as silver masks: the people the lake holds in columns are known
    known = TextMasker(analyzer).run(texts, Identities(corpus.identities(), b"opslake bench pii"))
    known_s = time.perf_counter() - start
    k = len(naive)
    naive_rate, fast_rate = k / naive_s, len(texts) / fast_s
    out = {
        "texts": len(texts),
        "analysed": masker.stats(),
        "model_load_s": round(load_s, 2),
        "naive_sample": k,
        "naive_s": round(naive_s, 2),
        "naive_texts_per_s": round(naive_rate, 1),
        "naive_extrapolated_s": round(len(texts) / naive_rate),
        "fast_s": round(fast_s, 2),
        "fast_texts_per_s": round(fast_rate),
        "ratio": round(fast_rate / naive_rate, 1),
        "known_s": round(known_s, 2),
        "known_texts_per_s": round(len(texts) / known_s),
        "same_masked_text_on_sample": round(
            sum(a.text == b.text for a, b in zip(naive, fast, strict=False)) / k, 3
        ),
        "naive_on_sample": score(labels[:k], [m.spans for m in naive]),
        "fast_on_sample": score(labels[:k], [m.spans for m in fast[:k]]),
        "fast_on_all": score(labels, [m.spans for m in fast]),
        "known_on_all": score(labels, [m.spans for m in known]),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    sample = texts[:naive_sample]
    defaults = presidio_defaults(analyzer.nlp_engine)
    found = [[(r.start, r.end, r.entity_type) for r in defaults.analyze(t, "en")] for t in sample]
    out["defaults_on_sample"] = score(labels[:k], [[s for s in f if s[2] in ENTITIES] for f in found])
    out["evaluator"] = evaluator_scores(analyzer) if evaluator else None
    _report(out, echo)
    return out


def _report(out: dict, echo) -> None:
    n, a = out["texts"], out["analysed"]
    echo(
        f"{n:,} texts: {a['texts']:,} distinct, {a['regions']:,} distinct regions through Presidio's pattern "
        f"recognizers, {a['templates']:,} distinct templates through spaCy NER; Presidio and spaCy load in "
        f"{out['model_load_s']} s"
    )
    echo(
        f"naive (analyze + anonymize per text): {out['naive_texts_per_s']:,} texts/s on the first "
        f"{out['naive_sample']:,} ({out['naive_s']} s), so about {out['naive_extrapolated_s']:,} s for all"
    )
    echo(f"TextMasker: {out['fast_texts_per_s']:,} texts/s ({out['fast_s']} s for all)")
    echo(
        f"TextMasker with the corpus's people known (as silver masks): {out['known_texts_per_s']:,} texts/s "
        f"({out['known_s']} s for all)"
    )
    echo(
        f"ratio {out['ratio']}x; same masked text as naive for {out['same_masked_text_on_sample']:.1%} of the "
        f"sample; peak RSS {out['peak_rss_mb']:,} MB"
    )
    echo(
        f"recall/precision on the first {out['naive_sample']:,} texts (Presidio's defaults, naive, TextMasker), "
        "and on all texts TextMasker's without and with the people known:"
    )
    echo(
        f"{'entity':<14} {'labels':>6} {'defaults':>13} {'naive':>13} {'TextMasker':>13} | {'labels':>7} "
        f"{'TextMasker':>13} {'+ known':>13}"
    )
    ways = (out["defaults_on_sample"], out["naive_on_sample"], out["fast_on_sample"])
    every, known = out["fast_on_all"], out["known_on_all"]
    for kind in sorted(set().union(*ways, every, known)):
        labels = ways[2].get(kind, ways[1].get(kind, {})).get("labels", 0)
        cells = " ".join(f"{_cell(q.get(kind)):>13}" for q in ways)
        total = every.get(kind, known.get(kind, {})).get("labels", 0)
        echo(
            f"{kind:<14} {labels:>6,} {cells} | {total:>7,} {_cell(every.get(kind)):>13} "
            f"{_cell(known.get(kind)):>13}"
        )
    if not out["evaluator"]:
        return
    echo("Presidio's evaluation corpus (1,200 sentences, presidio-evaluator), recall/precision:")
    echo(f"{'entity':<14} {'labels':>6} {'defaults':>13} {'naive':>13} {'TextMasker':>13}")
    ev = out["evaluator"]
    for kind in sorted(k for k, q in ev["fast"].items() if q["labels"]):
        cells = " ".join(f"{_cell(ev[w].get(kind)):>13}" for w in ("presidio_defaults", "per_text", "fast"))
        echo(f"{kind:<14} {ev['fast'][kind]['labels']:>6,} {cells}")


def _cell(q: dict | None) -> str:
    if not q:
        return "-"
    return "/".join("-" if q[m] is None else f"{q[m]:.3f}" for m in ("recall", "precision"))
