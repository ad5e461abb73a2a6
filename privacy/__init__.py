"""PII detection and masking of free text with Presidio (spaCy NER plus pattern recognizers)."""
