"""The data contracts: one per event domain, the public interface for anyone feeding the lakehouse.

Every domain requires ``event_id``, ``occurred_at`` (UTC) and ``tenant_id``. Fields not named by a contract are
kept in the ``_extra`` JSON column. ``docs/contracts.md`` is generated from this module (``opslake contracts``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

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
    minimum: float | None = None
    maximum: float | None = None
    required_for: tuple[str, ...] = ()  # required only for these record types
    source_name: str | None = None  # the name in the input, when it differs (FOCUS column names)
    shape: pa.DataType | None = None  # the usual Arrow shape of a json value, for the fast read path

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


def _common(id_example: str) -> tuple[Field, ...]:
    return (
        Field(
            "event_id", "string", "Globally unique id of the event; the exactly-once key.", id_example, True
        ),
        Field(
            "occurred_at",
            "timestamp",
            "When the event happened, ISO 8601 with a UTC offset (`Z` or `+00:00`).",
            "2026-09-14T08:15:02Z",
            True,
        ),
        Field("tenant_id", "string", "The platform tenant the event belongs to.", "t-acme", True),
    )


AUDIT = Contract(
    domain="audit",
    description="Who did what to which resource, in which tenant, with what outcome.",
    fields=(
        *_common("aud-0f6c2a9e4b1d4c07"),
        Field("actor_id", "string", "Id of the user or service that acted.", "u-1042", True),
        Field("actor_email", "string", "Email of the acting user (personal data).", "jane.doe@acme.example"),
        Field("actor_name", "string", "Display name of the acting user (personal data).", "Jane Doe"),
        Field(
            "actor_type",
            "enum",
            "Kind of actor.",
            "user",
            values=("user", "service", "system"),
            required=True,
        ),
        Field(
            "action",
            "string",
            "Dotted action name: `auth.login`, `iam.role.grant`, `iam.role.revoke`, `config.change`, "
            "`data.export`, `user.terminate`, `user.disable`, `access.review`, ...",
            "auth.login",
            True,
        ),
        Field("mfa_used", "boolean", "Whether the login used a second factor (logins only).", True),
        Field("resource_type", "string", "Type of the resource acted on.", "role"),
        Field("resource_id", "string", "Id of the resource acted on.", "role-admin"),
        Field(
            "outcome",
            "enum",
            "Result of the action.",
            "success",
            required=True,
            values=("success", "failure", "denied"),
        ),
        Field(
            "source_ip", "ip", "IPv4 or IPv6 address the request came from (personal data).", "203.0.113.24"
        ),
        Field("user_agent", "string", "Client user agent.", "Mozilla/5.0"),
        Field("target_user_id", "string", "User affected by the action (grants, terminations).", "u-2231"),
        Field("role", "string", "Role granted, revoked or reviewed.", "tenant-admin"),
        Field("privileged", "boolean", "Whether the action or role is privileged.", False),
        Field("approval_id", "string", "Id of the approval that authorised the action, if any.", "chg-88123"),
        Field("approver_id", "string", "User who approved the action, if any.", "u-1001"),
        Field("session_id", "string", "Session the action ran in.", "s-9a8b7c"),
        Field("message", "text", "Free-text description of the event.", "Jane Doe exported 1,204 rows"),
    ),
)

USAGE = Contract(
    domain="usage",
    description="Requests served per tenant, user, service and feature in one-minute windows.",
    fields=(
        *_common("use-5b2d0c8f1e7a4a11"),
        Field("user_id", "string", "User whose requests these are.", "u-1042", True),
        Field("service", "string", "Platform service that served the requests.", "api-gateway", True),
        Field("feature", "string", "Product feature or API used.", "reports.export", True),
        Field("region", "string", "Region that served the requests.", "eu-west-1"),
        Field("window_seconds", "integer", "Length of the window the counts cover.", 60, minimum=1),
        Field("requests", "integer", "Valid requests in the window.", 42, True, minimum=0),
        Field("errors", "integer", "Requests that failed with a server error.", 1, True, minimum=0),
        Field("latency_le_100ms", "integer", "Requests answered within 100 ms (cumulative).", 30, minimum=0),
        Field("latency_le_300ms", "integer", "Requests answered within 300 ms (cumulative).", 39, minimum=0),
        Field("latency_le_1000ms", "integer", "Requests answered within 1 s (cumulative).", 41, minimum=0),
        Field("latency_ms_p50", "number", "Median latency in the window.", 62.5, minimum=0),
        Field("latency_ms_p95", "number", "95th percentile latency in the window.", 480.0, minimum=0),
        Field("compute_units", "number", "Compute consumed, the cost driver for showback.", 3.75, minimum=0),
        Field("bytes_out", "integer", "Bytes returned.", 183220, minimum=0),
        Field("quota_units", "number", "Tenant quota consumed.", 42.0, minimum=0),
    ),
)

INCIDENT = Contract(
    domain="incident",
    description="Incident lifecycle events as an on-call system emits them.",
    fields=(
        *_common("inc-ev-7c1e90a2"),
        Field("incident_id", "string", "The incident the event belongs to.", "INC-20260914-0042", True),
        Field(
            "status",
            "enum",
            "Lifecycle step.",
            "triggered",
            True,
            values=("triggered", "acknowledged", "resolved"),
        ),
        Field(
            "severity",
            "enum",
            "Severity, sev1 highest.",
            "sev2",
            True,
            values=("sev1", "sev2", "sev3", "sev4"),
        ),
        Field("service", "string", "Affected service.", "billing-api", True),
        Field("title", "string", "Short title.", "Elevated 5xx on billing-api"),
        Field(
            "summary",
            "text",
            "Free-text summary; may name people, emails and phone numbers.",
            "Paged Jane Doe (+1 415 555 0100)",
        ),
        Field("responder_id", "string", "User who acknowledged or resolved.", "u-1042"),
        Field(
            "responder_email", "string", "Email of the responder (personal data).", "jane.doe@acme.example"
        ),
        Field(
            "caused_by_deployment_id",
            "string",
            "Deployment that caused the incident, when one did.",
            "dep-000731",
        ),
        Field("source", "string", "System that reported it.", "pagerduty"),
    ),
)

DELIVERY_TYPES = ("work_item", "pi_objective", "pull_request", "deployment")

DELIVERY = Contract(
    domain="delivery",
    description="SAFe work items moving through states, PI objectives, pull requests and deployments.",
    record_type_field="record_type",
    fields=(
        *_common("del-3e9b44d1"),
        Field("record_type", "enum", "What the record describes.", "work_item", True, values=DELIVERY_TYPES),
        Field("art", "string", "Agile Release Train.", "Payments ART", True),
        Field("team", "string", "Agile team.", "Team Falcon", True),
        Field("pi", "string", "Program Increment.", "PI-2026.3", required_for=("work_item", "pi_objective")),
        Field("iteration", "string", "Iteration within the PI.", "I3"),
        Field(
            "work_item_id",
            "string",
            "Id of the work item (work_item).",
            "FEAT-1207",
            required_for=("work_item",),
        ),
        Field(
            "work_item_type",
            "enum",
            "SAFe work type.",
            "feature",
            values=("epic", "feature", "story", "enabler", "defect", "risk"),
            required_for=("work_item",),
        ),
        Field("parent_id", "string", "Parent work item.", "EPIC-88"),
        Field("title", "text", "Title of the work item or pull request.", "Export invoices as CSV"),
        Field("from_state", "string", "State left (null when created).", "in_progress"),
        Field("to_state", "string", "State entered.", "done", required_for=("work_item",)),
        Field("story_points", "number", "Size estimate.", 5, minimum=0),
        Field("objective_id", "string", "PI objective id.", "OBJ-PI3-07", required_for=("pi_objective",)),
        Field("committed", "boolean", "Committed (true) or uncommitted (stretch) objective.", True),
        Field(
            "planned_business_value",
            "integer",
            "Business value planned at PI planning (0-10).",
            8,
            minimum=0,
            maximum=10,
        ),
        Field(
            "actual_business_value",
            "integer",
            "Business value delivered, scored at the end of the PI (0-10).",
            7,
            minimum=0,
            maximum=10,
        ),
        Field("pr_id", "string", "Pull request id.", "payments/pr-512", required_for=("pull_request",)),
        Field("repository", "string", "Repository of the pull request or deployment.", "payments"),
        Field(
            "pr_action",
            "enum",
            "Pull-request event.",
            "merged",
            values=("opened", "reviewed", "approved", "changes_requested", "merged", "closed"),
            required_for=("pull_request",),
        ),
        Field("author_id", "string", "Author of the pull request.", "u-1042"),
        Field("author_email", "string", "Email of the author (personal data).", "jane.doe@acme.example"),
        Field("reviewer_id", "string", "Reviewer (reviewed, approved, changes_requested).", "u-1077"),
        Field("body", "text", "Pull-request description.", "Fixes rounding; thanks @jdoe"),
        Field(
            "commits",
            "json",
            "Commits of a merged pull request: list of {sha, committed_at, author_id}.",
            [{"sha": "9f1c2e3", "committed_at": "2026-09-12T10:01:00Z", "author_id": "u-1042"}],
            shape=pa.list_(
                pa.struct([("author_id", pa.string()), ("committed_at", pa.string()), ("sha", pa.string())])
            ),
        ),
        Field("merge_commit_sha", "string", "Merge commit of a merged pull request.", "a1b2c3d"),
        Field(
            "deployment_id",
            "string",
            "Deployment id (deployment).",
            "dep-000731",
            required_for=("deployment",),
        ),
        Field("service", "string", "Service deployed.", "billing-api", required_for=("deployment",)),
        Field(
            "environment",
            "enum",
            "Target environment.",
            "production",
            values=("production", "staging", "development"),
            required_for=("deployment",),
        ),
        Field(
            "deployment_status",
            "enum",
            "Outcome of the deployment.",
            "success",
            values=("success", "failure"),
            required_for=("deployment",),
        ),
        Field("started_at", "timestamp", "When the deployment started (occurred_at is its finish).", None),
        Field(
            "pr_ids",
            "json",
            "Pull requests contained in the deployment.",
            ["payments/pr-512"],
            shape=pa.list_(pa.string()),
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
        ),
        _focus("BilledCost", "number", "Cost invoiced (invoice basis).", 12.5, required=True),
        _focus("EffectiveCost", "number", "Amortised cost after discounts and commitments.", 11.9),
        _focus("ListCost", "number", "Cost at public list prices.", 14.0),
        _focus("ContractedCost", "number", "Cost at negotiated prices.", 13.1),
        _focus("BillingCurrency", "string", "ISO 4217 currency of billed cost.", "USD", required=True),
        _focus("BillingAccountId", "string", "Billing account.", "1234567890123"),
        _focus("BillingAccountName", "string", "Billing account name.", "SunBird"),
        _focus(
            "BillingPeriodStart",
            "timestamp",
            "Start of the billing period (inclusive).",
            "2026-09-01T00:00:00Z",
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
            "ServiceName", "string", "Provider service name.", "Amazon Elastic Compute Cloud", required=True
        ),
        _focus("SkuId", "string", "SKU.", "G95FST5FTYV3JSRX"),
        _focus("SkuPriceId", "string", "SKU price.", "G95FST5FTYV3JSRX.JRTCKXETXF"),
        _focus("SubAccountId", "string", "Sub-account (AWS account, Azure subscription).", "51738928782"),
        _focus("SubAccountName", "string", "Sub-account name.", "Atlas Nimbus"),
        _focus("Tags", "json", "Key-value tags of the resource.", {"tenant": "t-acme", "env": "prod"}),
    ),
)

CONTRACTS: dict[str, Contract] = {c.domain: c for c in (AUDIT, USAGE, INCIDENT, DELIVERY, COST)}
if tuple(CONTRACTS) != DOMAINS:
    raise RuntimeError("opslake.tables.DOMAINS must name the contracts, in order")


def contract_for(domain: str) -> Contract:
    """The contract of a domain, with an error that lists the valid ones."""
    try:
        return CONTRACTS[domain]
    except KeyError:
        raise ValueError(f"unknown domain {domain!r}; expected one of: {', '.join(DOMAINS)}") from None
