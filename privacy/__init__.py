"""Data protection, the silver layer: classification of every bronze column (``classification.yml``, reviewed),
its catalog, masking into silver (keyed pseudonyms, Presidio for free text), erasure of a data subject,
retention (``retention.yml``) and the trail of these privileged operations."""
