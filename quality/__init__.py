"""Data quality: Great Expectations suites derived from the contracts (bronze, silver) and the dbt manifest (the
marts' ranges and volume; dbt tests the rest), run as Dagster checks.

``suites`` derives what is expected, ``frames`` computes what GE validates, ``gx`` runs GE and builds Data
Docs, ``results`` keeps every outcome in ``lake/governance/quality_results``, ``validate`` ties them together.
"""
