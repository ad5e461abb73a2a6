"""On the shared demo lake: no person, email or account that bronze holds in a structured column is still
readable in silver's free text, in any of the forms people write it; and the pseudonyms written instead join
back to the structured columns."""

from __future__ import annotations

import re

import duckdb
import pyarrow as pa
from deltalake import DeltaTable

from opslake.tables import DOMAINS
from privacy.catalog import catalog

NAMES = ("actor_name",)
EMAILS = ("actor_email", "responder_email", "author_email")
ACCOUNTS = (
    "actor_id",
    "user_id",
    "target_user_id",
    "approver_id",
    "responder_id",
    "author_id",
    "reviewer_id",
)


def _bronze(settings, domain: str) -> pa.Table:
    return DeltaTable(settings.table_uri("bronze", domain)).to_pyarrow_table()


def _forms(settings) -> list[str]:
    """Every written form of every known identity, lower-cased, worked out here from the raw values."""
    forms = set()
    for domain in DOMAINS:
        table = _bronze(settings, domain)
        for column in set(table.column_names) & set(NAMES + EMAILS + ACCOUNTS):
            for value in {v for v in table[column].to_pylist() if v}:
                if column in NAMES:
                    words = value.split()
                    if len(words) >= 2:
                        first, last = words[0], words[-1]
                        forms |= {value, f"{last}, {first}", f"{first[0]}. {last}", f"@{first}.{last}"}
                else:
                    forms.add(value)
    return sorted(f.lower() for f in forms)


def _texts(settings) -> list[tuple[str, str, str]]:
    """``(domain.column, event_id, text)`` of every masked free-text value in silver."""
    out = []
    for domain in DOMAINS:
        columns = [c.column for c in catalog(settings, domain).values() if c.policy == "redact_text"]
        table = DeltaTable(settings.table_uri("silver", domain)).to_pyarrow_table()
        for column in set(columns) & set(table.column_names):
            rows = zip(table["event_id"].to_pylist(), table[column].to_pylist(), strict=True)
            out += [(f"{domain}.{column}", i, t) for i, t in rows if t]
    return out


def test_no_known_identity_is_left_in_silver_free_text(built_lake):
    settings = built_lake.settings
    forms, texts = _forms(settings), _texts(settings)
    assert len(forms) > 100 and len(texts) > 1_000  # the demo lake names people in its texts
    with duckdb.connect() as con:
        con.execute("create table forms as select unnest(?) as form", [forms])
        con.execute("create table texts (field varchar, event_id varchar, text varchar)")
        con.executemany("insert into texts values (?, ?, ?)", texts)
        left = con.execute(
            """
            select field, form, text from texts join forms
            on regexp_matches(lower(text), '(^|[^a-z0-9_@.+-])' || regexp_escape(form) || '($|[^a-z0-9_@-])')
            limit 20
            """
        ).fetchall()
    assert left == []


def test_pseudonyms_in_text_join_back_to_the_structured_columns(built_lake):
    """ "Who wrote about whom" still joins: every ``<PERSON:…>`` in silver text is some actor's ``actor_name``."""
    settings = built_lake.settings
    names = set(
        DeltaTable(settings.table_uri("silver", "audit")).to_pyarrow_table()["actor_name"].to_pylist()
    )
    tagged = {m for _, _, t in _texts(settings) for m in re.findall(r"<PERSON:([0-9a-f]{24})>", t)}
    assert tagged, "the demo lake's texts name known people"
    assert tagged <= names
