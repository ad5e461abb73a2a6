"""The foundation every layer stands on: settings, owner-only files, Delta I/O and locks, the table registry, the
dbt project and the warehouse. It imports nothing of ours (``lint-imports`` checks)."""
