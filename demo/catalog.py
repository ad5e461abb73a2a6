"""Static reference data: company and person names, regions, platform services and their features."""

from __future__ import annotations

from dataclasses import dataclass

COMPANIES = (
    ("acme", "Acme Corporation"),
    ("globex", "Globex Corporation"),
    ("initech", "Initech"),
    ("umbrella", "Umbrella Health"),
    ("hooli", "Hooli"),
    ("stark", "Stark Industries"),
    ("wayne", "Wayne Enterprises"),
    ("wonka", "Wonka Foods"),
    ("tyrell", "Tyrell Corporation"),
    ("cyberdyne", "Cyberdyne Systems"),
    ("soylent", "Soylent Nutrition"),
    ("vandelay", "Vandelay Industries"),
    ("massive", "Massive Dynamic"),
    ("aperture", "Aperture Science"),
    ("oscorp", "Oscorp"),
    ("dunder", "Dunder Mifflin"),
    ("piedpiper", "Pied Piper"),
    ("bluth", "Bluth Company"),
    ("monarch", "Monarch Solutions"),
    ("nakatomi", "Nakatomi Trading"),
    ("sterling", "Sterling Cooper"),
    ("virtucon", "Virtucon"),
    ("yoyodyne", "Yoyodyne Propulsion"),
    ("gringotts", "Gringotts Bank"),
    ("rekall", "Rekall"),
    ("weyland", "Weyland-Yutani"),
    ("buynlarge", "Buy n Large"),
    ("cogswell", "Cogswell Cogs"),
    ("spacely", "Spacely Sprockets"),
    ("zorg", "Zorg Industries"),
    ("prestige", "Prestige Worldwide"),
    ("duff", "Duff Beverages"),
)

OPERATOR = ("t-platform", "Opsline", "opsline.example")

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
    "Daniel", "Nancy", "Matthew", "Emily", "Priya", "Arjun", "Wei", "Mei", "Hiroshi", "Yuki", "Lars",
    "Ingrid", "Sven", "Astrid", "Pierre", "Camille", "Lukas", "Hannah", "Mateo", "Sofia", "Diego", "Lucia",
    "Omar", "Fatima", "Kwame", "Amara", "Olga", "Dmitri", "Aisha", "Noah", "Emma", "Liam", "Olivia",
    "Ethan", "Chloe", "Zara", "Raj", "Ananya", "Jin", "Minjun", "Jakub", "Zofia", "Giulia", "Marco", "Elena",
    "Pablo", "Ines", "Tomas", "Freya", "Niamh", "Sean", "Leila", "Tariq", "Grace", "Oscar", "Maya",
)  # fmt: skip

LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Wilson", "Anderson", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez",
    "Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Patel", "Shah",
    "Kumar", "Nguyen", "Tran", "Kim", "Park", "Chen", "Wang", "Li", "Zhang", "Tanaka", "Sato", "Suzuki",
    "Mueller", "Schmidt", "Schneider", "Fischer", "Weber", "Dubois", "Moreau", "Laurent", "Rossi", "Russo",
    "Bianchi", "Silva", "Santos", "Oliveira", "Kowalski", "Nowak", "Novak", "Jensen", "Hansen", "Nielsen",
    "Andersson", "Johansson", "Larsen", "Murphy", "Kelly", "Okafor", "Mensah", "Adeyemi", "Haddad", "Cohen",
)  # fmt: skip


@dataclass(frozen=True)
class Region:
    """A cloud region with the UTC offset of the customers it serves."""

    id: str
    name: str
    azure_id: str
    azure_name: str
    utc_offset: int
    phone_format: str  # str.format pattern taking ``n`` (0-99)


REGIONS = (
    Region("us-east-1", "US East (N. Virginia)", "eastus", "East US", -5, "+1 212 555 01{n:02d}"),
    Region("us-west-2", "US West (Oregon)", "westus2", "West US 2", -8, "+1 415 555 01{n:02d}"),
    Region("eu-west-1", "Europe (Ireland)", "northeurope", "North Europe", 0, "+44 20 7946 0{n:03d}"),
    Region("eu-central-1", "Europe (Frankfurt)", "germanywestcentral", "Germany West Central", 1,
           "+49 30 2345 67{n:02d}"),
    Region("ap-southeast-2", "Asia Pacific (Sydney)", "australiaeast", "Australia East", 10,
           "+61 2 5550 01{n:02d}"),
)  # fmt: skip


@dataclass(frozen=True)
class Feature:
    """A product feature or API of a service, with its per-request cost profile."""

    name: str
    human: bool  # used interactively (else by integrations / service accounts)
    weight: float
    requests: float  # mean requests per active minute
    compute: float  # compute units per request
    bytes: int  # mean bytes returned per request
    quota: float  # quota units per request
    action: str  # audit action of interactive use
    resource_type: str


@dataclass(frozen=True)
class ServiceSpec:
    """A platform service: its ART, repository, latency profile and features."""

    name: str
    art: str
    repository: str
    latency_ms: float  # median latency
    latency_sigma: float  # log-normal spread
    error_ratio: float  # baseline server error ratio
    features: tuple[Feature, ...]


def _f(name, human, weight, requests, compute, size, quota, action, resource_type) -> Feature:
    return Feature(name, human, weight, requests, compute, size, quota, action, resource_type)


SERVICES = (
    ServiceSpec("api-gateway", "Platform ART", "edge-gateway", 38.0, 0.55, 0.0008, (
        _f("api.v2.records", False, 3.0, 40, 0.002, 2_400, 1.0, "record.update", "record"),
        _f("api.v2.search", False, 1.5, 25, 0.004, 6_000, 1.0, "search.query", "index"),
        _f("api.v2.bulk", False, 0.6, 8, 0.03, 48_000, 5.0, "record.import", "dataset"),
        _f("webhooks.deliver", False, 1.0, 15, 0.001, 600, 0.2, "webhook.deliver", "webhook"),
    )),
    ServiceSpec("auth-service", "Platform ART", "identity", 55.0, 0.5, 0.0006, (
        _f("auth.sso", True, 1.0, 2, 0.003, 1_800, 0.0, "token.refresh", "session"),
        _f("auth.token", False, 1.2, 6, 0.002, 900, 0.0, "token.issue", "token"),
        _f("auth.mfa", True, 0.4, 1, 0.002, 700, 0.0, "mfa.verify", "session"),
    )),
    ServiceSpec("ingest-pipeline", "Platform ART", "ingest", 85.0, 0.6, 0.0012, (
        _f("ingest.stream", False, 2.0, 60, 0.006, 300, 0.5, "connector.run", "connector"),
        _f("ingest.batch", False, 0.8, 12, 0.05, 500, 3.0, "connector.run", "connector"),
        _f("ingest.connectors", True, 0.5, 3, 0.004, 3_000, 0.2, "connector.update", "connector"),
    )),
    ServiceSpec("billing-api", "Payments ART", "payments", 110.0, 0.5, 0.0010, (
        _f("billing.invoices", True, 1.0, 4, 0.01, 14_000, 1.0, "invoice.view", "invoice"),
        _f("billing.payments", True, 0.4, 2, 0.015, 3_000, 1.0, "payment.update", "payment_method"),
        _f("billing.usage", True, 0.8, 5, 0.012, 9_000, 1.0, "usage.view", "usage_report"),
    )),
    ServiceSpec("notifications", "Payments ART", "notify", 70.0, 0.6, 0.0009, (
        _f("notify.email", False, 1.0, 10, 0.002, 400, 0.3, "notification.send", "channel"),
        _f("notify.sms", False, 0.3, 3, 0.004, 300, 1.0, "notification.send", "channel"),
        _f("notify.inapp", True, 1.0, 6, 0.001, 1_200, 0.1, "notification.read", "inbox"),
    )),
    ServiceSpec("reporting", "Insights ART", "insights", 180.0, 0.75, 0.0011, (
        _f("reports.view", True, 3.0, 8, 0.02, 65_000, 1.0, "report.view", "report"),
        _f("reports.export", True, 0.6, 2, 0.12, 900_000, 4.0, "data.export", "report"),
        _f("reports.schedule", True, 0.3, 1, 0.01, 2_000, 0.5, "report.schedule", "report"),
        _f("dashboards.view", True, 2.5, 12, 0.015, 40_000, 1.0, "dashboard.view", "dashboard"),
    )),
    ServiceSpec("search", "Insights ART", "search", 52.0, 0.55, 0.0007, (
        _f("search.query", True, 3.0, 10, 0.006, 12_000, 0.5, "search.query", "index"),
        _f("search.suggest", True, 1.5, 18, 0.001, 1_500, 0.1, "search.query", "index"),
    )),
    ServiceSpec("data-export", "Insights ART", "export", 340.0, 0.85, 0.0015, (
        _f("export.csv", True, 1.0, 2, 0.2, 2_500_000, 6.0, "data.export", "dataset"),
        _f("export.parquet", False, 0.5, 2, 0.3, 6_000_000, 8.0, "data.export", "dataset"),
        _f("export.api", False, 0.8, 6, 0.08, 700_000, 3.0, "data.export", "dataset"),
    )),
)  # fmt: skip

ARTS = ("Platform ART", "Payments ART", "Insights ART")

TEAM_NAMES = (
    "Falcon", "Heron", "Osprey", "Kestrel", "Puffin", "Condor", "Raven", "Swift", "Ibis", "Lynx", "Otter",
    "Badger",
)  # fmt: skip

_WEBKIT = "AppleWebKit/537.36 (KHTML, like Gecko)"
_SAFARI = "AppleWebKit/605.1.15 (KHTML, like Gecko)"
USER_AGENTS = (
    f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {_WEBKIT} Chrome/124.0 Safari/537.36",
    f"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) {_SAFARI} Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    f"Mozilla/5.0 (X11; Linux x86_64) {_WEBKIT} Chrome/124.0 Safari/537.36",
    f"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) {_SAFARI} Mobile/15E148",
)
SERVICE_AGENTS = ("python-requests/2.32.3", "opsline-cli/1.4.2", "Terraform/1.9.5", "Go-http-client/2.0")

ROLES = ("viewer", "analyst", "editor", "developer")
PRIVILEGED_ROLES = ("tenant-admin", "billing-admin", "security-admin")

STORY_VERBS = (
    "Add", "Support", "Improve", "Refactor", "Expose", "Validate", "Cache", "Paginate", "Migrate", "Localise",
    "Harden", "Speed up", "Audit-log", "Simplify",
)  # fmt: skip
STORY_OBJECTS = (
    "invoice export", "usage dashboard", "SSO login flow", "tenant settings page", "webhook retries",
    "search ranking", "CSV importer", "role editor", "rate limiter", "payment method form",
    "report scheduler",
    "connector health view", "API key rotation", "notification preferences", "data retention job",
    "quota warnings", "audit trail view", "bulk record API", "MFA enrolment", "Parquet export",
)  # fmt: skip
FEATURE_THEMES = (
    "Self-service SSO", "Usage-based billing", "Scheduled exports", "Tenant data residency",
    "Real-time ingest",
    "Smart search", "Invoice redesign", "Granular roles", "Webhook v2", "Quota management", "Audit evidence",
    "Connector marketplace", "Report builder", "SMS notifications", "API rate plans",
)  # fmt: skip
