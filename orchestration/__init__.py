"""Dagster, and the only package that imports it: the definitions, each concern's assets and checks under
``defs/``, shared pieces under ``lib/``, and ``materialize`` (the driver of ``opslake run``)."""
