"""Render ``docs/metrics.md`` from the marts' dbt YAML (through the manifest): one definition point per metric."""

from __future__ import annotations

import json
from pathlib import Path

from opslake.dbt_project import MARTS_SCHEMA

HEADER = """# Metric definitions

Generated from the marts' YAML in `transforms/models/marts/` by `uv run opslake metrics`; a test fails when this
file is stale. Every mart is a table in the warehouse schema `marts` (query it with `uv run opslake sql`) and a
Delta table at `lake/gold/<mart>`. Each mart's contract is enforced: the columns and types below are what dbt
guarantees.
"""

# The data's as-of and the period coverage every weekly or monthly mart reports against it: their definitions.
AS_OF_MODEL = "int_lake_as_of"
COVERAGE_MACRO = "period_coverage_columns"


def render(manifest_path: Path) -> str:
    manifest = json.loads(manifest_path.read_text())
    marts = sorted(
        (
            n
            for n in manifest["nodes"].values()
            if n["resource_type"] == "model" and n["config"].get("schema") == MARTS_SCHEMA
        ),
        key=lambda n: (n["fqn"][-2], n["name"]),
    )
    exposures = manifest.get("exposures", {}).values()
    parts = [HEADER, "| mart | domain | used by |", "|---|---|---|"]
    for node in marts:
        users = sorted(
            e["label"] or e["name"] for e in exposures if node["unique_id"] in e["depends_on"]["nodes"]
        )
        parts.append(f"| [`{node['name']}`](#{node['name']}) | {node['fqn'][-2]} | {', '.join(users)} |")
    parts += _as_of_section(manifest, marts)
    for node in marts:
        parts += ["", f"## {node['name']}", "", node["description"].strip(), ""]
        parts += ["| column | type | meaning |", "|---|---|---|"]
        for name, column in node["columns"].items():
            meaning = " ".join(column["description"].split()).replace("|", "\\|")
            parts.append(f"| `{name}` | {column.get('data_type') or ''} | {meaning} |")
    return "\n".join(parts) + "\n"


def _as_of_section(manifest: dict, marts: list[dict]) -> list[str]:
    """The data's as-of and how the weekly and monthly marts mark the periods it covers only in part."""
    as_of = next(n for n in manifest["nodes"].values() if n["name"] == AS_OF_MODEL)
    coverage = next(m for m in manifest["macros"].values() if m["name"] == COVERAGE_MACRO)
    partial = ", ".join(f"[`{n['name']}`](#{n['name']})" for n in marts if "is_partial" in n["columns"])
    return [
        "",
        "## The data's as-of and partial periods",
        "",
        as_of["description"].strip(),
        "",
        f"{coverage['description'].strip()} Marts with these columns: {partial}.",
    ]
