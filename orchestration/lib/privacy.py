"""The privacy engine as a resource: Presidio is loaded once per process, when a step first needs it."""

from __future__ import annotations

import dagster as dg

from privacy.classify import Detector
from privacy.presidio import column_detector, text_masker
from privacy.silver import TextMask


class PrivacyResource(dg.ConfigurableResource):
    """Presidio with the offline spaCy model: column detection for the catalog and free-text masking."""

    score_threshold: float | None = None  # default: the engine's threshold

    def detector(self) -> Detector:
        return column_detector(self.score_threshold)

    def text_masker(self) -> TextMask:
        return text_masker()
