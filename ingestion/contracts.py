"""The data contracts: one per event domain, the public interface for anyone feeding the lakehouse.

Every domain requires ``event_id``, ``occurred_at`` (UTC) and ``tenant_id``. Fields not named by a contract are
kept in the ``_extra`` JSON column. ``docs/contracts.md`` is generated from this module (``opslake contracts``):
each field's meaning (``description``) and what the marts do with it (``use``: which mart or metric reads it, and
what a missing or wrong value costs) are written here once, with the values the marts recognise, the rules that
join domains and the seeds the marts look values up in.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import pyarrow as pa

from opslake.dbt_project import SEED_DIR
from opslake.tables import BRONZE_COLUMNS, DOMAINS

# Field kinds and the Arrow type each is stored as in bronze.
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "text": pa.string(),  # free text: analysed record by record for personal data
    "enum": pa.string(),
    "ip": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "json": pa.string(),  # an object or list, stored as canonical JSON text
}


@dataclass(frozen=True)
class Field:
    """One field of a contract."""

    name: str
    kind: str
    description: str
    example: object
    required: bool = False
    values: tuple[str, ...] = ()  # accepted values of an enum
    seed: str | None = None  # the seed whose key column the values are (see ``seed_values``)
    minimum: float | None = None
    maximum: float | None = None
    required_for: tuple[str, ...] = ()  # required only for these record types
    source_name: str | None = None  # the name in the input, when it differs (FOCUS column names)
    shape: pa.DataType | None = None  # the usual Arrow shape of a json value, for the fast read path
    # What the marts do with the field and what a missing or wrong value costs (empty: no mart reads it).
    use: str = ""
    # Values of a free string field that the marts recognise, with what each means to them (not validated: other
    # values are kept, and ``use`` says what becomes of them).
    known_values: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ARROW_TYPES:
            raise ValueError(f"field {self.name}: unknown kind {self.kind!r}")
        if self.kind == "enum" and not self.values:
            raise ValueError(f"field {self.name}: an enum needs its values")

    @property
    def input_name(self) -> str:
        return self.source_name or self.name

    @property
    def arrow_type(self) -> pa.DataType:
        return ARROW_TYPES[self.kind]


def seed_values(seed: str, key: str) -> tuple[str, ...]:
    """The values of a seed's key column: an enum whose values a seed defines, so that they are written once."""
    with (SEED_DIR / f"{seed}.csv").open(newline="") as file:
        return tuple(dict.fromkeys(row[key] for row in csv.DictReader(file)))


@dataclass(frozen=True)
class SeedLookup:
    """A reviewed seed (``transforms/seeds/<seed>.csv``) in which the marts look up the values of some fields."""

    seed: str  # path under transforms/seeds, without .csv
    key: str  # the seed column the values are looked up in
    fields: tuple[str, ...]
    purpose: str  # what the seed gives the marts, and what becomes of a value it does not list


@dataclass(frozen=True)
class Contract:
    """The contract of one domain: its fields and how its identity and time are found."""

    domain: str
    description: str
    fields: tuple[Field, ...]
    record_type_field: str | None = None  # discriminator for domains with several record types
    id_from_content: bool = False  # event_id is a hash of the record's content (cost rows)
    naive_timestamps_are_utc: bool = False  # FOCUS timestamps carry no zone and are UTC by specification
    tenant_tag_keys: tuple[str, ...] = ()  # tenant_id taken from these keys of the Tags object
    default_tenant: str | None = None  # tenant_id when no tag names one
    time_field: str = "occurred_at"
    time_from: str | None = None  # field whose value is the derived event time (content-identified rows)
    # Fields naming what one export restates in whole (FOCUS: provider, billing account, billing period); the
    # rows of content-identified domains are keyed by their export (see ``ingestion.exports``).
    export_key: tuple[str, ...] = ()
    # Rules that span fields or domains, which a source must follow for the marts to be right.
    rules: tuple[str, ...] = ()
    seeds: tuple[SeedLookup, ...] = ()

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.domain} has no field {name!r}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def arrow_schema(self) -> pa.Schema:
        """Schema of the bronze table: contract fields, then the columns bronze adds (``BRONZE_COLUMNS``)."""
        columns = [pa.field(f.name, f.arrow_type, nullable=not f.required) for f in self.fields]
        columns += [pa.field(name, t, nullable=n) for name, (t, n, _, _) in BRONZE_COLUMNS.items()]
        return pa.schema(columns)


TENANT_USE = (
    "Every mart is per tenant, and every join between records is made within one tenant: ids (users, incidents, "
    "work items, deployments, services, teams) are unique within a tenant only."
)


def _common(
    id_example: str,
    tenant_description: str = "The platform tenant the event belongs to.",
    tenant_use: str = TENANT_USE,
) -> tuple[Field, ...]:
    return (
        Field(
            "event_id",
            "string",
            "Globally unique id of the event; the exactly-once key.",
            id_example,
            True,
            use="The same id again with the same content is a duplicate (dropped); with other content it is "
            "quarantined (`conflicting_duplicate`). Compliance exceptions cite event ids as evidence.",
        ),
        Field(
            "occurred_at",
            "timestamp",
            "When the event happened, ISO 8601 with a UTC offset (`Z` or `+00:00`).",
            "2026-09-14T08:15:02Z",
            True,
            use="The time of every fact: the UTC day, week or month it counts in, and the order of an item's "
            "events. Without an offset: quarantined (`bad_type`).",
        ),
        Field("tenant_id", "string", tenant_description, "t-acme", True, use=tenant_use),
    )


# Audit actions the marts read, with what each means to them. Any other action is kept and counts only in the
# daily audit volume (CC7.2). The actions that count as acting as an administrator are the dbt var
# `compliance_administrative_actions` (dbt_project.yml), which the SQL reads and the generated doc marks here.
AUDIT_ACTIONS: tuple[tuple[str, str], ...] = (
    (
        "auth.login",
        "An interactive log-in. Successful log-ins of `user` actors are the population of CC6.1: each needs "
        "`mfa_used` true.",
    ),
    (
        "iam.role.grant",
        "`role` granted to `target_user_id`. Successful grants with `privileged` true are tested for an approval "
        "(CC6.3: `approval_id` and an `approver_id` other than `actor_id` and `target_user_id`) and start a "
        "holding that the quarterly access review must cover until a revoke.",
    ),
    ("iam.role.revoke", "`role` taken from `target_user_id`: ends the holding."),
    (
        "access.review",
        "A review of `target_user_id`'s `role` by `actor_id`: evidence for the quarterly access review (CC6.3) "
        "when it falls in the campaign and the reviewer is not the holder. A first review or revoke of a "
        "(user, role) with no grant before it shows a role held since before the data.",
    ),
    ("config.change", "A change of tenant settings."),
    (
        "user.terminate",
        "HR terminated `target_user_id` (required for the test): CC6.2 wants a successful `user.disable` of the "
        "same user within the deadline, and no activity of the user afterwards (audit events not `denied`, "
        "usage windows).",
    ),
    ("user.disable", "The account of `target_user_id` disabled; only successful ones count."),
    (
        "subscription.renew",
        "The tenant's subscription for the month of the event: `plan` and `monthly_quota_units` "
        "(tenant_usage_monthly). The latest successful renewal of a month counts; a month without one has no "
        "plan or quota (none is carried forward).",
    ),
)

PLANS = ("enterprise", "business", "starter")

AUDIT = Contract(
    domain="audit",
    description="Who did what to which resource, in which tenant, with what outcome.",
    fields=(
        *_common("aud-0f6c2a9e4b1d4c07"),
        Field(
            "actor_id",
            "string",
            "Id of the user or service that acted.",
            "u-1042",
            True,
            use="The same person or service account as usage `user_id` and delivery's people ids: silver "
            "pseudonymises them all with one key, so they must be the same identifiers in every source. Finds a "
            "terminated user's later activity (CC6.2) and self-approved grants (CC6.3).",
        ),
        Field("actor_email", "string", "Email of the acting user (personal data).", "jane.doe@acme.example"),
        Field("actor_name", "string", "Display name of the acting user (personal data).", "Jane Doe"),
        Field(
            "actor_type",
            "enum",
            "Kind of actor.",
            "user",
            values=("user", "service", "system"),
            required=True,
            use="`user`: log-ins tested for MFA (CC6.1) and administrative actions that reveal an administrator "
            "(CC6.3). `service`: the only evidence that a usage user is a service account (tenant_usage_monthly "
            "counts it in `active_service_accounts`, not `active_users`). Another value: quarantined.",
        ),
        Field(
            "action",
            "string",
            "Dotted action name.",
            "auth.login",
            True,
            use="Selects what each control and tenant_usage_monthly read (the values below, matched exactly). "
            "Other actions are kept; they count only in the daily audit volume (CC7.2).",
            known_values=AUDIT_ACTIONS,
        ),
        Field(
            "mfa_used",
            "boolean",
            "Whether the login used a second factor (logins only).",
            True,
            use="CC6.1: a successful `user` `auth.login` is an exception unless this is true; missing is no "
            "evidence of a second factor.",
        ),
        Field("resource_type", "string", "Type of the resource acted on.", "role"),
        Field("resource_id", "string", "Id of the resource acted on.", "role-admin"),
        Field(
            "outcome",
            "enum",
            "Result of the action.",
            "success",
            required=True,
            values=("success", "failure", "denied"),
            use="Only `success` counts as a log-in, grant, disable, renewal or administrative action. After a "
            "termination any event of the user that is not `denied` is activity (CC6.2).",
        ),
        Field(
            "source_ip", "ip", "IPv4 or IPv6 address the request came from (personal data).", "203.0.113.24"
        ),
        Field("user_agent", "string", "Client user agent.", "Mozilla/5.0"),
        Field(
            "target_user_id",
            "string",
            "User affected by the action (grants, terminations).",
            "u-2231",
            use="The grantee, holder, reviewed or terminated user (see the actions). A termination without it is "
            "not tested; a grant or review without it matches no holding.",
        ),
        Field(
            "role",
            "string",
            "Role granted, revoked or reviewed.",
            "tenant-admin",
            use="Holdings are (target_user_id, role): a revoke or review must name the role of the grant it ends "
            "or covers.",
        ),
        Field(
            "privileged",
            "boolean",
            "Whether the action or role is privileged.",
            False,
            use="Only grants with true are tested for approval and reviewed quarterly (CC6.3); missing counts as "
            "not privileged.",
        ),
        Field(
            "approval_id",
            "string",
            "Id of the approval that authorised the action, if any.",
            "chg-88123",
            use="A privileged grant without it is an exception (`no_approval`, CC6.3).",
        ),
        Field(
            "approver_id",
            "string",
            "User who approved the action, if any.",
            "u-1001",
            use="A privileged grant without it is `no_approval`; approved by its actor or its target, "
            "`self_approved` (CC6.3). Approvers of successful grants count as acting as administrators.",
        ),
        Field("session_id", "string", "Session the action ran in.", "s-9a8b7c"),
        Field(
            "plan",
            "string",
            "The subscription plan a `subscription.renew` puts the tenant on.",
            "business",
            use="tenant_usage_monthly `plan`, lower-cased (known plans: "
            + ", ".join(f"`{p}`" for p in PLANS)
            + "; another is kept, with a dbt warning). Missing on a renewal: the month's plan is null. Never "
            "taken from `message`, which masking may rewrite.",
        ),
        Field(
            "monthly_quota_units",
            "integer",
            "Quota units a month that the plan of a `subscription.renew` includes.",
            63000,
            minimum=0,
            use="tenant_usage_monthly `monthly_quota_units`, against which usage `quota_units` give "
            "`quota_used_ratio` and `is_over_quota`; missing on a renewal, those are null (a dbt warning says "
            "so). Negative: quarantined.",
        ),
        Field(
            "message",
            "text",
            "Free-text description of the event; masked in silver, so no mart reads anything from it.",
            "Jane Doe exported 1,204 rows",
        ),
    ),
)

USAGE = Contract(
    domain="usage",
    description="Requests served per tenant, user, service and feature in windows of at most a minute.",
    fields=(
        *_common("use-5b2d0c8f1e7a4a11"),
        Field(
            "user_id",
            "string",
            "User or service account whose requests these are.",
            "u-1042",
            True,
            use="tenant_usage_monthly counts distinct users with requests, split into `active_users` and "
            "`active_service_accounts` by audit (see the rules). A terminated user's later usage is an exception "
            "(CC6.2).",
        ),
        Field(
            "service",
            "string",
            "Platform service that served the requests.",
            "api-gateway",
            True,
            use="slo_daily and slo_burn_alerts measure the services listed in the seed `slo_objectives`; usage of "
            "other services is left out of them (it still counts in tenant_usage_monthly).",
        ),
        Field("feature", "string", "Product feature or API used.", "reports.export", True),
        Field("region", "string", "Region that served the requests.", "eu-west-1"),
        Field(
            "window_seconds",
            "integer",
            "Length of the window the counts cover, at most a minute; missing means 60.",
            60,
            minimum=1,
            maximum=60,
            use="A window is counted whole in the minute it starts in, and the burn-rate alerts "
            "(slo_burn_alerts) evaluate minute by minute over windows from 5 minutes to 3 days: a longer window "
            "would put later minutes' requests in its first minute, so it is quarantined "
            "(`out_of_range:window_seconds`). Split longer aggregates into minutes before sending them.",
        ),
        Field(
            "requests",
            "integer",
            "Valid requests in the window.",
            42,
            True,
            minimum=0,
            use="Valid requests of the availability SLI (slo_daily, slo_burn_alerts); tenant_usage_monthly "
            "`requests` and cost per 1k requests; a user with none in a month is not active.",
        ),
        Field(
            "errors",
            "integer",
            "Requests that failed with a server error.",
            1,
            True,
            minimum=0,
            use="Bad requests of the availability SLI and its error budget and burn rates.",
        ),
        Field(
            "latency_le_100ms",
            "integer",
            "Requests answered within 100 ms (cumulative).",
            30,
            minimum=0,
            use="Good requests of a latency SLI whose threshold in `slo_objectives` is 100 ms.",
        ),
        Field(
            "latency_le_300ms",
            "integer",
            "Requests answered within 300 ms (cumulative).",
            39,
            minimum=0,
            use="Good requests of a latency SLI whose threshold is 300 ms.",
        ),
        Field(
            "latency_le_1000ms",
            "integer",
            "Requests answered within 1 s (cumulative).",
            41,
            minimum=0,
            use="Good requests of a latency SLI whose threshold is 1 s. A window without it has no latency "
            "histogram: it is left out of the latency SLI (not counted slow). The buckets are cumulative: "
            "le_100ms <= le_300ms <= le_1000ms <= requests.",
        ),
        Field("latency_ms_p50", "number", "Median latency in the window.", 62.5, minimum=0),
        Field("latency_ms_p95", "number", "95th percentile latency in the window.", 480.0, minimum=0),
        Field(
            "compute_units",
            "number",
            "Compute consumed, the cost driver for showback.",
            3.75,
            minimum=0,
            use="A tenant's share of a month's compute units is its share of shared cost "
            "(cost_allocation_monthly, tenant_usage_monthly); missing counts as 0.",
        ),
        Field("bytes_out", "integer", "Bytes returned.", 183220, minimum=0),
        Field(
            "quota_units",
            "number",
            "Tenant quota consumed.",
            42.0,
            minimum=0,
            use="Summed per month into tenant_usage_monthly `quota_units_used`, against the audit "
            "subscription's `monthly_quota_units`; missing counts as 0.",
        ),
    ),
    rules=(
        "**Service accounts are known from audit only.** A usage `user_id` is a service account when the same "
        "tenant's audit has an event with that `actor_id` and `actor_type` `service` (any time); otherwise it "
        "is a person and counts in `active_users`. Send service accounts' audit events, with the same ids.",
    ),
    seeds=(
        SeedLookup(
            "reliability/slo_objectives",
            "service",
            ("service",),
            "Each service's SLIs (availability, latency with its threshold) and objectives. A service it does "
            "not list has no SLO rows and no burn-rate alerts.",
        ),
    ),
)

INCIDENT = Contract(
    domain="incident",
    description="Incident lifecycle events as an on-call system emits them.",
    fields=(
        *_common(
            "inc-ev-7c1e90a2",
            "The customer tenant most affected by the incident.",
            "incidents, incident_metrics_monthly and the response control (CC7.4) report the incident under this "
            "tenant. DORA does not: it attributes the incident to the tenant and team that deployed (see the "
            "rules).",
        ),
        Field(
            "incident_id",
            "string",
            "The incident the event belongs to.",
            "INC-20260914-0042",
            True,
            use="The events of one (tenant_id, incident_id) roll up into one incident.",
        ),
        Field(
            "status",
            "enum",
            "Lifecycle step.",
            "triggered",
            True,
            values=("triggered", "acknowledged", "resolved"),
            use="The first event of each status gives the incident's times: time to acknowledge and resolve "
            "(MTTA, MTTR, CC7.4), time to restore (DORA). Without a `triggered` event an incident has no month "
            "and no time to restore.",
        ),
        Field(
            "severity",
            "enum",
            "Severity, sev1 highest.",
            "sev2",
            True,
            values=("sev1", "sev2", "sev3", "sev4"),
            use="The latest event's severity counts. CC7.4 tests the severities the seed "
            "`incident_response_targets` lists against its targets.",
        ),
        Field(
            "service",
            "string",
            "Affected service.",
            "billing-api",
            True,
            use="Without a causing deployment, DORA attributes the incident to the team that owns the service: "
            "the team of its latest production deployment before the trigger (see the rules). It must be the "
            "`service` name that deployments and usage use: a quality check warns about incidents naming a "
            "service seen neither in usage nor in the seed `slo_objectives`.",
        ),
        Field("title", "string", "Short title.", "Elevated 5xx on billing-api"),
        Field(
            "summary",
            "text",
            "Free-text summary; may name people, emails and phone numbers.",
            "Paged Jane Doe (+1 415 555 0100)",
        ),
        Field(
            "responder_id",
            "string",
            "User who acknowledged or resolved.",
            "u-1042",
            use="The first acknowledging responder is the incident's `first_responder_id`.",
        ),
        Field(
            "responder_email", "string", "Email of the responder (personal data).", "jane.doe@acme.example"
        ),
        Field(
            "caused_by_deployment_id",
            "string",
            "Deployment that caused the incident, when one did.",
            "dep-000731",
            use="Set on any event, it makes the incident change-induced: a change failure of that production "
            "deployment (DORA change failure rate, failed deployment recovery time), attributed to its team. It "
            "must be a delivery `deployment_id` (see the rules). An id found in no production deployment (one "
            "from before the lake) fails no deployment and leaves the team to the service owner, with a dbt "
            "warning; the incident still counts as change-induced in incident_metrics_monthly.",
        ),
        Field("source", "string", "System that reported it.", "pagerduty", use="Shown in `incidents`."),
    ),
    rules=(
        "**Incident tenant versus the deploying organisation.** `tenant_id` is the affected customer. DORA "
        "(dora_metrics_monthly, dora_deployments) counts an incident for the tenant and team that shipped the "
        "change: `caused_by_deployment_id` is looked up among the incident's own tenant's production "
        "deployments, else among those of the operator tenant (dbt var `operator_tenant`), so a customer's "
        "incident can name the platform operator's deployment by its id. Without a cause (or with an unknown "
        "id), `service` is looked up the same way, own tenant first, then the operator's, and the incident goes "
        "to the team of the service's latest production deployment finished before the trigger (else its first "
        "one after). An incident whose service was never deployed to production is not attributed to a team "
        "(it still counts in incidents and incident_metrics_monthly).",
    ),
    seeds=(
        SeedLookup(
            "compliance/incident_response_targets",
            "severity",
            ("severity",),
            "Minutes to acknowledge and to resolve per severity (CC7.4). Incidents of severities it does not "
            "list are not tested.",
        ),
    ),
)

WORK_ITEM_TYPES = "flow/work_item_types"

DELIVERY_TYPES = ("work_item", "pi_objective", "pull_request", "deployment", "push")

FLOW_RECORDS = ("work_item", "pi_objective")

DELIVERY = Contract(
    domain="delivery",
    description="SAFe work items moving through states, PI objectives, pull requests, pushes and deployments.",
    record_type_field="record_type",
    fields=(
        *_common("del-3e9b44d1"),
        Field(
            "record_type",
            "enum",
            "What the record describes.",
            "work_item",
            True,
            values=DELIVERY_TYPES,
            use="Each type feeds its own staging model: work items and PI objectives the flow marts, pull "
            "requests and deployments DORA and the change-approval control (CC8.1), pushes the commits of pull "
            "requests merged without a commit list.",
        ),
        Field(
            "art",
            "string",
            "Agile Release Train.",
            "Payments ART",
            required_for=FLOW_RECORDS,
            use="Groups ART flow (flow_metrics_art_weekly), portfolio flow and predictability "
            "(flow_predictability); an item counts under the ART of its latest record. Not read on pull "
            "requests and deployments.",
        ),
        Field(
            "team",
            "string",
            "Agile team.",
            "Team Falcon",
            required_for=(*FLOW_RECORDS, "deployment"),
            use="Team flow (flow_metrics_weekly) and, on deployments, the team DORA counts the deployment, its "
            "lead times and its incidents under (dora_metrics_monthly). Not read on pull requests: a change "
            "counts for the team of the deployment that shipped it.",
        ),
        Field(
            "pi",
            "string",
            "Program Increment.",
            "PI-2026.3",
            required_for=FLOW_RECORDS,
            use="flow_predictability is per ART and PI.",
        ),
        Field("iteration", "string", "Iteration within the PI.", "I3"),
        Field(
            "work_item_id",
            "string",
            "Id of the work item (work_item).",
            "FEAT-1207",
            required_for=("work_item",),
            use="The records of one (tenant_id, work_item_id) are the item's history, ordered by `occurred_at`.",
        ),
        Field(
            "work_item_type",
            "enum",
            "SAFe work type.",
            "feature",
            values=seed_values(WORK_ITEM_TYPES, "work_item_type"),
            seed=WORK_ITEM_TYPES,
            required_for=("work_item",),
            use="The seed `work_item_types` gives its flow level (team, ART, portfolio) and flow item type; the "
            "item's latest record's type counts. A type the seed does not list has no flow to count in: the "
            "record is quarantined (`not_in_seed:work_item_types:work_item_type`) until the seed lists it.",
        ),
        Field("parent_id", "string", "Parent work item.", "EPIC-88"),
        Field("title", "text", "Title of the work item or pull request.", "Export invoices as CSV"),
        Field(
            "from_state",
            "string",
            "State left (null when created).",
            "in_progress",
            use="On an item's first record, a state left says the item existed before the feed began: its "
            "start is unknown, and it has no flow time.",
        ),
        Field(
            "to_state",
            "string",
            "State entered.",
            "done",
            required_for=("work_item",),
            use="Classed by the seed `work_item_states`: flow time runs from the first `active` state to the "
            "entry into `done`; flow efficiency is active time over flow time; flow load counts items started and "
            "not done.",
        ),
        Field("story_points", "number", "Size estimate.", 5, minimum=0),
        Field(
            "objective_id",
            "string",
            "PI objective id.",
            "OBJ-PI3-07",
            required_for=("pi_objective",),
            use="The latest record of one (tenant_id, objective_id) is the objective.",
        ),
        Field(
            "committed",
            "boolean",
            "Committed (true) or uncommitted (stretch) objective.",
            True,
            use="Predictability divides the actual value of all objectives by the planned value of committed "
            "ones.",
        ),
        Field(
            "planned_business_value",
            "integer",
            "Business value planned at PI planning (0-10).",
            8,
            minimum=0,
            maximum=10,
            use="The denominator of predictability (committed objectives).",
        ),
        Field(
            "actual_business_value",
            "integer",
            "Business value delivered, scored at the end of the PI (0-10).",
            7,
            minimum=0,
            maximum=10,
            use="The numerator of predictability; a PI is scored once every objective has one.",
        ),
        Field(
            "pr_id",
            "string",
            "Pull request id.",
            "payments/pr-512",
            required_for=("pull_request",),
            use="The events of one (tenant_id, pr_id) are one pull request, matched to the `pr_ids` of "
            "deployments.",
        ),
        Field(
            "repository",
            "string",
            "Repository of the pull request, push or deployment.",
            "payments",
            required_for=("push",),
            use="Shown in dora_deployments. With `branch`, it matches a push to the pull requests merged from the "
            "pushed branch.",
        ),
        Field(
            "branch",
            "string",
            "The branch pushed to (push), or the pull request's head branch (pull_request).",
            "fix-rounding",
            required_for=("push",),
            use="A merged pull request without `commits` takes the commits pushed to its repository and head "
            "branch after the previous merge from that branch and at or before its own (dora_change_lead_times). "
            "Pseudonymised in silver: branch names often carry a person's login.",
        ),
        Field(
            "pr_action",
            "enum",
            "Pull-request event.",
            "merged",
            values=("opened", "reviewed", "approved", "changes_requested", "merged", "closed"),
            required_for=("pull_request",),
            use="`merged` carries the commits (lead time); an `approved` before the merge by a reviewer other "
            "than the author makes the change independently approved (CC8.1).",
        ),
        Field(
            "author_id",
            "string",
            "Author of the pull request.",
            "u-1042",
            use="An approval by the author is no approval (CC8.1).",
        ),
        Field("author_email", "string", "Email of the author (personal data).", "jane.doe@acme.example"),
        Field(
            "reviewer_id",
            "string",
            "Reviewer (reviewed, approved, changes_requested).",
            "u-1077",
            use="An `approved` event without a reviewer, or by the author, does not approve (CC8.1).",
        ),
        Field("body", "text", "Pull-request description.", "Fixes rounding; thanks @jdoe"),
        Field(
            "commits",
            "json",
            "Commits of a merged pull request, or of a push: list of {sha, committed_at, author_id}.",
            [{"sha": "9f1c2e3", "committed_at": "2026-09-12T10:01:00Z", "author_id": "u-1042"}],
            required_for=("push",),
            shape=pa.list_(
                pa.struct([("author_id", pa.string()), ("committed_at", pa.string()), ("sha", pa.string())])
            ),
            use="On the `merged` event: each commit's lead time is its `committed_at` to the finish of the first "
            "successful production deployment that shipped the pull request (dora_change_lead_times). Without "
            "it, the commits of the pushes to the pull request's branch count (see `branch`); without either, "
            "the pull request adds no lead time.",
        ),
        Field("merge_commit_sha", "string", "Merge commit of a merged pull request.", "a1b2c3d"),
        Field(
            "deployment_id",
            "string",
            "Deployment id (deployment).",
            "dep-000731",
            required_for=("deployment",),
            use="What incidents name in `caused_by_deployment_id`.",
        ),
        Field(
            "service",
            "string",
            "Service deployed.",
            "billing-api",
            required_for=("deployment",),
            use="Makes the deploying team the service's owner for incidents without a cause (see the incident "
            "rules); use the names incidents and usage use.",
        ),
        Field(
            "environment",
            "enum",
            "Target environment.",
            "production",
            values=("production", "staging", "development"),
            required_for=("deployment",),
            use="Only `production` deployments count in DORA and CC8.1.",
        ),
        Field(
            "deployment_status",
            "enum",
            "Outcome of the deployment.",
            "success",
            values=("success", "failure"),
            required_for=("deployment",),
            use="Deployment frequency and lead time count `success`; the change failure rate's denominator is "
            "every production attempt; CC8.1 tests successful ones.",
        ),
        Field(
            "started_at",
            "timestamp",
            "When the deployment started (occurred_at is its finish).",
            None,
            use="Shown in dora_deployments; `occurred_at`, the finish, is what the metrics use.",
        ),
        Field(
            "pr_ids",
            "json",
            "Pull requests contained in the deployment.",
            ["payments/pr-512"],
            shape=pa.list_(pa.string()),
            use="The changes the deployment ships: their commits' lead times, and their approvals (CC8.1: a "
            "listed pull request with no events in the lake is an exception, `pr_not_in_lake`). Empty or "
            "missing: a redeploy, counted as a deployment with no change.",
        ),
    ),
    seeds=(
        SeedLookup(
            "flow/work_item_states",
            "state",
            ("from_state", "to_state"),
            "Each workflow state's class: `active`, `waiting` or `done`, which the flow metrics read. List every "
            "state of your workflow: a state the seed does not list becomes `unclassified` (the item still counts "
            "in flow load, but its time there is not active and it is not done there), and `opslake run` names "
            "it under to review.",
        ),
        SeedLookup(
            WORK_ITEM_TYPES,
            "work_item_type",
            ("work_item_type",),
            "Each type's flow level (team, art, portfolio) and team flow item type. They are the values "
            "`work_item_type` accepts: a record of another type is quarantined, naming this seed.",
        ),
    ),
)


def _focus(name: str, kind: str, description: str, example: object, **kw: object) -> Field:
    snake = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
    return Field(snake, kind, description, example, source_name=name, **kw)


COST = Contract(
    domain="cost",
    description="FinOps FOCUS 1.0-1.2 cost and usage rows (column names as in FOCUS). Literal `NULL` means null.",
    id_from_content=True,
    naive_timestamps_are_utc=True,
    tenant_tag_keys=("tenant_id", "tenant", "opslake:tenant"),
    default_tenant="unallocated",
    time_from="charge_period_start",
    export_key=("provider_name", "billing_account_id", "billing_period_start"),
    seeds=(
        SeedLookup(
            "cost/cost_tag_tenants",
            "tag_key",
            ("tags",),
            "The reviewed tag rules: (tag key, tag value) to a tenant (`direct`) or to `shared`. A tenant tag "
            "whose value it does not list leaves the row `unallocated` (`unknown_tenant`): add new tenants "
            "here.",
        ),
    ),
    fields=(
        Field(
            "event_id",
            "string",
            "Derived: SHA-256 of the row's content and of its export, so a re-delivered export is recognised.",
            "c0ffee...",
            True,
        ),
        Field(
            "export_id",
            "string",
            "Derived: SHA-256 of the export of the row's billing period and account (all its rows in one file). "
            "FOCUS exports restate whole periods: the export delivered last is the bill, and the ones it "
            "supersedes stay in bronze.",
            "5eed...",
        ),
        Field("occurred_at", "timestamp", "Derived: ChargePeriodStart.", "2026-09-14T00:00:00Z", True),
        Field(
            "tenant_id",
            "string",
            "Derived: the `tenant_id`, `tenant` or `opslake:tenant` tag; `unallocated` when none.",
            "t-acme",
            True,
            use="Kept to compare only: the marts allocate each row by its Tags and the seed `cost_tag_tenants`, "
            "and a dbt warning names rows whose tenant the seed does not know.",
        ),
        _focus(
            "BilledCost",
            "number",
            "Cost invoiced (invoice basis).",
            12.5,
            required=True,
            use="Allocated per tenant and month to the cent (cost_allocation_monthly, tenant_usage_monthly) and "
            "per day (cost_daily); each month's allocation adds up to the bill.",
        ),
        _focus(
            "EffectiveCost",
            "number",
            "Amortised cost after discounts and commitments.",
            11.9,
            use="Allocated like BilledCost; the basis of unit costs (per 1k requests, per active user).",
        ),
        _focus("ListCost", "number", "Cost at public list prices.", 14.0, use="Allocated like BilledCost."),
        _focus("ContractedCost", "number", "Cost at negotiated prices.", 13.1),
        _focus(
            "BillingCurrency",
            "string",
            "ISO 4217 currency of billed cost.",
            "USD",
            required=True,
            use="Costs are summed per currency, never converted.",
        ),
        _focus("BillingAccountId", "string", "Billing account.", "1234567890123"),
        _focus("BillingAccountName", "string", "Billing account name.", "SunBird"),
        _focus(
            "BillingPeriodStart",
            "timestamp",
            "Start of the billing period (inclusive).",
            "2026-09-01T00:00:00Z",
            use="The invoice month a row is allocated in (ChargePeriodStart's month when missing), and part of "
            "the export key: the export delivered last per provider, billing account and billing period is the "
            "bill.",
        ),
        _focus(
            "BillingPeriodEnd", "timestamp", "End of the billing period (exclusive).", "2026-10-01T00:00:00Z"
        ),
        _focus(
            "ChargePeriodStart",
            "timestamp",
            "Start of the charge period.",
            "2026-09-14T00:00:00Z",
            required=True,
            use="The row's event time and its day in cost_daily.",
        ),
        _focus("ChargePeriodEnd", "timestamp", "End of the charge period.", "2026-09-15T00:00:00Z"),
        _focus(
            "ChargeCategory",
            "enum",
            "Usage, Purchase, Tax, Credit or Adjustment.",
            "Usage",
            required=True,
            values=("Usage", "Purchase", "Tax", "Credit", "Adjustment"),
        ),
        _focus("ChargeClass", "string", "`Correction` for corrections of earlier periods.", None),
        _focus("ChargeDescription", "string", "Provider's description of the charge.", "Compute hours"),
        _focus("ChargeFrequency", "string", "One-Time, Recurring or Usage-Based.", "Usage-Based"),
        _focus("CommitmentDiscountCategory", "string", "Spend or Usage commitment.", None),
        _focus("CommitmentDiscountId", "string", "Commitment discount applied.", None),
        _focus("CommitmentDiscountName", "string", "Name of the commitment discount.", None),
        _focus("CommitmentDiscountType", "string", "Type of commitment discount.", None),
        _focus("CommitmentDiscountStatus", "string", "Used or Unused.", None),
        _focus("ConsumedQuantity", "number", "Quantity consumed.", 24.0),
        _focus("ConsumedUnit", "string", "Unit of the consumed quantity.", "Hours"),
        _focus("PricingQuantity", "number", "Quantity priced.", 24.0),
        _focus("PricingUnit", "string", "Unit of the priced quantity.", "Hours"),
        _focus("ListUnitPrice", "number", "List price per pricing unit.", 0.58),
        _focus("ContractedUnitPrice", "number", "Contracted price per pricing unit.", 0.55),
        _focus("PricingCategory", "string", "Standard, Dynamic, Committed or Other.", "Standard"),
        _focus("InvoiceIssuerName", "string", "Who issues the invoice.", "Amazon Web Services, Inc."),
        _focus("ProviderName", "string", "Provider of the resource.", "AWS", required=True),
        _focus("PublisherName", "string", "Publisher of the service.", "Amazon Web Services, Inc."),
        _focus("RegionId", "string", "Region id.", "eu-west-1"),
        _focus("RegionName", "string", "Region name.", "Europe (Ireland)"),
        _focus("AvailabilityZone", "string", "Availability zone.", "eu-west-1a"),
        _focus("ResourceId", "string", "Resource id.", "i-0abc123"),
        _focus("ResourceName", "string", "Resource name.", "billing-api-prod-1"),
        _focus("ResourceType", "string", "Resource type.", "Virtual Machine"),
        _focus("ServiceCategory", "string", "FOCUS service category.", "Compute"),
        _focus(
            "ServiceName",
            "string",
            "Provider service name.",
            "Amazon Elastic Compute Cloud",
            required=True,
            use="cost_daily is per service.",
        ),
        _focus("SkuId", "string", "SKU.", "G95FST5FTYV3JSRX"),
        _focus("SkuPriceId", "string", "SKU price.", "G95FST5FTYV3JSRX.JRTCKXETXF"),
        _focus("SubAccountId", "string", "Sub-account (AWS account, Azure subscription).", "51738928782"),
        _focus("SubAccountName", "string", "Sub-account name.", "Atlas Nimbus"),
        _focus(
            "Tags",
            "json",
            "Key-value tags of the resource.",
            {"tenant": "t-acme", "env": "prod"},
            use="Classed by the seed `cost_tag_tenants`: a tag naming one known tenant makes the row that "
            "tenant's direct cost; a shared rule makes it shared cost, split by compute units; anything else "
            "stays `unallocated`, with a reason.",
        ),
    ),
)

CONTRACTS: dict[str, Contract] = {c.domain: c for c in (AUDIT, USAGE, INCIDENT, DELIVERY, COST)}

# Rules that hold across every domain.
RULES: tuple[str, ...] = (
    "**One identity per account, in every domain.** Audit `actor_id`, `target_user_id` and `approver_id`, usage "
    "`user_id`, incident `responder_id` and delivery `author_id` and `reviewer_id` are pseudonymised in silver "
    "with one key, so equal values are the same account everywhere: send the platform's account ids in all of "
    "them, not ids local to one source system.",
    "**Ids are unique within a tenant only.** Incidents, work items, objectives, pull requests, deployments, "
    "teams, services and users are matched within one `tenant_id`; the one exception is the operator tenant "
    "(dbt var `operator_tenant`), whose deployments and services incidents of other tenants may name (see "
    "incident).",
    "**Free text is masked before anything reads it.** `text` fields (and JSON fields that may hold free text) "
    "reach silver with names, emails, numbers and the like replaced by placeholders, so nothing the marts need "
    "may be sent only inside them: give it a field of its own.",
)
if tuple(CONTRACTS) != DOMAINS:
    raise RuntimeError("opslake.tables.DOMAINS must name the contracts, in order")


def contract_for(domain: str) -> Contract:
    """The contract of a domain, with an error that lists the valid ones."""
    try:
        return CONTRACTS[domain]
    except KeyError:
        raise ValueError(f"unknown domain {domain!r}; expected one of: {', '.join(DOMAINS)}") from None
