"""The ``opslake`` command line."""

from __future__ import annotations

import datetime as dt
import enum
import json
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.catalog import CatalogFormat
from cli.errors import BUSY, error_markup
from cli.serve import serve_app
from cli.sql import MAX_ROWS, TIMEOUT, Format, Output, Problem
from opslake import dbt_project, lake
from opslake.permissions import restrict_files
from opslake.settings import PROJECT_ROOT, Settings

app = typer.Typer(
    help="opslake: operations analytics lakehouse.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
bench_app = typer.Typer(help="Benchmarks that print ratios against a baseline measured in the same run.")
app.add_typer(bench_app, name="bench")
users_app = typer.Typer(
    help="The people who may sign in to the apps: roles tenant_viewer, analyst, compliance_officer, admin."
)
app.add_typer(users_app, name="users")
report_app = typer.Typer(help="Compliance evidence packs: signed, re-performable files for auditors.")
app.add_typer(report_app, name="report")
app.add_typer(serve_app, name="serve")
console = Console(stderr=True)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


Wait = Annotated[
    float,
    typer.Option(
        "--wait",
        help="Seconds to wait for another writer of the lake (a run, erasure, retention or ingestion) to finish "
        "before refusing; 0 refuses at once.",
    ),
]


@contextmanager
def _writing(settings: Settings, operation: str, wait: float) -> Iterator[None]:
    """Hold the lake's writer lock for a command, saying whom it waits for; refuse with a sentence when the wait
    runs out."""

    def waiting(holder: lake.Writer) -> None:
        limit = f"{wait:g} s" if wait < 120 else f"{wait / 60:g} min"
        console.print(f"waiting for {holder} to finish (at most {limit}); Ctrl-C to stop")

    holding = False
    try:
        with lake.lake_writer(settings, operation, wait, waiting):
            holding = True
            yield
    except lake.LakeBusy as busy:
        _fail(
            f"the lake is busy: {busy.holder} is still writing it after {busy.waited:g} s; nothing was changed",
            "run this again once it has finished (`opslake status` shows it), or give a longer --wait",
            BUSY,
        )
    except KeyboardInterrupt:
        if holding:
            raise
        _fail("stopped while waiting for the lake; nothing was changed", "run this again when you like", 130)


class DataFormat(enum.StrEnum):
    canonical = "canonical"
    native = "native"


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write one sub-folder per domain into.")],
    days: Annotated[int, typer.Option(help="Days of history, ending on --end.")] = 90,
    tenants: Annotated[int, typer.Option(help="Customer tenants.")] = 12,
    events: Annotated[int, typer.Option(help="Total events across all domains (approximate).")] = 500_000,
    seed: Annotated[int, typer.Option(help="Random seed: same arguments, same bytes.")] = 7,
    end: Annotated[
        str | None,
        typer.Option(help="Last day (YYYY-MM-DD, UTC); default today. Nothing after now is written."),
    ] = None,
    data_format: Annotated[
        DataFormat,
        typer.Option(
            "--format",
            help="canonical: every record in opslake's contracts. native: pull requests, deployments, work items "
            "and PagerDuty's incidents as GitHub, Jira and PagerDuty send them (webhook deliveries).",
        ),
    ] = DataFormat.canonical,
) -> None:
    """Write a deterministic, realistic data set of the platform's operations."""
    import datetime as dt

    from demo import generate as run_generator

    end_day = dt.date.fromisoformat(end) if end else None
    with _progress() as bar:
        task = bar.add_task("generating events", total=events)
        counts = run_generator(
            out_dir,
            days=days,
            tenants=tenants,
            events=events,
            seed=seed,
            end=end_day,
            native=data_format is DataFormat.native,
            progress=lambda domain, n: bar.update(task, advance=n, description=f"generating {domain}"),
        )
        bar.update(task, completed=sum(counts.values()), total=sum(counts.values()))
    print(json.dumps(counts))


@app.command()
def ingest(
    domain: Annotated[
        str,
        typer.Argument(
            help="A domain (audit, usage, incident, delivery, cost), or a native source whose payloads are "
            "mapped onto them (github, jira, pagerduty)."
        ),
    ],
    paths: Annotated[
        list[Path], typer.Argument(help="JSONL, CSV or Parquet files (or folders), plain or .gz.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the accounting as JSON.")] = False,
    wait: Wait = lake.WAIT_SECONDS,
) -> None:
    """Validate files against the domain's contract and append them to lake/bronze/<domain> exactly once."""
    from ingestion.contracts import contract_for
    from ingestion.native.ingest import ADAPTERS, ingest_native
    from ingestion.pipeline import ingest as run_ingest
    from ingestion.pipeline import input_files

    settings = Settings.from_env()
    if domain not in ADAPTERS:
        try:
            contract_for(domain)
        except ValueError as exc:
            _fail(
                f"{exc}, or a native source ({', '.join(ADAPTERS)})",
                "name one of the domains or sources above",
            )
    run = ingest_native if domain in ADAPTERS else run_ingest
    total = sum(p.stat().st_size for p in input_files(paths)[0])
    with _writing(settings, "ingestion", wait), _progress() as bar:
        task = bar.add_task(f"ingesting {domain} (bytes)", total=total)
        report = run(settings, domain, paths, progress=lambda n: bar.advance(task, n))
        bar.update(task, completed=total)
    if as_json:
        print(json.dumps(report.as_dict()))
    else:
        _print_report(domain, report.as_dict())
    for path, why in report.skipped.items():
        console.print(f"[yellow]skipped[/yellow] {path}: {why}", soft_wrap=True)
    if report.skipped:
        console.print("[dim]next: fix or remove the paths skipped; the other files were ingested[/dim]")
        raise typer.Exit(1)


def _print_report(domain: str, report: dict) -> None:
    table = Table(title=f"ingest {domain}")
    for column in ("read", "accepted", "duplicates", "quarantined"):
        table.add_column(column, justify="right")
    table.add_row(*(f"{report[c]:,}" for c in ("read", "accepted", "duplicates", "quarantined")))
    Console().print(table)
    for reason, n in report["reasons"].items():
        Console().print(f"  quarantined {n:,} x {reason}")
    for kind, n in report["ignored"].items():
        Console().print(f"  {kind}: {n:,} (nothing in them for the marts)")


def _fail(message: str, hint: str, code: int = 2) -> None:
    console.print(error_markup(message, hint))
    raise typer.Exit(code)


@app.command()
def contracts(
    out: Annotated[Path, typer.Option(help="Where to write the contract reference.")] = PROJECT_ROOT
    / "docs"
    / "contracts.md",
    check: Annotated[
        bool, typer.Option(help="Fail if the file differs from the code instead of writing.")
    ] = False,
) -> None:
    """Generate docs/contracts.md from the contracts in code."""
    from cli.docs.contracts import render

    _write_or_check(out, render(), check, "ingestion/contracts.py", "contracts")


@app.command()
def metrics(
    out: Annotated[Path, typer.Option(help="Where to write the metric reference.")] = PROJECT_ROOT
    / "docs"
    / "metrics.md",
    check: Annotated[
        bool, typer.Option(help="Fail if the file differs from the marts' YAML instead of writing.")
    ] = False,
) -> None:
    """Generate docs/metrics.md from the marts' definitions in dbt."""
    from cli.docs.metrics import render

    text = render(dbt_project.prepare_manifest(Settings.from_env()))
    _write_or_check(out, text, check, "the marts' YAML", "metrics")


def _write_or_check(out: Path, text: str, check: bool, source: str, command: str) -> None:
    """Write a generated reference, or with ``check`` fail when the file on disk differs from it."""
    if check:
        if not out.exists() or out.read_text() != text:
            _fail(f"{out} is out of date with {source}", f"run `uv run opslake {command}`")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    console.print(f"wrote {out}")


@app.command()
def run(
    wait: Wait = lake.WAIT_SECONDS,
    every: Annotated[
        float,
        typer.Option(
            help="Keep running: every this many seconds, build and publish what waits in landing, in this one "
            "process (no demo data, no summary; Ctrl-C stops it)."
        ),
    ] = 0,
) -> None:
    """Set up, generate demo data if the lake is empty, ingest, apply retention, build and publish every asset,
    print a summary."""
    from cli.summary import lake_summary, review_notes, seed_demo_data
    from orchestration.inputs import quick_run  # without Dagster: nothing new answers in a second or two
    from privacy.retention import PolicyError

    settings = Settings.from_env()
    if every > 0:
        from cli.refresh import watch

        watch(settings, every, wait)
        return
    with _writing(settings, "run", wait):
        seeded = seed_demo_data(settings, _generate_into_landing)
        if seeded:
            console.print(f"generated the default data set into {settings.landing}")
        try:
            if not seeded and quick_run(settings, dt.datetime.now(dt.UTC).date()):
                console.print("nothing new: the warehouse is up to date")
                _print_publication(settings)
                return
            from orchestration.materialize import materialize_all, step_errors

            with console.status("materialising assets") as status:
                results = materialize_all(settings, on_stage=lambda s: (status.update(s), console.print(s)))
        except PolicyError as e:
            _fail(str(e), "fix privacy/retention.yml and run again: retention runs in every run")
    failed = [r for r in results if not r.success]
    Console().print(lake_summary(settings))
    for note in review_notes(settings):
        console.print(f"[yellow]to review:[/yellow] {note}")
    for step, error in step_errors(results):
        console.print(f"[red]{step} failed:[/red] {error.message.strip()}")
    if failed:
        _fail(
            f"runs failed: {', '.join(r.run_id for r in failed)}", "see `make dev` (Dagster UI) for details"
        )
    _print_publication(settings)


def _print_publication(settings: Settings) -> None:
    """The current publication and what to do with it (and, on a home without users, how to add one)."""
    from opslake.publication import NotPublished, current

    try:
        published = current(settings)
    except NotPublished:
        return
    as_of = f"{published.as_of:%Y-%m-%d %H:%M} UTC" if published.as_of else "unknown"
    console.print(
        f"published build {published.build_id} (data as of {as_of}): {published.path}\n"
        '[dim]next: `opslake sql "select ..."` or `duckdb -readonly '
        f"{settings.published / 'current'}` reads it; `opslake status` describes it, `opslake catalog` its "
        "tables[/dim]"
    )
    from opslake.users import list_users

    if not list_users(settings):
        console.print(
            "[dim]next: create the first user of the apps: `opslake users add NAME --role admin`[/dim]"
        )


@app.command()
def dev(
    port: Annotated[int, typer.Option(help="Port of the Dagster UI.")] = 3000,
) -> None:
    """Open the Dagster UI and daemon on this home's instance (runs of `opslake run` show there)."""
    from orchestration.lib.runs import instance_at

    settings = Settings.from_env()
    instance_at(settings.dagster_home)  # created with telemetry off
    dagster = str(Path(sys.executable).with_name("dagster"))
    env = {**os.environ, **settings.env(), "DAGSTER_HOME": str(settings.dagster_home)}
    args = [dagster, "dev", "-m", "orchestration.definitions", "--port", str(port)]
    os.execve(dagster, args, env)


@app.command()
def dashboard(
    host: Annotated[str, typer.Option(help="Address the app listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the app.")] = 8501,
) -> None:
    """Start the BI app on the published warehouse (sign in with a user of `opslake users`)."""
    settings = Settings.from_env()
    streamlit = str(Path(sys.executable).with_name("streamlit"))
    app_file = str(PROJECT_ROOT / "dashboards" / "streamlit_app.py")
    args = [streamlit, "run", app_file, "--server.address", host, "--server.port", str(port)]
    args += ["--browser.gatherUsageStats", "false", "--server.headless", "true"]
    os.chdir(PROJECT_ROOT)  # Streamlit reads .streamlit/config.toml from here
    os.execve(streamlit, args, {**os.environ, **settings.env()})


@app.command()
def sql(
    query: Annotated[
        str | None,
        typer.Argument(
            help="SQL to run; unqualified names resolve in schema `marts`. Without one: a prompt (or the "
            "statements piped to stdin)."
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="json is one object per line.")] = Format.TABLE,
    output: Annotated[
        str | None,
        typer.Option(
            help="Write the result to this file instead of stdout (parquet needs one on a terminal)."
        ),
    ] = None,
    columns: Annotated[str, typer.Option(help="Only these result columns, comma-separated: a,b.")] = "",
    max_rows: Annotated[int, typer.Option(help="Rows shown in table format.")] = MAX_ROWS,
    timeout: Annotated[
        float, typer.Option(help="Seconds a statement may run before it is stopped.")
    ] = TIMEOUT,
) -> None:
    """Query the published warehouse read-only as an analyst: the marts only, no files, no writes. Results go to
    stdout, notes and errors to stderr."""
    from rich.markup import escape

    from cli.sql import prompt, statements

    settings = Settings.from_env()
    out = Output(fmt, output, tuple(c.strip() for c in columns.split(",") if c.strip()), max_rows)
    try:
        if query is None:
            raise typer.Exit(1 if prompt.main(settings, out, timeout, console) else 0)
        statements.run(settings, query, out, timeout, console)
    except Problem as p:
        _fail(escape(p.message), escape(p.hint))


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
) -> None:
    """The current publication (build, time, data as-of, file, tables and rows) and who writes the lake now."""
    from opslake.publication import NotPublished, current

    settings = Settings.from_env()
    writer = lake.current_writer(settings)
    try:
        published = current(settings).as_dict()
    except NotPublished:
        published = None
    if as_json:
        state = {
            "home": str(settings.home),
            "run_in_progress": writer is not None and writer.operation in lake.RUNS,
            "writer": writer.as_dict() if writer else None,
            "publication": published,
        }
        print(json.dumps(state))
        return
    console.print(
        f"opslake at {settings.home}: {f'{writer} is writing the lake' if writer else 'no run in progress'}"
    )
    if published is None:
        _fail("nothing has been published yet", NotPublished.hint)
    console.print(
        f"published build {published['build_id']}, built {published['built_at']}, "
        f"data as of {published['as_of'] or 'unknown'}\n{published['path']}"
    )
    table = Table("table", "rows", title="published marts")
    for name, rows in published["tables"].items():
        table.add_row(name, f"{rows:,}")
    Console().print(table)


@app.command()
def catalog(
    table: Annotated[
        str | None, typer.Argument(help="One table (marts unqualified, e.g. cost_daily; health.freshness).")
    ] = None,
    fmt: Annotated[
        CatalogFormat, typer.Option("--format", help="json is machine-readable.")
    ] = CatalogFormat.TEXT,
) -> None:
    """The published tables: columns, types, meanings, where the metrics are defined and what each is built
    from."""
    from cli.catalog import detail, overview
    from opslake.catalog import UnknownTable, as_dict
    from opslake.catalog import catalog as read_catalog
    from opslake.publication import NotPublished

    try:
        tables = read_catalog(Settings.from_env(), table)
    except NotPublished as e:
        _fail(str(e), e.hint)
    except UnknownTable as e:
        _fail(str(e), f"the published tables: {', '.join(e.tables)}")
    if fmt is CatalogFormat.JSON:
        print(json.dumps(as_dict(tables), indent=2))
        return
    Console().print(detail(tables[0]) if table else overview(tables))


@app.command()
def docs(
    host: Annotated[str, typer.Option(help="Address the site listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the site.")] = 8580,
) -> None:
    """Serve dbt's docs site of the models (generated first when the project or the warehouse changed)."""
    from rich.markup import escape

    from cli.docs.site import serve
    from opslake.publication import NotPublished

    settings = Settings.from_env()
    try:
        with console.status("generating dbt's docs site"):
            site = dbt_project.docs_site(settings)
    except dbt_project.NotBuilt as e:
        _fail(str(e), NotPublished.hint)
    except dbt_project.DbtError as e:
        _fail(f"dbt could not generate the docs: {escape(str(e))}", "run this again once no run is writing")
    try:
        serve(site, host, port, lambda url: console.print(f"serving {site} at {url}; Ctrl-C to stop"))
    except OSError as e:
        _fail(f"cannot listen on {host}:{port}: {e.strerror}", "give another --port (or --host)")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The user name they sign in with.")],
    role: Annotated[str, typer.Option(help="tenant_viewer, analyst, compliance_officer or admin.")],
    tenant: Annotated[str | None, typer.Option(help="The one tenant a tenant_viewer sees.")] = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input.")] = False,
) -> None:
    """Add a user; the password is asked twice (or read from standard input) and stored as an Argon2id hash."""
    from opslake import users

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        user = users.add(Settings.from_env(), name, role, password, tenant)
    except users.UserError as e:
        _fail(str(e), "see `opslake users add --help`")
    console.print(f"added {user.name} ({user.role}{f', tenant {user.tenant_id}' if user.tenant_id else ''})")


@users_app.command("list")
def users_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print the users as JSON.")] = False,
) -> None:
    """The users, their roles and tenants (never their password hashes)."""
    from dataclasses import asdict

    from opslake import users

    found = users.list_users(Settings.from_env())
    if as_json:
        print(json.dumps([asdict(u) for u in found]))
        return
    table = Table("user", "role", "tenant")
    for user in found:
        table.add_row(user.name, user.role, user.tenant_id or "all")
    Console().print(table)


@users_app.command("set-role")
def users_set_role(
    name: Annotated[str, typer.Argument(help="The user.")],
    role: Annotated[str, typer.Option(help="tenant_viewer, analyst, compliance_officer or admin.")],
    tenant: Annotated[str | None, typer.Option(help="The one tenant a tenant_viewer sees.")] = None,
) -> None:
    """Change a user's role (and tenant); the change is logged in lake/governance/access_log."""
    from opslake import users

    try:
        user = users.set_role(Settings.from_env(), name, role, tenant)
    except users.UserError as e:
        _fail(str(e), "`opslake users list` shows the users")
    console.print(f"{user.name} is now {user.role}{f' of tenant {user.tenant_id}' if user.tenant_id else ''}")


@users_app.command("remove")
def users_remove(name: Annotated[str, typer.Argument(help="The user.")]) -> None:
    """Remove a user."""
    from opslake import users

    try:
        users.remove(Settings.from_env(), name)
    except users.UserError as e:
        _fail(str(e), "`opslake users list` shows the users")
    console.print(f"removed {name}")


def _generate_into_landing(landing: Path) -> None:
    from demo import generate as run_generator

    with _progress() as bar:
        task = bar.add_task("generating demo data", total=500_000)
        run_generator(landing, native=True, progress=lambda domain, n: bar.advance(task, n))


@app.command()
def erase(
    subject: Annotated[str, typer.Option(help="An email, user id or name, as it appeared in the data.")],
    requested_at: Annotated[
        dt.datetime | None,
        typer.Option(help="When the subject asked (UTC); GDPR's 30 days run from here. Default: now."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the receipt as JSON.")] = False,
    wait: Wait = lake.WAIT_SECONDS,
) -> None:
    """Erase a data subject from everything under OPSLAKE_HOME, Delta history included, and print the receipt.

    A run in progress is waited for: its publication is withdrawn with the rest, and the next run publishes the
    erased lake."""
    from privacy.erasure import check_request, erase_subject

    when = (
        requested_at.replace(tzinfo=dt.UTC) if requested_at and requested_at.tzinfo is None else requested_at
    )
    try:
        when = check_request(subject, when)
    except ValueError as e:
        _fail(str(e), "give a non-empty --subject and a past --requested-at, e.g. 2026-11-02T09:30:00")
    settings = Settings.from_env()
    with _writing(settings, "erasure", wait), console.status(f"erasing the subject from {settings.home}"):
        receipt = erase_subject(settings, subject, when)
    print(json.dumps(receipt.as_dict(), indent=None if as_json else 2))
    if not as_json:
        console.print("[dim]next: `opslake run` rebuilds the warehouse from the erased lake[/dim]")


@app.command()
def retention(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would go; delete nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was removed as JSON.")] = False,
    wait: Wait = lake.WAIT_SECONDS,
) -> None:
    """Apply the retention policy (privacy/retention.yml) now: delete rows past their table's period, purge
    their history, and print the rows and partitions removed per table (`opslake run` applies it too)."""
    from privacy.retention import PolicyError, apply_retention, retention_policy

    settings = Settings.from_env()
    today = dt.datetime.now(dt.UTC).date()
    try:
        policy = retention_policy()
    except PolicyError as e:
        _fail(str(e), "fix privacy/retention.yml and run again")
    if dry_run:  # it only reads: like any reader, it does not wait for writers
        expired = apply_retention(settings, today, policy, dry_run=True)
    else:
        with _writing(settings, "retention", wait), console.status("applying the retention policy"):
            expired = apply_retention(settings, today, policy)
    if as_json:
        print(
            json.dumps(
                {"today": today.isoformat(), "dry_run": dry_run, "tables": [e.as_dict() for e in expired]}
            )
        )
        return
    table = Table(
        title=f"retention on {today}: {'would remove (dry run)' if dry_run else 'removed'}",
        caption="rows dated before each table's cutoff, and the partitions emptied with them",
    )
    table.add_column("table", no_wrap=True)
    for column in ("cutoff", "rows", "partitions"):
        table.add_column(column, justify="right", no_wrap=True)
    for e in expired:
        table.add_row(e.table, e.cutoff.isoformat(), f"{e.rows:,}", f"{e.partitions:,}")
    Console().print(table)
    if dry_run and any(e.rows for e in expired):
        console.print("[dim]next: `opslake retention` removes them[/dim]")


@app.command()
def lineage(
    column: Annotated[
        str, typer.Argument(help="TABLE.COLUMN, e.g. marts.cost_daily.billed_cost or audit.actor_email.")
    ],
    upstream: Annotated[bool, typer.Option("--upstream", help="Only what feeds the column.")] = False,
    downstream: Annotated[bool, typer.Option("--downstream", help="Only what the column feeds.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Column lineage from the last build: which marts and dashboards use a column, which sources feed it."""
    from lineage.build import read_graph
    from lineage.query import UnknownColumn, impact, render, resolve

    graph = read_graph(Settings.from_env())
    if graph is None:
        _fail("no lineage has been built yet", "run `opslake run`: it stores lake/governance/lineage_edges")
    try:
        table, name = resolve(graph, column)
    except UnknownColumn as e:
        _fail(str(e), "give <layer>.<table>.<column>; `opslake sql` lists the marts' columns")
    both = upstream == downstream
    report = impact(graph, table, name, upstream=upstream or both, downstream=downstream or both)
    print(json.dumps(report) if as_json else render(report))


@report_app.command("compliance")
def report_compliance(
    period: Annotated[str, typer.Option(help="The month, YYYY-MM.")],
    framework: Annotated[str, typer.Option(help="soc2 or gdpr.")] = "soc2",
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's results.")] = None,
) -> None:
    """Write the evidence pack of a framework's controls for a month, from the current publication; print its
    folder."""
    from opslake.publication import NotPublished
    from reports.packs import PackError, Request, generate
    from reports.render import RendererMissing

    settings = Settings.from_env()
    try:
        folder = generate(settings, Request.parse(framework, period, tenant))
    except NotPublished as e:
        _fail(str(e), e.hint)
    except PackError as e:
        _fail(str(e), "give --period YYYY-MM of a month the data covers, --framework soc2 or gdpr")
    except RendererMissing as e:
        _fail(str(e), "install the system packages of setup/system-packages: `make system` as root")
    except PermissionError as e:
        _fail(str(e), "close the key file to its owner, then run again")
    print(folder)


@report_app.command("verify")
def report_verify(
    pack: Annotated[
        Path, typer.Argument(help="The pack's folder, as `opslake report compliance` printed it.")
    ],
    public_key: Annotated[
        Path | None,
        typer.Option(help="The signer's public key; default this installation's signing-key.pub."),
    ] = None,
) -> None:
    """Check a pack's hashes and signature, and re-compute its figures from the lake at the Delta versions it
    records; exit 1 when it does not hold (a difference an erasure or retention since explains does not fail)."""
    from reports.verify import verify

    settings = Settings.from_env()
    key = public_key or settings.signing_public_key_path
    if not key.exists():
        _fail(f"no public key at {key}", "give --public-key, the signing-key.pub published beside the packs")
    with console.status("re-computing the figures") as status:
        try:
            verdict = verify(settings, pack, key, on_stage=status.update)
        except dbt_project.DbtError as e:
            _fail(
                f"the figures could not be re-computed: {e}",
                "run `opslake run` to see whether the lake builds",
            )
    for line in verdict.lines:
        print(line)
    print(f"{pack}: {'holds' if verdict.holds else 'DOES NOT HOLD'}", flush=True)
    sys.stderr.flush()
    # Leave without the native libraries' teardown: after a re-computation, a runtime thread of delta-rs can abort
    # the interpreter's shutdown ("terminate called without an active exception", exit -6; delta-io/delta-rs#2184)
    # and turn the verdict printed above into a crash. Everything it wrote is closed by now.
    os._exit(0 if verdict.holds else 1)


@bench_app.command("ingest")
def bench_ingest(
    events: Annotated[list[int], typer.Option(help="Sizes to measure (repeat the option).")] = [1_000_000],  # noqa: B006
    workdir: Annotated[Path | None, typer.Option(help="Keep generated data here (re-used).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the figures as JSON here.")] = None,
) -> None:
    """Bronze ingestion throughput and peak memory against DuckDB writing the same files to Parquet."""
    from cli.bench.ingest import run_benchmark

    results = run_benchmark(events, workdir, echo=Console().print)
    _write_figures(out, [m.as_dict() for m in results])


@bench_app.command("pii")
def bench_pii(
    texts: Annotated[int, typer.Option(help="Free-text values to mask the fast way.")] = 200_000,
    naive_sample: Annotated[int, typer.Option(help="Texts masked the naive way (extrapolated).")] = 4_000,
    out: Annotated[Path | None, typer.Option(help="Write the figures as JSON here.")] = None,
) -> None:
    """Presidio one text at a time against opslake's masker: throughput ratio, recall and precision."""
    from cli.bench.pii import run_pii_benchmark

    figures = run_pii_benchmark(n_texts=texts, naive_sample=naive_sample, echo=Console().print)
    _write_figures(out, figures)


@bench_app.command("marts")
def bench_marts(
    days: Annotated[int, typer.Option(help="Days built before the new day.")] = 90,
    events: Annotated[int, typer.Option(help="Events generated over all the days.")] = 500_000,
    repeat: Annotated[int, typer.Option(help="Runs of each side; the fastest counts.")] = 2,
    workdir: Annotated[Path | None, typer.Option(help="Work folder (emptied first).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the figures as JSON here.")] = None,
) -> None:
    """One new day built incrementally against a full rebuild of the dbt models on the same data."""
    import tempfile

    from cli.bench.marts import measure

    folder = workdir or Path(tempfile.mkdtemp(prefix="opslake-bench-marts-"))
    m = measure(folder, days=days, events=events, repeat=repeat, echo=Console().print)
    console.print(
        f"new day: {m.new_day_rows:,} rows | full rebuild {m.full_refresh_seconds:.1f}s | "
        f"incremental {m.incremental_seconds:.1f}s | speedup {m.speedup:.2f}x"
    )
    for model, t in m.incremental_models.items():
        console.print(f"  {model}: full {t['full']:.2f}s, incremental {t['incremental']:.2f}s")
    _write_figures(out, m.as_dict())


@bench_app.command("pages")
def bench_pages(
    repeat: Annotated[int, typer.Option(help="Warm visits of each page.")] = 5,
    out: Annotated[Path | None, typer.Option(help="Write the figures as JSON here.")] = None,
) -> None:
    """Each page of the BI app in headless Chromium, cold and warm, against the sign-in page's round trip."""
    import datetime as dt

    import psutil
    from rich.table import Table

    from cli.bench.pages import CHROMIUM, measure, report
    from opslake.publication import NotPublished, current

    settings = Settings.from_env()
    try:
        published = current(settings)
    except NotPublished:
        _fail("nothing has been published yet", "run `opslake run` first: the pages read the publication")
    if not CHROMIUM.exists():
        _fail(f"no Chromium at {CHROMIUM}", "install it: `apt-get install -y chromium`")
    baseline, times = measure(settings, repeat, echo=console.print)
    table = Table("page", "cold s", "warm p50 s", "warm p95 s", "warm p50 / sign-in page")
    for row in report(baseline, times):
        table.add_row(*row)
    console.print(
        f"publication {published.build_id} ({sum(published.tables.values()):,} rows); sign-in page {baseline:.2f}s"
    )
    console.print(table)
    _write_figures(
        out,
        {
            "date": dt.date.today().isoformat(),
            "machine": f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB",
            "publication_rows": sum(published.tables.values()),
            "baseline_s": baseline,
            "pages": {t: {"cold": p.cold, "warm": p.warm} for t, p in times.items()},
        },
    )


@bench_app.command("webhooks")
def bench_webhooks(
    seconds: Annotated[float, typer.Option(help="Seconds of load on each side.")] = 20,
    connections: Annotated[int, typer.Option(help="Concurrent connections wrk keeps open.")] = 32,
    kill_after: Annotated[
        float, typer.Option(help="Seconds into the run when the receiver is SIGKILLed.")
    ] = 8,
    out: Annotated[Path | None, typer.Option(help="Write the figures as JSON here.")] = None,
) -> None:
    """The webhook receiver under wrk, killed and restarted mid-run, against a bare ASGI floor; then every
    acknowledged delivery is looked for in bronze, exactly once."""
    from cli.bench.webhooks import WrkMissing, run_benchmark

    try:
        m = run_benchmark(seconds, connections, kill_after, echo=console.print)
    except WrkMissing:
        _fail("wrk, the load tool, is not installed", "install it: `apt-get install -y wrk`")
    for name, run in (("floor", m.floor), ("receiver", m.receiver)):
        console.print(
            f"{name}: {run.per_second:,.0f} acknowledged/s, p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms, "
            f"max {run.max_ms:.0f} ms, {run.errors:,} errors"
        )
    console.print(
        f"floor / receiver throughput {m.ratio:.2f}x | restart after SIGKILL {m.restart_seconds:.2f}s | "
        f"acknowledged {m.receiver.acknowledged:,} ({m.distinct_acknowledged:,} distinct), in bronze "
        f"{m.in_bronze:,}, missing "
        f"{m.acknowledged_missing}, duplicated {m.duplicated_in_bronze}"
    )
    _write_figures(out, m.as_dict())
    if m.acknowledged_missing or m.duplicated_in_bronze:
        _fail("an acknowledged delivery is missing from bronze or stored twice", "report this as a bug")


@bench_app.command("freshness")
def bench_freshness(
    refresh: Annotated[float, typer.Option(help="The receiver's micro-batch interval in seconds.")] = 5,
    segment_seconds: Annotated[float, typer.Option(help="Seconds before a landing segment is closed.")] = 1,
    probes: Annotated[int, typer.Option(help="Deliveries sent one after another; the slowest counts.")] = 3,
    out: Annotated[Path | None, typer.Option(help="Write the figures as JSON here.")] = None,
) -> None:
    """Seconds from a webhook's acknowledgement to the published marts showing it (the receiver and its
    micro-batch loop running on this home), against `opslake run` with nothing new. Adds incidents: use a
    demo home."""
    from cli.bench.freshness import measure
    from opslake.publication import NotPublished, current

    settings = Settings.from_env()
    try:
        current(settings)
    except NotPublished:
        _fail(
            "nothing has been published yet", "run `opslake run` first: freshness is measured on a built home"
        )
    f = measure(settings, refresh, segment_seconds, probes, echo=console.print)
    console.print(
        f"slowest: acknowledged in {f.acknowledged_ms:.0f} ms; published {f.acknowledged_to_published_seconds:.1f} "
        "s later "
        f"(refresh runs: {', '.join(f'{s:.1f}s' for s in f.refresh_runs_seconds) or 'none logged'}); "
        f"`opslake run` with nothing new {f.noop_run_seconds:.1f} s; ratio {f.ratio:.2f}x"
    )
    _write_figures(out, f.as_dict())


def _write_figures(out: Path | None, figures: object) -> None:
    """A benchmark's figures as JSON in ``out`` (when given), e.g. docs/benchmarks/<name>.json."""
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(figures, indent=2, default=str) + "\n")


def main() -> None:
    # Dagster flags APIs it still calls beta (code references, backfill policies) on every load: noise to users.
    warnings.filterwarnings("ignore", message=r".* is currently in beta")
    restrict_files(Settings.from_env())  # before any command writes; `dev` and `dashboard` pass it on
    try:
        app()
    except dbt_project.DbtError as e:  # the dbt project itself is broken: no step can run
        console.print(f"[red]error:[/red] {e}")
        console.print("[dim]next: fix the dbt project (transforms/, dbt_project.yml) and run again[/dim]")
        raise SystemExit(2) from None
