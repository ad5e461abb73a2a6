"""A dbt-duckdb source plugin that loads nothing: compiling for lineage renders SQL without reading the lake."""

import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin


class Plugin(BasePlugin):
    def load(self, source_config):
        return pa.table({"_": pa.array([], pa.int8())})

    def default_materialization(self) -> str:
        return "view"
