"""Column lineage derived from the code (contracts, the classification catalog, dbt's compiled SQL parsed with
sqlglot), the PII guard over it, and OpenLineage run events."""
