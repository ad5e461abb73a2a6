"""Free-text PII masking: recall on a hand-labelled corpus, placeholders, parity with Presidio, offline."""

from __future__ import annotations

import ipaddress
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cli.bench.pii import Corpus, evaluator_scores, run_pii_benchmark, score
from privacy.engine import ENTITIES, NER_ENTITIES, build_analyzer
from privacy.text import TextMasker, mask_naive, regions
from tests.fixtures.pii_corpus import CLEAN, labelled

DATA = labelled()
TEXTS = [text for text, _ in DATA]
# Pattern recognizers are regular expressions with checksums: every labelled value is found. spaCy's small
# English model finds 31 of the 33 names (it misses a lone first name and "Ama Owusu") and all 16 places.
MIN_RECALL = {"PERSON": 0.9, "LOCATION": 0.9}


@pytest.fixture(scope="module")
def analyzer():
    return build_analyzer()


@pytest.fixture(scope="module")
def naive(analyzer):
    return mask_naive(TEXTS, analyzer)


@pytest.fixture(scope="module")
def fast(analyzer):
    return TextMasker(analyzer).run(TEXTS)


def test_corpus_covers_every_entity_type():
    assert {kind for _, labels in DATA for _, _, kind in labels} == set(ENTITIES)


def test_recall_per_entity_type(fast, naive):
    labels = [spans for _, spans in DATA]
    ours, presidio = score(labels, [m.spans for m in fast]), score(labels, [m.spans for m in naive])
    for kind in ENTITIES:
        assert ours[kind]["recall"] >= MIN_RECALL.get(kind, 1.0), (kind, ours[kind])
        assert ours[kind]["recall"] >= presidio[kind]["recall"], (kind, ours[kind], presidio[kind])


def test_entities_become_placeholders(fast):
    for (text, spans), masked in zip(DATA, fast, strict=True):
        for start, end, kind in spans:
            if kind not in NER_ENTITIES:
                assert text[start:end] not in masked.text, (text, masked.text)
                assert f"<{kind}>" in masked.text, (kind, masked.text)
    assert (
        fast[0].text == "Paged <PERSON> <PHONE_NUMBER>) about elevated 5xx on billing-api after dep-000731."
    )


def test_other_words_are_kept(analyzer):
    assert TextMasker(analyzer).mask(CLEAN) == CLEAN
    masked = TextMasker(analyzer).mask(
        ["Rolled back dep-000731; postmortem owner Robert Miller (rm@acme.com)."]
    )
    assert masked == ["Rolled back dep-000731; postmortem owner <PERSON> (<EMAIL_ADDRESS>)."]


def test_same_pattern_entities_as_presidio(fast, naive):
    """Identical pattern detections, except that phone numbers are not read out of IP addresses."""
    for text, ours, presidio in zip(TEXTS, fast, naive, strict=True):
        ips = [(s, e) for s, e, kind in presidio.spans if kind == "IP_ADDRESS"]
        expected = {
            (s, e, kind)
            for s, e, kind in presidio.spans
            if kind not in NER_ENTITIES
            and not (kind == "PHONE_NUMBER" and any(a < e and s < b for a, b in ips))
        }
        assert {span for span in ours.spans if span[2] not in NER_ENTITIES} == expected, text


def test_regions_analysed_together_match_regions_alone(analyzer):
    masker = TextMasker(analyzer)
    chunks = sorted({text[s:e] for text in TEXTS for s, e in regions(text)})
    together = dict(masker._find(chunks))
    for chunk in chunks:
        alone = dict(masker._find([chunk]))[chunk]
        assert sorted((r.entity_type, r.start, r.end, r.score) for r in together[chunk]) == sorted(
            (r.entity_type, r.start, r.end, r.score) for r in alone
        ), chunk


def test_regions_keep_multi_token_entities_whole():
    text = "Call +1 (415) 555-0100 ext. 42, pay GB29 NWBK 6016 1331 9268 19. password: hunter22 done"
    assert [text[s:e] for s, e in regions(text)] == [
        "+1 (415) 555-0100 ext. 42",
        "GB29 NWBK 6016 1331 9268 19",
        "password: hunter22",
    ]


def test_deterministic_whatever_the_order_and_batches(analyzer, fast):
    shuffled = TEXTS[:]
    random.Random(3).shuffle(shuffled)
    masker = TextMasker(analyzer, batch_size=3)
    again = {
        text: m
        for part in (shuffled[:20], shuffled[20:])
        for text, m in zip(part, masker.run(part), strict=True)
    }
    assert [again[text] for text in TEXTS] == fast
    assert masker.run(TEXTS) == fast  # from the cache


def test_none_and_empty_pass_through(analyzer):
    masker = TextMasker(analyzer)
    assert masker.mask([None, "", "Mail ops@acme.com", None, "Mail ops@acme.com"]) == [
        None,
        "",
        "Mail <EMAIL_ADDRESS>",
        None,
        "Mail <EMAIL_ADDRESS>",
    ]
    assert masker.mask([]) == []


def test_runs_offline(tmp_path):
    """Loading the model and masking work with the network blocked (tldextract and spaCy would download)."""
    script = textwrap.dedent(
        """
        import socket

        attempts = []

        def blocked(*args, **kwargs):
            attempts.append(args)
            raise OSError("network blocked")

        socket.socket.connect = socket.getaddrinfo = socket.create_connection = blocked
        from privacy.text import TextMasker, mask_naive

        text = "Reset requested by jane.doe@example.com and ops@acme.io"
        print(TextMasker().mask([text])[0])
        print(mask_naive([text])[0].text)
        print(len(attempts))
        """
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "TLDEXTRACT_CACHE": str(tmp_path)}  # as on a fresh machine: no cached suffix list
    run = [sys.executable, "-c", script]
    out = subprocess.run(run, capture_output=True, text=True, timeout=120, cwd=root, env=env)
    assert out.returncode == 0, out.stderr
    masked = "Reset requested by <EMAIL_ADDRESS> and <EMAIL_ADDRESS>"
    assert out.stdout.splitlines() == [masked, masked, "0"]  # no connection was even attempted


def test_benchmark_corpus_labels_are_the_values_put_in():
    checks = {"EMAIL_ADDRESS": lambda v: "@" in v, "IP_ADDRESS": ipaddress.ip_address, "PERSON": str.istitle}
    for text, labels in Corpus(seed=3).texts(500):
        for start, end, kind in labels:
            value = text[start:end]
            assert value and value == value.strip(), (text, kind)
            assert checks.get(kind, bool)(value), (text, kind, value)


def test_benchmark_reports_both_ways(analyzer):
    lines = []
    out = run_pii_benchmark(n_texts=400, naive_sample=40, evaluator=False, echo=lines.append)
    assert out["texts"] == 400 and out["naive_sample"] == 40 and out["ratio"] > 1
    assert out["fast_on_all"]["EMAIL_ADDRESS"]["recall"] == 1.0
    assert set(out["naive_on_sample"]) <= set(ENTITIES) and any(line.startswith("ratio") for line in lines)


def test_masking_finds_at_least_what_presidio_defaults_find_on_presidio_own_corpus(analyzer):
    """Scored on labels written by presidio-evaluator's generator, not by this project."""
    scores = evaluator_scores(analyzer)
    defaults, kinds = scores["presidio_defaults"], [k for k, q in scores["fast"].items() if q["labels"]]
    assert {"PERSON", "LOCATION", "PHONE_NUMBER", "CREDIT_CARD", "EMAIL_ADDRESS"} <= set(kinds)
    for way in ("per_text", "fast"):
        for kind in kinds:
            assert scores[way][kind]["recall"] >= defaults[kind]["recall"], (way, kind)
        assert scores[way]["CREDIT_CARD"]["recall"] >= 0.97  # card numbers are PCI data
