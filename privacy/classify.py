"""Classification of every bronze column into a label and the masking policy that applies to it.

A column's class comes from, in order: a reviewed declaration in ``classification.yml``; its contract kind (free
text is always ``redact_text``; numbers, times and booleans carry no identifiers); what Presidio detects in a
sample of its distinct values, with the column's name as context.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import yaml

POLICY_FILE = Path(__file__).with_name("classification.yml")
LABELS = ("public", "internal", "confidential", "restricted")
POLICIES = ("keep", "pseudonymize", "mask", "generalize", "drop", "redact_text")
SAMPLE_SIZE = 100
DOMINANT = 0.5  # share of sampled values holding an entity for the column to *be* that entity
SPORADIC = 0.05  # share above which entities inside the values make the column free text to redact
SPORADIC_NER = 0.2  # the same for names and places, which NER also finds where there are none
NER_ENTITIES = frozenset({"PERSON", "LOCATION", "NRP"})

# What a column that holds one kind of entity becomes.
ENTITY_POLICY: dict[str, tuple[str, str]] = {
    "EMAIL_ADDRESS": ("restricted", "pseudonymize"),
    "PERSON": ("restricted", "pseudonymize"),
    "PHONE_NUMBER": ("restricted", "mask"),
    "IP_ADDRESS": ("confidential", "generalize"),
    "LOCATION": ("confidential", "mask"),
    "EMPLOYEE_ID": ("confidential", "pseudonymize"),
    "CREDIT_CARD": ("restricted", "drop"),
    "IBAN_CODE": ("restricted", "drop"),
    "US_SSN": ("restricted", "drop"),
    "US_ITIN": ("restricted", "drop"),
    "UK_NHS": ("restricted", "drop"),
    "UK_NINO": ("restricted", "drop"),
    "AU_TFN": ("restricted", "drop"),
    "USER_HANDLE": ("confidential", "pseudonymize"),
    "API_KEY": ("restricted", "drop"),
    "BEARER_TOKEN": ("restricted", "drop"),
}

Detector = Callable[[list[str], list[str]], list[list[tuple[str, float]]]]  # values, context -> entities


@dataclass(frozen=True)
class ColumnClass:
    """One row of the classification catalog."""

    table: str
    column: str
    kind: str
    label: str
    policy: str
    source: str  # declared, kind or detected
    entities: dict[str, float] = field(default_factory=dict)  # entity -> share of sampled values
    reason: str = ""

    def as_row(self, classified_at: dt.datetime) -> dict:
        row = asdict(self)
        row["entities"] = ",".join(f"{k}:{v:.2f}" for k, v in sorted(self.entities.items()))
        row["classified_at"] = classified_at
        return row


def declarations(path: Path = POLICY_FILE) -> dict[str, dict]:
    """The reviewed declarations, validated: unknown labels or policies are errors, not silent defaults."""
    columns = (yaml.safe_load(path.read_text()) or {}).get("columns", {})
    for key, decl in columns.items():
        if decl.get("label") not in LABELS or decl.get("policy") not in POLICIES:
            raise ValueError(f"{path}: {key} needs a label in {LABELS} and a policy in {POLICIES}")
    return columns


def classify_column(
    table: str, column: str, kind: str, values: pa.Array, detect: Detector, declared: dict[str, dict]
) -> ColumnClass:
    """Classify one column from its declaration, its kind, or a sample of its values."""
    decl = declared.get(f"{table}.{column}") or declared.get(f"*.{column}")
    if decl:
        return ColumnClass(
            table, column, kind, decl["label"], decl["policy"], "declared", {}, decl.get("reason", "")
        )
    if kind == "text" or column == "_extra":
        return ColumnClass(table, column, kind, "confidential", "redact_text", "kind", {}, "free text")
    if kind not in ("string", "ip", "json"):  # enums hold only the contract's own values
        return ColumnClass(table, column, kind, "internal", "keep", "kind", {}, f"{kind} values")
    sample = _sample(values)
    if not sample:
        return ColumnClass(table, column, kind, "internal", "keep", "detected", {}, "no values to sample yet")
    found = detect(sample, column.replace("_", " ").split())
    # spaCy's NER reads names and places into code-like tokens (`eu-west-1`, `FEAT-1207`): it counts only
    # in values that read like language (several words).
    counts = Counter(
        entity
        for value, hits in zip(sample, found, strict=True)
        for entity in {e for e, _ in hits}
        if entity not in NER_ENTITIES or " " in value.strip()
    )
    shares = {entity: n / len(sample) for entity, n in counts.items()}
    ranked = sorted(shares.items(), key=lambda x: -x[1])
    dominant = [e for e, s in ranked if s >= DOMINANT and e in ENTITY_POLICY]
    if dominant:
        label, policy = ENTITY_POLICY[dominant[0]]
        return ColumnClass(table, column, kind, label, policy, "detected", shares, f"mostly {dominant[0]}")
    if any(s >= (SPORADIC_NER if e in NER_ENTITIES else SPORADIC) for e, s in shares.items()):
        return ColumnClass(
            table, column, kind, "confidential", "redact_text", "detected", shares, "entities in text"
        )
    return ColumnClass(table, column, kind, "internal", "keep", "detected", shares, "no personal data found")


def _sample(values: pa.Array) -> list[str]:
    """Up to SAMPLE_SIZE distinct values, spread evenly over the sorted distinct values (deterministic)."""
    distinct = pc.unique(values.drop_null()).cast(pa.string())
    distinct = distinct.take(pc.sort_indices(distinct))
    n = len(distinct)
    if n <= SAMPLE_SIZE:
        return [v for v in distinct.to_pylist() if v]
    step = n / SAMPLE_SIZE
    return [v for v in (distinct[int(i * step)].as_py() for i in range(SAMPLE_SIZE)) if v]


def presidio_detector(analyzer, entities: list[str], threshold: float) -> Detector:
    """A detector that runs Presidio over a column's sample in one batch, with the column name as context."""
    from presidio_analyzer import BatchAnalyzerEngine

    batch = BatchAnalyzerEngine(analyzer_engine=analyzer)

    def detect(values: list[str], context: list[str]) -> list[list[tuple[str, float]]]:
        results = batch.analyze_iterator(
            values,
            language="en",
            entities=entities,
            score_threshold=threshold,
            context=context,
            batch_size=64,
        )
        return [[(r.entity_type, r.score) for r in hits] for hits in results]

    return detect
