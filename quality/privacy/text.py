"""Masking free text: each PII entity becomes ``<ENTITY_TYPE>``, every other word stays.

``mask_naive`` is Presidio as documented, one ``AnalyzerEngine.analyze`` and one anonymize per text.
``TextMasker`` gives the same detections far faster on operational text, which repeats a lot:

1. Identical texts are analysed once (and remembered across calls in a bounded LRU).
2. Pattern entities (emails, phones, ids, keys, ...) never contain a plain lower-case word, so a text is cut
   at its plain words into "regions" (runs of whitespace-separated tokens holding digits, ``@``, capitals,
   punctuation or long strings). Presidio's pattern recognizers run once per distinct region; the same phone
   number, IP or deployment id recurs in thousands of texts. Their results then go through Presidio's own
   context enhancement, score threshold and de-duplication on the whole text, as ``analyze`` does. Context
   words are matched against lower-cased words instead of spaCy lemmas (finding every context word a lemma
   would, as Presidio matches substrings), and only when a score could change the outcome.
3. The text with those entities replaced by placeholders and its digits zeroed is a "template": spaCy NER
   (only the ``ner`` pipe, which has its own embedding layer, batched with ``nlp.pipe``) runs once per
   distinct template, through Presidio's spaCy recognizer, and the names and places it finds are mapped back.
4. Presidio's anonymizer writes the placeholders.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from itertools import pairwise
from typing import NamedTuple

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import ConflictResolutionStrategy

from quality.privacy.engine import (
    ENTITIES,
    LANGUAGE,
    NER_ENTITIES,
    PATTERN_ENTITIES,
    SCORE_THRESHOLD,
    build_analyzer,
)

Span = tuple[int, int, str]  # start, end, entity type


class Masked(NamedTuple):
    """A masked text and the spans of the original text that were found (before conflicts are resolved)."""

    text: str | None
    spans: tuple[Span, ...]


_ANONYMIZER = AnonymizerEngine()
_TOKEN = re.compile(r"\S+")
_DIGIT = re.compile(r"\d")
_EDGE = "\"'.,;:!?()[]{}<>"
_OPEN = "\"'([{<"
_GLUE = frozenset({"ext", "extn", "extension", "x"})  # phone extensions
_KEYWORDS = frozenset({"bearer", "apikey", "secret", "password", "passwd"})  # a secret follows


def _anonymize(text: str, results: list[RecognizerResult]) -> Masked:
    spans = tuple(sorted((r.start, r.end, r.entity_type) for r in results))
    copies = [RecognizerResult(r.entity_type, r.start, r.end, r.score) for r in results]
    out = _ANONYMIZER.anonymize(
        text, copies, conflict_resolution=ConflictResolutionStrategy.REMOVE_INTERSECTIONS
    )
    return Masked(out.text, spans)


def mask_naive(texts: list[str | None], analyzer: AnalyzerEngine | None = None) -> list[Masked]:
    """Presidio one text at a time: the reference ``TextMasker`` is measured against."""
    analyzer = analyzer or build_analyzer()
    out = []
    for text in texts:
        if not text:
            out.append(Masked(text, ()))
            continue
        results = analyzer.analyze(text, LANGUAGE, entities=list(ENTITIES), score_threshold=SCORE_THRESHOLD)
        out.append(_anonymize(text, results))
    return out


def regions(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of the runs of tokens that may hold a pattern entity: all but plain words."""
    out: list[tuple[int, int]] = []
    inside = after_keyword = False
    for m in _TOKEN.finditer(text):
        core = m.group().strip(_EDGE)
        low = core.lower()
        plain = core.isalpha() and len(core) <= 15 and not core.isupper() and not after_keyword
        plain = plain and low not in _GLUE and low not in _KEYWORDS
        after_keyword = low in _KEYWORDS
        if plain:
            inside = False
        elif inside:
            out[-1] = (out[-1][0], m.end())
        else:
            out.append(m.span())
            inside = True
    return out


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
    """Masks lists of texts; keeps the last ``cache_size`` texts, regions and templates it analysed."""

    def __init__(
        self, analyzer: AnalyzerEngine | None = None, cache_size: int = 100_000, batch_size: int = 256
    ):
        self.analyzer = analyzer or build_analyzer()
        self.batch_size = batch_size
        self._engine = self.analyzer.nlp_engine
        self._nlp = self._engine.get_nlp(LANGUAGE)
        self._recognizers = self.analyzer.registry.get_recognizers(LANGUAGE, entities=list(PATTERN_ENTITIES))
        for rec in self._recognizers:
            if not rec.is_loaded:
                rec.load()
                rec.is_loaded = True
        self._texts, self._regions, self._templates = _Lru(cache_size), _Lru(cache_size), _Lru(cache_size)

    def mask(self, texts: list[str | None]) -> list[str | None]:
        """The texts with every entity replaced by ``<ENTITY_TYPE>``; ``None`` and ``""`` pass through."""
        return [m.text for m in self.run(texts)]

    def run(self, texts: list[str | None]) -> list[Masked]:
        """Masked texts with the spans found in each."""
        todo = [t for t in dict.fromkeys(texts) if t and self._texts.lookup(t) is None]
        found = {t: self._patterns(t) for t in todo}
        templates = {t: _template(t, found[t]) for t in todo}
        self._names(sorted({key for key, _ in templates.values()} - self._templates.keys()))
        for t in todo:
            key, segments = templates[t]
            names = [_back(r, segments) for r in self._templates.lookup(key)]
            self._texts.store(t, _anonymize(t, found[t] + [r for r in names if r]))
        return [self._texts.lookup(t) if t else Masked(t, ()) for t in texts]

    def _patterns(self, text: str) -> list[RecognizerResult]:
        """Presidio's pattern results on ``text``, as ``analyze`` would return them."""
        results = [
            RecognizerResult(
                r.entity_type,
                r.start + start,
                r.end + start,
                r.score,
                r.analysis_explanation,
                r.recognition_metadata,
            )  # fmt: skip
            for start, end in regions(text)
            for r in self._region(text[start:end])
        ]
        if any(r.score < SCORE_THRESHOLD for r in results) or _overlapping(results):
            doc = self._nlp.make_doc(text)
            artifacts = NlpArtifacts(
                [], doc, [t.idx for t in doc], [t.lower_ for t in doc], self._engine, LANGUAGE
            )
            results = self.analyzer.context_aware_enhancer.enhance_using_context(
                text, results, artifacts, self._recognizers
            )
        return EntityRecognizer.remove_duplicates([r for r in results if r.score >= SCORE_THRESHOLD])

    def _region(self, chunk: str) -> tuple[RecognizerResult, ...]:
        hit = self._regions.lookup(chunk)
        if hit is None:
            entities = list(PATTERN_ENTITIES)
            hit = self._regions.store(
                chunk, tuple(r for rec in self._recognizers for r in rec.analyze(chunk, entities))
            )
        return hit

    def _names(self, keys: list[str]) -> None:
        """Run NER on new templates, in batches."""
        with self._nlp.select_pipes(enable=["ner"]):
            batches = self._engine.process_batch(keys, LANGUAGE, batch_size=self.batch_size)
            for key, artifacts in batches:
                results = self.analyzer.analyze(
                    key,
                    LANGUAGE,
                    entities=list(NER_ENTITIES),
                    score_threshold=SCORE_THRESHOLD,
                    nlp_artifacts=artifacts,
                )
                self._templates.store(key, tuple(results))


def _overlapping(results: list[RecognizerResult]) -> bool:
    spans = sorted((r.start, r.end) for r in results)
    return any(b[0] < a[1] for a, b in pairwise(spans))


def _template(text: str, results: list[RecognizerResult]) -> tuple[str, list[tuple[int, int, int]]]:
    """The NER input for ``text`` and its literal segments ``(template start, template end, text start)``."""
    parts, segments, pos, out = [], [], 0, 0
    for r in sorted(results, key=lambda r: (r.start, -r.end)):
        if r.start < pos:  # overlaps the previous placeholder
            pos = max(pos, r.end)
            continue
        start = (
            r.start + len(text[r.start : r.end]) - len(text[r.start : r.end].lstrip(_OPEN))
        )  # keep "(" for NER
        parts += [text[pos:start], f"<{r.entity_type}>"]
        segments.append((out, out + start - pos, pos))
        out += start - pos + len(parts[-1])
        pos = r.end
    parts.append(text[pos:])
    segments.append((out, out + len(text) - pos, pos))
    return _DIGIT.sub("0", "".join(parts)), segments


def _back(result: RecognizerResult, segments: list[tuple[int, int, int]]) -> RecognizerResult | None:
    """``result`` (found in a template) in the text's offsets, without the placeholders it overlaps."""
    inside = [
        (max(a, result.start), min(b, result.end), a, s)
        for a, b, s in segments
        if a < result.end and result.start < b
    ]
    if not inside:
        return None
    (start, _, a0, s0), (_, end, a1, s1) = inside[0], inside[-1]
    return RecognizerResult(result.entity_type, start - a0 + s0, end - a1 + s1, result.score)
