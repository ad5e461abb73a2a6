"""Known identities in free text: the people, emails and accounts the lake holds in structured columns.

NER finds most names in free text, not all (its PERSON recall is about 0.85 on operational text), and what it
misses is exactly the people the lake knows best: the actor named in the audit message, the responder in the
incident summary. So every value of a column the classification marks as an ``identity`` is looked for in
every free-text field, in the forms people write it, and replaced by ``<KIND:pseudonym>``, where the pseudonym
is the one the structured column gets: ``<PERSON:3f9c…>`` in a message joins to ``actor_name = '3f9c…'``.

Forms (matched case-insensitively, at word boundaries): a name "First Last" also as "Last, First", "F. Last",
"F Last" and the handle "@first.last" (``<USER_HANDLE:…>`` with the name's pseudonym); an email also as the
handle "@<its local part>" (with the email's pseudonym, unless a name claims that handle); an account id as
written. A form two identities share ("J. Doe" of Jane and John) becomes ``<PERSON>``: masked, not attributed.
Single-word names are left to NER: alone, a first name is not an identity. All forms go into one Aho-Corasick
automaton, built once per run, so a text is scanned once whatever the number of people.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping

import ahocorasick
import pyarrow.compute as pc

from opslake import lake
from opslake.settings import Settings
from opslake.tables import DOMAINS
from privacy.pseudonyms import pseudonym

PERSON, EMAIL, ACCOUNT, HANDLE = "PERSON", "EMAIL_ADDRESS", "USER_ID", "USER_HANDLE"
KINDS = (PERSON, EMAIL, ACCOUNT)  # what a classification `identity` may say
Span = tuple[int, int, str]  # start, end, placeholder content ("PERSON:<pseudonym>" or "PERSON")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def identity_columns(declared: Mapping[str, dict]) -> dict[str, str]:
    """Column name -> identity kind, from the reviewed declarations (``*.<column>`` or ``<table>.<column>``)."""
    out = {}
    for key, decl in declared.items():
        kind = decl.get("identity")
        if kind is None:
            continue
        if kind not in KINDS:
            raise ValueError(f"{key}: identity must be one of {KINDS}, not {kind!r}")
        out[key.split(".", 1)[1]] = kind
    return out


def name_forms(name: str) -> list[tuple[str, str]]:
    """``(form, kind)`` of a person's name as people write it (their handle included); none for one word."""
    words = _WORD.findall(name)
    if len(words) < 2:
        return []
    first, last = words[0], words[-1]
    forms = {
        " ".join(words),
        f"{first} {last}",
        f"{last}, {first}",
        f"{first[0]}. {last}",
        f"{first[0]} {last}",
    }
    return [(f, PERSON) for f in forms] + [(f"@{first}.{last}", HANDLE)]


def email_forms(email: str) -> list[tuple[str, str]]:
    local = email.split("@", 1)[0]
    return [(email, EMAIL)] + ([(f"@{local}", HANDLE)] if len(local) >= 3 else [])


class Identities:
    """The forms of known identities, as one automaton; ``find`` gives their spans in a text."""

    def __init__(self, values: Iterable[tuple[str, str]], key: bytes):
        """``values``: ``(kind, value)`` pairs as held in the structured columns (raw, before masking)."""
        owners: dict[str, set[tuple[int, str, str]]] = {}  # lower-cased form -> {(rank, kind, value)}
        for kind, value in values:
            value = value.strip() if value else ""
            if not value:
                continue
            forms = (
                name_forms(value)
                if kind == PERSON
                else email_forms(value)
                if kind == EMAIL
                else [(value, kind)]
            )
            for form, form_kind in forms:  # a name's claim on a form (its handle) wins over an email's
                owners.setdefault(_lower(form), set()).add((kind != PERSON, form_kind, value))
        self.automaton = ahocorasick.Automaton()
        for form, owned in owners.items():
            best = min(owned)
            values_of = {v for rank, kind, v in owned if (rank, kind) == best[:2]}
            label = f"{best[1]}:{pseudonym(key, best[2])}" if len(values_of) == 1 else best[1]
            self.automaton.add_word(form, (len(form), label))
        self.forms = sorted(owners)  # lower-cased
        self.size = len(owners)
        labels = "\0".join(f"{form}\0{self.automaton.get(form)[1]}" for form in self.forms)
        self.fingerprint = hashlib.sha256(labels.encode()).hexdigest()  # equal identities, equal masking
        if self.size:
            self.automaton.make_automaton()

    def find(self, text: str) -> list[Span]:
        """Non-overlapping spans of known identities in ``text``, longest first where they overlap."""
        if not self.size or not text:
            return []
        lowered = _lower(text)
        found = []
        for end, (length, label) in self.automaton.iter(lowered):
            start, end = end - length + 1, end + 1
            if _bounded(lowered, start, end):
                found.append((start, end, label))
        found.sort(key=lambda s: (s[0], s[0] - s[1]))
        out: list[Span] = []
        for span in found:
            if not out or span[0] >= out[-1][1]:
                out.append(span)
        return out


def _lower(text: str) -> str:
    """``text`` lower-cased character by character, so offsets stay those of ``text``."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _bounded(text: str, start: int, end: int) -> bool:
    """The match is a whole token: not inside a word, an email, a handle or a dotted name."""
    if start > 0:
        before = text[start - 1]
        if (
            before.isalnum()
            or before in "_@"
            or (before in ".-+" and start > 1 and text[start - 2].isalnum())
        ):
            return False
    if end < len(text):
        after = text[end]
        if (
            after.isalnum()
            or after in "_@"
            or (after in ".-" and end + 1 < len(text) and text[end + 1].isalnum())
        ):
            return False
    return True


def lake_identities(settings: Settings, declared: Mapping[str, dict], key: bytes) -> Identities:
    """The identities held in bronze's structured columns, across every domain (a person named in an
    incident summary may be known from the audit trail); built once per bronze state and kept in memory."""
    columns = identity_columns(declared)
    tables = [(uri, t) for d in DOMAINS if (t := lake.open_table(uri := settings.table_uri("bronze", d)))]
    state = (key, tuple((uri, t.version()) for uri, t in tables))
    if state not in _KNOWN:
        values: set[tuple[str, str]] = set()
        for _, table in tables:
            present = [c for c in table.schema().to_arrow().names if c in columns]
            if not present:
                continue
            data = table.to_pyarrow_dataset().to_table(columns=present)
            for c in present:
                values |= {(columns[c], v) for v in pc.unique(data[c].drop_null()).to_pylist()}
        _KNOWN.clear()  # one bronze state at a time: a run's steps share it, the next run builds its own
        _KNOWN[state] = Identities(values, key)
    return _KNOWN[state]


_KNOWN: dict[tuple, Identities] = {}
