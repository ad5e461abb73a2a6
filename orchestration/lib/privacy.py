"""The privacy engine as a resource: Presidio is loaded once per process, when a step first needs it."""

from __future__ import annotations

from typing import Any

import dagster as dg
from pydantic import PrivateAttr

from quality.privacy.classify import Detector, presidio_detector
from quality.privacy.silver import TextMask


class PrivacyResource(dg.ConfigurableResource):
    """Presidio with the offline spaCy model: column detection for the catalog and free-text masking."""

    score_threshold: float | None = None  # default: the engine's threshold
    _masker: Any = PrivateAttr(default=None)

    def _text_masker(self):
        if self._masker is None:
            from quality.privacy.engine import build_analyzer
            from quality.privacy.text import TextMasker

            self._masker = TextMasker(build_analyzer())
        return self._masker

    def detector(self) -> Detector:
        """Column detection; Presidio loads on the first call, so a step with nothing new stays fast."""
        from quality.privacy.engine import (  # build_analyzer is cached
            ENTITIES,
            SCORE_THRESHOLD,
            build_analyzer,
        )

        threshold = SCORE_THRESHOLD if self.score_threshold is None else self.score_threshold

        def detect(values: list[str], context: list[str]) -> list[list[tuple[str, float]]]:
            return presidio_detector(build_analyzer(), list(ENTITIES), threshold)(values, context)

        return detect

    def text_masker(self) -> TextMask:
        """Free-text masking; Presidio loads on the first call."""
        return lambda texts: self._text_masker().mask(texts)
