"""Reference documents generated from the code (the contracts, the metric definitions) and the server of dbt's
docs site."""
