"""Masking free text: each PII entity becomes ``<ENTITY_TYPE>``, every other word stays.

``mask_naive`` is Presidio as documented: one ``AnalyzerEngine.analyze`` and one anonymize per text.
``TextMasker`` finds the same entities much faster in operational text, which repeats a lot:

1. Identical texts are analysed once, and remembered across calls in bounded LRUs.
2. No pattern entity (email, phone, IP, card, IBAN, national id, key, token, employee id, handle) contains a
   plain word (letters only, not all capitals), so ``regions`` cuts each text at its plain words. Presidio's
   pattern recognizers run once per distinct region (the same phone, IP or id recurs in thousands of texts),
   a few hundred regions joined into one string per call. Their results then go through Presidio's context
   enhancement, score threshold and de-duplication on the whole text, as in ``analyze``. Two differences:
   context words are looked for among lower-cased words rather than spaCy lemmas (Presidio matches
   substrings, so every context word a lemma has is still found), and the phone recognizer does not read
   phone numbers out of IP addresses (Presidio's does, and then the IP wins the overlap anyway).
3. The text with those entities replaced by ``<ENTITY_TYPE>``, and identifiers (words holding a digit)
   reduced to their shape (``dep-000731`` reads ``xxx-000000``), is a "template": spaCy NER runs once per
   distinct template, batched, with only the tokenizer and the ``ner`` pipe (which has its own embedding
   layer in en_core_web_sm), and what it finds is mapped back as Presidio's spaCy recognizer maps it. NER
   reading the template instead of the raw text changes its output for a few percent of the texts, both
   ways; on the benchmark corpus recall is the same or slightly higher and precision much higher.
4. The placeholders are written as Presidio's anonymizer writes them (and by it when spans overlap).

Both ways take the run's known ``Identities`` (``identities.py``): their spans win over what Presidio found
there and are written ``<KIND:pseudonym>``. ``TextMasker`` finds them first and puts them in the NER template as
placeholders (fewer distinct templates, and NER does not read a known name); a text is remembered with the
fingerprint of the identities it was masked with, since the people the lake knows change from run to run.
"""

from __future__ import annotations

import bisect
import re
import string
from collections import OrderedDict
from itertools import pairwise
from typing import NamedTuple

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import PhoneRecognizer
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import ConflictResolutionStrategy

from privacy.engine import (
    ENTITIES,
    LANGUAGE,
    NER_ENTITIES,
    PATTERN_ENTITIES,
    SCORE_THRESHOLD,
    build_analyzer,
)
from privacy.identities import Identities

Span = tuple[int, int, str]  # start, end, entity type (or "PERSON:<pseudonym>" for a known identity)


class Masked(NamedTuple):
    """A masked text and the entities found in it (spans of the original text, overlaps not resolved)."""

    text: str | None
    spans: tuple[Span, ...]


_ANONYMIZER = AnonymizerEngine()
_TOKEN = re.compile(r"\S+")
_DIGIT = re.compile(r"\d")
_ID = re.compile(r"\S*\d\S*")
_SHAPES = str.maketrans(
    string.ascii_uppercase + string.ascii_lowercase + string.digits, "X" * 26 + "x" * 26 + "0" * 10
)
_SPACES = re.compile(r" +")
_EDGE = "\"'.,;:!?()[]{}<>"
_OPEN = "\"'([{<"
_CLOSE = "\"'.,;!?)]}>"
_GROUP = re.compile(r"[A-Z\d+()\[\]./-]+|(?i:ext\.?|extn\.?|extension|x)\d*")  # phone, card, IBAN parts
_KEYWORD = re.compile(r"(?i)bearer|api[_-]?key|secret|token|passw(?:or)?d")  # a secret follows (or ":", "=")
_EXTENSION = frozenset({"ext", "extn", "extension", "x"})  # of a phone number
_SEPARATOR = "\n\n"  # between regions analysed together: no pattern spans it
_REGIONS_PER_CALL = 256  # well below phonenumbers' 65535 candidates per matcher


def mask_naive(
    texts: list[str | None], analyzer: AnalyzerEngine | None = None, known: Identities | None = None
) -> list[Masked]:
    """Presidio one text at a time: the reference ``TextMasker`` is measured against."""
    analyzer = analyzer or build_analyzer()
    out = []
    for text in texts:
        if not text:
            out.append(Masked(text, ()))
            continue
        results = analyzer.analyze(text, LANGUAGE, entities=list(ENTITIES), score_threshold=SCORE_THRESHOLD)
        masked = Masked(_anonymize(text, results), _spans(results))
        out.append(_with_identities(text, masked, results, known.find(text) if known else []))
    return out


def _spans(results: list[RecognizerResult]) -> tuple[Span, ...]:
    return tuple(sorted((r.start, r.end, r.entity_type.split(":", 1)[0]) for r in results))


def _with_identities(text: str, masked: Masked, results: list[RecognizerResult], found: list[Span]) -> Masked:
    """``masked`` with the known identities ``found`` in ``text`` replaced by their pseudonyms: what Presidio
    found inside them is dropped, what it found across their edges is cut to the part outside."""
    if not found:
        return masked
    merged = [RecognizerResult(label, s, e, 1.0) for s, e, label in found]
    for r in results:
        pieces = [(r.start, r.end)]
        for s, e, _ in found:
            pieces = [p for a, b in pieces for p in ((a, min(b, s)), (max(a, e), b)) if p[0] < p[1]]
        merged += [
            RecognizerResult(r.entity_type, a, b, r.score)
            for a, b in pieces
            if any(c.isalnum() for c in text[a:b])
        ]
    labelled = tuple(sorted((r.start, r.end, r.entity_type) for r in merged))
    overlap = any(b[0] < a[1] for a, b in pairwise(labelled))
    return Masked(_anonymize(text, merged) if overlap else _replace(text, labelled), _spans(merged))


def _anonymize(text: str, results: list[RecognizerResult]) -> str:
    copies = [RecognizerResult(r.entity_type, r.start, r.end, r.score) for r in results]
    strategy = ConflictResolutionStrategy.REMOVE_INTERSECTIONS
    return _ANONYMIZER.anonymize(text, copies, conflict_resolution=strategy).text


def _replace(text: str, spans: tuple[Span, ...]) -> str:
    """What ``_anonymize`` writes for spans that do not overlap, without its per-call overhead."""
    merged: list[list] = []
    for start, end, kind in spans:
        if merged and merged[-1][2] == kind and _SPACES.fullmatch(text, merged[-1][1], start):
            merged[-1][1] = end
        else:
            merged.append([start, end, kind])
    parts, pos = [], 0
    for start, end, kind in merged:
        parts += [text[pos:start], f"<{kind}>"]
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def regions(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of the runs of tokens in ``text`` that may hold pattern entities.

    Plain words (letters only, not all capitals, at most 15) are left out; number groups (digits, capitals,
    brackets, dots, dashes: phones, cards, IBANs, national ids) and a secret keyword with its value stay
    together; trailing punctuation is cut off unless the run holds a keyword.
    """
    out: list[tuple[int, int]] = []
    keywords = [m.start() for m in _KEYWORD.finditer(text)]
    joins = None  # how the previous token joins the next one: "group", "key" or None
    keyed = False  # the last region holds a keyword
    for m in _TOKEN.finditer(text):
        token, (start, end) = m.group(), m.span()
        key = any(start <= k < end for k in keywords) or not token.strip(":=")
        core = token.strip(_EDGE)
        plain = core.isalpha() and len(core) <= 15 and not core.isupper() and core.lower() not in _EXTENSION
        if plain and not key and joins != "key":
            joins = None
            continue
        group = _GROUP.fullmatch(token.rstrip(_CLOSE)) is not None
        if joins == "key" or (joins == "group" and group):
            out[-1] = (out[-1][0], end)
            keyed = keyed or key
        else:
            if out and not keyed:
                out[-1] = _trim(text, *out[-1])
            out.append((start, end))
            keyed = key
        joins = "key" if key else "group" if group else None
    if out and not keyed:
        out[-1] = _trim(text, *out[-1])
    return [(s, e) for s, e in out if s < e]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    return start, start + len(text[start:end].rstrip(_CLOSE))


class _Lru(OrderedDict):
    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def lookup(self, key):
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def store(self, key, value):
        self[key] = value
        if len(self) > self.size:
            self.popitem(last=False)
        return value


class TextMasker:
    """Masks lists of texts; remembers the last ``cache_size`` texts, regions and templates it analysed."""

    def __init__(
        self, analyzer: AnalyzerEngine | None = None, cache_size: int = 200_000, batch_size: int = 256
    ):
        self.analyzer = analyzer or build_analyzer()
        self.batch_size = batch_size
        self._engine = self.analyzer.nlp_engine
        self._nlp = self._engine.get_nlp(LANGUAGE)
        recognizers = self.analyzer.registry.get_recognizers(LANGUAGE, entities=list(PATTERN_ENTITIES))
        self._recognizers = sorted(recognizers, key=lambda rec: isinstance(rec, PhoneRecognizer))
        for rec in self._recognizers:
            if not rec.is_loaded:
                rec.load()
                rec.is_loaded = True
        self._texts, self._regions, self._templates = _Lru(cache_size), _Lru(cache_size), _Lru(cache_size)

    def stats(self) -> dict[str, int]:
        """How many distinct texts, regions and templates are remembered (all analysed, up to ``cache_size``)."""
        return {"texts": len(self._texts), "regions": len(self._regions), "templates": len(self._templates)}

    def mask(self, texts: list[str | None], known: Identities | None = None) -> list[str | None]:
        """The texts with every entity replaced by ``<ENTITY_TYPE>`` and every known identity by
        ``<KIND:pseudonym>``; ``None`` and ``""`` pass through."""
        return [m.text for m in self.run(texts, known)]

    def run(self, texts: list[str | None], known: Identities | None = None) -> list[Masked]:
        """The masked texts with the entities found in each."""
        people = known.fingerprint if known else ""
        done = {t: self._texts.lookup((people, t)) for t in dict.fromkeys(texts) if t}
        todo = [t for t, m in done.items() if m is None]
        cuts = {t: regions(t) for t in todo}
        raw = _cached(self._regions, {t[s:e] for t in todo for s, e in cuts[t]}, self._find)
        found = {t: self._patterns(t, cuts[t], raw) for t in todo}
        ids = {t: known.find(t) if known else [] for t in todo}
        templates = {  # a known identity is a placeholder too: texts naming different people share a template
            t: _template(
                t, found[t] + [RecognizerResult(label.split(":")[0], s, e, 1.0) for s, e, label in ids[t]]
            )
            for t in todo
        }
        names = _cached(self._templates, {key for key, _ in templates.values()}, self._names)
        for t in todo:
            key, segments = templates[t]
            results = found[t] + [r for r in (_back(r, segments) for r in names[key]) if r]
            spans = _spans(results)
            overlap = any(b[0] < a[1] for a, b in pairwise(spans))
            masked = Masked(_anonymize(t, results) if overlap else _replace(t, spans), spans)
            done[t] = self._texts.store((people, t), _with_identities(t, masked, results, ids[t]))
        return [done[t] if t else Masked(t, ()) for t in texts]

    def _find(self, chunks: list[str]):
        """Presidio's raw pattern results per region, for regions analysed together."""
        entities = list(PATTERN_ENTITIES)
        for first in range(0, len(chunks), _REGIONS_PER_CALL):
            batch = chunks[first : first + _REGIONS_PER_CALL]
            text, starts, found = _SEPARATOR.join(batch), [0], [[] for _ in batch]
            for chunk in batch[:-1]:
                starts.append(starts[-1] + len(chunk) + len(_SEPARATOR))
            results: list[RecognizerResult] = []
            for rec in self._recognizers:  # the phone recognizer last, not reading IP addresses as phones
                if isinstance(rec, PhoneRecognizer):
                    text = _blank(text, [r for r in results if r.entity_type == "IP_ADDRESS"])
                results += rec.analyze(text, entities)
            for r in results:
                i = bisect.bisect_right(starts, r.start) - 1
                r.start, r.end = r.start - starts[i], r.end - starts[i]
                found[i].append(r)
            yield from zip(batch, map(tuple, found), strict=True)

    def _patterns(self, text: str, cuts: list[tuple[int, int]], raw: dict) -> list[RecognizerResult]:
        """What ``analyze`` returns for ``text``, restricted to the pattern entities."""
        results = [
            RecognizerResult(
                r.entity_type, r.start + s, r.end + s, r.score, r.analysis_explanation, r.recognition_metadata
            )
            for s, e in cuts
            for r in raw[text[s:e]]
        ]
        spans = sorted((r.start, r.end) for r in results)
        if any(r.score < SCORE_THRESHOLD for r in results) or any(b[0] < a[1] for a, b in pairwise(spans)):
            doc = self._nlp.make_doc(text)
            artifacts = NlpArtifacts(
                [], doc, [t.idx for t in doc], [t.lower_ for t in doc], self._engine, LANGUAGE
            )
            enhancer = self.analyzer.context_aware_enhancer
            results = enhancer.enhance_using_context(text, results, artifacts, self._recognizers)
        results = [r for r in results if r.score >= SCORE_THRESHOLD]
        return EntityRecognizer.remove_duplicates(results) if len(results) > 1 else results

    def _names(self, keys: list[str]):
        """What Presidio's spaCy recognizer finds in each template, from NER run in batches."""
        config = self._engine.ner_model_configuration
        ignore, mapping = set(config.labels_to_ignore), config.model_to_presidio_entity_mapping
        docs = self._nlp.get_pipe("ner").pipe(self._nlp.tokenizer.pipe(keys), batch_size=self.batch_size)
        for key, doc in zip(keys, docs, strict=True):
            found = []
            for ent in doc.ents:  # as SpacyNlpEngine and SpacyRecognizer map them
                label = mapping.get(ent.label_, ent.label_)
                score = config.default_score
                if label in config.low_score_entity_names:
                    score *= config.low_confidence_score_multiplier
                kept = ent.label_ not in ignore and label not in ignore and label in NER_ENTITIES
                if kept and score >= SCORE_THRESHOLD:
                    found.append(RecognizerResult(label, ent.start_char, ent.end_char, score))
            yield key, tuple(found)


def _blank(text: str, results: list[RecognizerResult]) -> str:
    """``text`` with the spans of ``results`` replaced by spaces."""
    parts, pos = [], 0
    for r in sorted(results, key=lambda r: r.start):
        parts += [text[pos : max(pos, r.start)], " " * (r.end - max(pos, r.start))]
        pos = max(pos, r.end)
    return "".join(parts) + text[pos:]


def _cached(cache: _Lru, keys: set[str], compute) -> dict:
    """``keys`` mapped to their cached values, computing the missing ones (in sorted order) in one go."""
    out = {k: cache.lookup(k) for k in keys}
    out.update((k, cache.store(k, v)) for k, v in compute(sorted(k for k, v in out.items() if v is None)))
    return out


def _template(text: str, results: list[RecognizerResult]) -> tuple[str, list[tuple[int, int, int]]]:
    """The NER input for ``text`` and its literal segments ``(template start, template end, text start)``."""
    parts, segments, pos, out = [], [], 0, 0
    for r in sorted(results, key=lambda r: (r.start, -r.end)):
        if r.start < pos:  # overlaps the previous placeholder
            pos = max(pos, r.end)
            continue
        start = r.end - len(text[r.start : r.end].lstrip(_OPEN))  # an opening bracket stays for NER
        parts += [_shape(text[pos:start]), f"<{r.entity_type}>"]
        segments.append((out, out + start - pos, pos))
        out += start - pos + len(parts[-1])
        pos = r.end
    parts.append(_shape(text[pos:]))
    segments.append((out, out + len(text) - pos, pos))
    return "".join(parts), segments


def _shape(literal: str) -> str:
    """``literal`` with the letters and digits of identifiers (words holding a digit) replaced by their shape."""
    return _ID.sub(lambda m: m.group().translate(_SHAPES), literal) if _DIGIT.search(literal) else literal


def _back(result: RecognizerResult, segments: list[tuple[int, int, int]]) -> RecognizerResult | None:
    """``result`` (found in a template) in the text's offsets, without the placeholders it overlaps."""
    inside = [(a, b, s) for a, b, s in segments if a < result.end and result.start < b]
    if not inside:
        return None
    (a0, _, s0), (a1, b1, s1) = inside[0], inside[-1]
    start, end = max(result.start, a0) - a0 + s0, min(result.end, b1) - a1 + s1
    return RecognizerResult(result.entity_type, start, end, result.score)
