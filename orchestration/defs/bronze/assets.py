"""Bronze assets: one daily-partitioned Delta table per event domain, fed from the landing area."""

import dagster as dg

from ingestion.contracts import CONTRACTS, Contract
from ingestion.landing import ingest_landing
from orchestration.lib.openlineage import openlineage_run
from orchestration.lib.partitions import DAILY
from orchestration.lib.resources import LakeResource


def _column_schema(contract: Contract) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(f.name, str(f.arrow_type), description=f.description) for f in contract.fields
        ]
    )


def bronze_asset(contract: Contract) -> dg.AssetsDefinition:
    """The bronze asset of a domain: ingests the domain's waiting landing files exactly once."""

    @dg.asset(
        key=["bronze", contract.domain],
        group_name="bronze",
        partitions_def=DAILY,
        backfill_policy=dg.BackfillPolicy.single_run(),
        kinds={"delta", "python"},
        description=f"{contract.description} Contract: docs/contracts.md#{contract.domain}.",
        metadata={"dagster/column_schema": _column_schema(contract), "contract": contract.domain},
    )
    def _bronze(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
        with openlineage_run(context, lake.settings()):
            report = ingest_landing(lake.settings(), contract.domain)
        context.log.info(f"{contract.domain}: {report.as_dict()}")
        dates = sorted(report.dates)
        return dg.MaterializeResult(
            metadata={
                "read": report.read,
                "accepted": report.accepted,
                "duplicates": report.duplicates,
                "quarantined": report.quarantined,
                "quarantine_reasons": dg.MetadataValue.json(dict(report.reasons)),
                "files": len(report.files),
                "first_event_date": str(dates[0]) if dates else "",
                "last_event_date": str(dates[-1]) if dates else "",
                "table_uri": lake.settings().table_uri("bronze", contract.domain),
            }
        )

    return _bronze


bronze_assets = dg.with_source_code_references([bronze_asset(c) for c in CONTRACTS.values()])
