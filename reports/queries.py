"""The SQL of a pack, the one place it is written: each control's population and exception rows for a period.

The statements are written into the pack as ``query.sql`` and re-run from there by ``verify``, so they embed
their literals (no parameters) and order their rows completely: the same publication gives the same bytes.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.csv as pacsv

from opslake.dbt_project import MARTS_SCHEMA
from opslake.publication import sql_literal

CONTROLS = f"{MARTS_SCHEMA}.compliance_controls"
POPULATION = f"{MARTS_SCHEMA}.compliance_population"
EXCEPTIONS = f"{MARTS_SCHEMA}.compliance_exceptions"
HEADER = "-- file: "  # starts the comment line naming the CSV the statement below it produces

RESULT_COLUMNS = (
    "tenant_id, control_id, framework, criterion, control_title, month, "
    "days_in_period, days_covered, is_partial, population, exceptions, status"
)
POPULATION_COLUMNS = (
    "tenant_id, control_id, month, population_item_id, occurred_at, result, "
    "array_to_string(exception_types, ' ') as exception_types, "
    "array_to_string(evidence_event_ids, ' ') as evidence_event_ids"  # CSV has no lists
)
EXCEPTION_COLUMNS = (
    "tenant_id, control_id, month, exception_id, exception_type, population_item_id, occurred_at, actor_id, "
    "target_user_id, measured_value, threshold_value, detail, "
    "array_to_string(evidence_event_ids, ' ') as evidence_event_ids"  # CSV has no lists
)


def _where(month: dt.date, tenant: str | None, **equal: str) -> str:
    tests = [f"month = date '{month.isoformat()}'"]
    tests += [f"{column} = {sql_literal(value)}" for column, value in equal.items()]
    tests += [f"tenant_id = {sql_literal(tenant)}"] if tenant else []
    return " and ".join(tests)


def controls_in(framework: str, month: dt.date, tenant: str | None) -> str:
    """The framework's controls tested in the month (every control has a row per tenant and month)."""
    return (
        f"select distinct control_id from {CONTROLS} "
        f"where {_where(month, tenant, framework=framework)} order by control_id"
    )


def control_queries(control_id: str, month: dt.date, tenant: str | None) -> dict[str, str]:
    """The CSV files of one control's folder and the statement producing each: its result per tenant, every item
    tested (the population an auditor samples) and every exception."""
    where = _where(month, tenant, control_id=control_id)
    return {
        "result.csv": f"select {RESULT_COLUMNS}\nfrom {CONTROLS}\nwhere {where}\norder by tenant_id",
        "population.csv": (
            f"select {POPULATION_COLUMNS}\nfrom {POPULATION}\nwhere {where}\n"
            "order by tenant_id, population_item_id"
        ),
        "exceptions.csv": (
            f"select {EXCEPTION_COLUMNS}\nfrom {EXCEPTIONS}\nwhere {where}\norder by tenant_id, exception_id"
        ),
    }


def render(queries: dict[str, str]) -> str:
    """``query.sql``: each statement under a comment naming its file, runnable as a whole in the DuckDB CLI."""
    return "".join(f"{HEADER}{name}\n{sql};\n\n" for name, sql in queries.items())


def parse(text: str) -> dict[str, str]:
    """The statements of a ``query.sql`` by the file each produces (the inverse of ``render``)."""
    queries = {}
    for block in text.split(HEADER)[1:]:
        name, _, sql = block.partition("\n")
        queries[name.strip()] = sql.strip().removesuffix(";")
    return queries


def csv_bytes(rows: pa.Table) -> bytes:
    """Rows as CSV, the one way a pack writes them and ``verify`` re-renders them for comparison."""
    sink = pa.BufferOutputStream()
    pacsv.write_csv(rows, sink)
    return sink.getvalue().to_pybytes()
