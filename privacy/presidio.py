"""Presidio for the silver step, loaded on first use: a step with nothing new to mask stays fast."""

from __future__ import annotations

import functools

from privacy.classify import Detector, presidio_detector
from privacy.silver import TextMask


def column_detector(score_threshold: float | None = None) -> Detector:
    """Entity detection on a column's sample (classification); Presidio loads on the first call."""

    def detect(values: list[str], context: list[str]) -> list[list[tuple[str, float]]]:
        from privacy.engine import ENTITIES, SCORE_THRESHOLD, build_analyzer

        threshold = SCORE_THRESHOLD if score_threshold is None else score_threshold
        return presidio_detector(build_analyzer(), list(ENTITIES), threshold)(values, context)

    return detect


def text_masker() -> TextMask:
    """Free-text masking with the process's one ``TextMasker``; Presidio loads on the first call."""
    return lambda texts, known: _masker().mask(texts, known)


def load() -> None:
    """Load Presidio and its spaCy model now (a long-lived process pays it before its first batch)."""
    _masker()


@functools.cache
def _masker():
    from privacy.text import TextMasker

    return TextMasker()
