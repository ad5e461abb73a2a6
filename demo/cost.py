"""Cost: FOCUS 1.0 rows of the platform's cloud bill, written as one CSV export per month.

Every resource of a fixed inventory gets one row per day. Resources dedicated to a tenant are tagged
``{"tenant", "env", "service"}`` and their compute hours follow that tenant's compute units of the day;
shared resources are tagged ``{"env": "prod", "shared": "true"}`` and follow platform totals; a few
leftovers are untagged. Savings-plan and support fees (first of the month), a credit, and tax (last day of
the month) are untagged monthly rows.
"""

from __future__ import annotations

import calendar
import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass

from demo.base import DAY, apportion, hex_id, stream
from demo.catalog import OPERATOR, REGIONS, SERVICES, Region
from demo.usage import Totals
from demo.world import Tenant, World
from ingestion.contracts import COST

COLUMNS = tuple(f.input_name for f in COST.fields if f.name not in ("event_id", "occurred_at", "tenant_id"))
HEADER = ",".join(f'"{c}"' for c in COLUMNS) + "\n"

_AWS = ("AWS", "Amazon Web Services, Inc.")
_AZURE = ("Microsoft", "Microsoft")
_CONTRACTED = {"AWS": 0.94, "Microsoft": 0.96}  # contracted / list price (enterprise discount)
_SAVINGS_PLAN = 0.72  # effective / contracted price of usage covered by the savings plan
_UTILISATION = 0.6  # planned average load of a compute instance
# kind: provider, service, category, resource type, unit, list price, description, driver
_KINDS = {
    "ec2": (_AWS, "Amazon Elastic Compute Cloud", "Compute", "instance", "Hours", 0.192,
            "$0.192 per On Demand Linux m6i.xlarge Instance Hour", "compute"),
    "ebs": (_AWS, "Amazon Elastic Compute Cloud", "Storage", "volume", "GB-Months", 0.08,
            "$0.08 per GB-month of General Purpose (gp3) provisioned storage", "month"),
    "dev": (_AWS, "Amazon Elastic Compute Cloud", "Compute", "instance", "Hours", 0.0832,
            "$0.0832 per On Demand Linux t3.large Instance Hour", "fixed"),
    "snapshot": (_AWS, "Amazon Elastic Compute Cloud", "Storage", "snapshot", "GB-Months", 0.05,
                 "$0.05 per GB-Month of snapshot data stored", "month"),
    "rds": (_AWS, "Amazon Relational Database Service", "Databases", "db", "Hours", 0.26,
            "$0.26 per RDS db.r6g.large Multi-AZ instance hour running PostgreSQL", "fixed"),
    "s3": (_AWS, "Amazon Simple Storage Service", "Storage", "bucket", "GB-Months", 0.023,
           "$0.023 per GB - first 50 TB / month of storage used", "month"),
    "lb": (_AWS, "Elastic Load Balancing", "Networking", "loadbalancer", "LCU-Hours", 0.008,
           "$0.008 per used Application load balancer capacity unit-hour (or partial hour)", "requests"),
    "transfer": (_AWS, "AWS Data Transfer", "Networking", None, "GB", 0.09,
                 "$0.090 per GB - first 10 TB / month data transfer out beyond the global free tier",
                 "transfer"),
    "nat": (_AWS, "Amazon Virtual Private Cloud", "Networking", "natgateway", "GB", 0.045,
            "$0.045 per GB Data Processed by NAT Gateways", "transfer"),
    "eks": (_AWS, "Amazon Elastic Kubernetes Service", "Compute", "cluster", "Hours", 0.10,
            "$0.10 per hour per Amazon EKS cluster", "fixed"),
    "rds-shared": (_AWS, "Amazon Relational Database Service", "Databases", "db", "Hours", 0.52,
                   "$0.52 per RDS db.r6g.xlarge Multi-AZ instance hour running PostgreSQL", "fixed"),
    "cloudwatch": (_AWS, "AmazonCloudWatch", "Management and Governance", None, "Metrics", 0.30,
                   "$0.30 per metric-month - first 10,000 metrics", "month"),
    "kms": (_AWS, "AWS Key Management Service", "Security", None, "Keys", 1.0,
            "$1 per customer managed key per month", "month"),
    "openai": (_AZURE, "Azure OpenAI", "AI and Machine Learning", "Cognitive Services account", "1K Tokens",
               0.0025, "GPT-4o mini Input Tokens - Global", "ai"),
    "blob": (_AZURE, "Storage Accounts", "Storage", "Storage account", "GB/Month", 0.0184,
             "Hot LRS Data Stored", "month"),
}  # fmt: skip


@dataclass(slots=True)
class Resource:
    """A billed resource: what it is, where, how it is tagged and what its daily quantity follows."""

    kind: str
    account: tuple[str, str]
    region: Region
    resource_id: str | None
    name: str | None
    zone: str | None
    tags: str | None
    base: float  # quantity per day at nominal load; for compute, units one instance serves per day
    tenant: int | None = None
    service: str | None = None
    rank: int = 0  # instance number within its compute group
    committed: bool = False  # covered by the savings plan
    template: str | None = None  # the CSV line with its daily values left open

    @property
    def spec(self) -> tuple:
        return _KINDS[self.kind]


class CostLedger:
    """The inventory and the running monthly bill of the cost export."""

    def __init__(self, world: World) -> None:
        self.world = world
        rng = stream(world.seed, "cost")
        self.billing = {
            "AWS": f"{rng.randrange(10**11, 10**12)}",
            "Microsoft": f"/providers/Microsoft.Billing/billingAccounts/{rng.randrange(10**6, 10**7)}",
        }
        names = ("prod-tenants", "prod-shared", "sandbox")
        self.accounts = {n: (f"{rng.randrange(10**10, 10**11)}", n) for n in names}
        self.accounts["azure"] = (f"/subscriptions/{_uuid(rng)}", "insights-ai")
        self.commitment = {
            "CommitmentDiscountId": f"arn:aws:savingsplans::{self.billing['AWS']}:savingsplan/{_uuid(rng)}",
            "CommitmentDiscountCategory": "Spend",
            "CommitmentDiscountName": "Compute Savings Plan 1y",
            "CommitmentDiscountType": "Savings Plan",
        }
        self.billed: dict[tuple[str, str], float] = defaultdict(float)  # (provider, month) -> billed
        self.fees: dict[str, float] = {}  # month -> savings plan fee
        self.amortised: dict[str, float] = defaultdict(float)  # month -> effective cost of covered usage
        self.dedicated = {(t.index, s) for t in world.tenants if t.dedicated for s in _top_services(t, 2)}
        self.inventory = _inventory(rng, self)

    def rows(self, day: int, totals: Totals) -> list[str]:
        """CSV lines of a day: monthly fees first, then one row per resource, then credit and tax.

        Nothing for a day not over by ``world.now``: its charge period is still open, so it is not billed yet.
        """
        start = self.world.day_start(day)
        if start + DAY > self.world.now:
            return []
        tm = time.gmtime(start)
        month = f"{tm.tm_year}-{tm.tm_mon:02d}"
        month_days = calendar.monthrange(tm.tm_year, tm.tm_mon)[1]
        first = calendar.timegm((tm.tm_year, tm.tm_mon, 1, 0, 0, 0))
        period = (_ts(first), _ts(first + month_days * DAY), _ts(start), _ts(start + DAY))
        rng = stream(self.world.seed, "cost", day)
        out = []
        if tm.tm_mday == 1:
            out += self._fees(month, period, month_days)
        shared = self._shared_demand(totals)
        for r in self.inventory:
            out.append(self._usage(r, self._quantity(r, totals, shared, day, month_days, rng), month, period))
        if tm.tm_mday == 1 + stream(self.world.seed, "credit", month).randrange(month_days):
            credit = -round(rng.uniform(150, 900) * self.world.volume, 2)
            out.append(
                self._charge(
                    month,
                    period,
                    _AWS,
                    credit,
                    ChargeCategory="Credit",
                    ChargeFrequency="One-Time",
                    ChargeDescription="AWS Promotional Credit",
                    ServiceName="AWS Credits",
                )
            )
        if tm.tm_mday == month_days:
            if month in self.fees:
                out.append(self._unused(month, period))
            for provider in (_AWS, _AZURE):
                tax = round(self.billed[provider[0], month] * 0.08, 2)
                out.append(
                    self._charge(
                        month,
                        period,
                        provider,
                        tax,
                        ChargeCategory="Tax",
                        ChargeFrequency="Recurring",
                        ChargeDescription="Sales tax",
                        ServiceName=f"{provider[0]} Tax",
                    )
                )
        return out

    def _quantity(self, r: Resource, totals: Totals, shared: dict, day: int, month_days: int, rng) -> float:
        """The resource's consumed quantity on a day, from its driver."""
        driver = r.spec[7]
        if driver == "compute":
            units = (
                totals.compute.get((r.tenant, r.service), 0.0) if r.tenant is not None else shared[r.service]
            )
            return round(24 * min(1.0, max(0.04, units / r.base - r.rank)), 4)
        if driver == "requests":
            requests = sum(v for (t, _), v in totals.requests.items() if t == r.tenant)
            return round(24 * (0.2 + requests / 20_000), 4)
        if driver == "transfer":  # bytes served from the region (NAT: a share of all of them)
            tenants = self.world.tenants
            sent = sum(
                b for t, b in totals.bytes_out.items() if r.kind == "nat" or tenants[t].region is r.region
            )
            return round(sent / 1e9 * r.base, 4)
        if driver == "ai":
            return round(sum(v for (_, s), v in totals.compute.items() if s == "reporting") * r.base, 4)
        if driver == "month":  # stored per month, charged per day
            return round(r.base * (1 + 0.002 * day) / month_days, 6)
        return round(r.base * rng.uniform(0.97, 1.03), 4)

    def _shared_demand(self, totals: Totals) -> dict[str, float]:
        """Compute units per service served by shared capacity (tenants without a dedicated group)."""
        shared: dict[str, float] = defaultdict(float)
        for key, units in totals.compute.items():
            if key not in self.dedicated:
                shared[key[1]] += units
        return shared

    def _fees(self, month: str, period: tuple, month_days: int) -> list[str]:
        """The savings plan's recurring fee (amortised into usage rows) and the support fee."""
        covered = sum(24 * r.spec[5] for r in self.inventory if r.committed) * _UTILISATION * month_days
        fee = self.fees[month] = round(covered * _CONTRACTED["AWS"] * _SAVINGS_PLAN, 2)
        support = round(max(100.0, 0.1 * covered), 2)
        common = {"ChargeCategory": "Purchase", "ChargeFrequency": "Recurring"}
        return [
            self._charge(
                month,
                period,
                _AWS,
                fee,
                0.0,
                **common,
                **self.commitment,
                ServiceCategory="Compute",
                ChargeDescription="Savings Plan recurring fee",
                ServiceName="Savings Plans for AWS Compute usage",
            ),
            self._charge(
                month,
                period,
                _AWS,
                support,
                **common,
                ServiceCategory="Management and Governance",
                ChargeDescription="AWS Support (Business) monthly fee",
                ServiceName="AWS Support (Business)",
            ),
        ]

    def _unused(self, month: str, period: tuple) -> str:
        """The part of the month's savings plan fee that no usage consumed."""
        unused = round(max(0.0, self.fees[month] - self.amortised[month]), 2)
        return self._charge(
            month,
            period,
            _AWS,
            0.0,
            unused,
            ChargeCategory="Usage",
            ChargeFrequency="Usage-Based",
            ChargeDescription="Unused Compute Savings Plan commitment",
            ServiceCategory="Compute",
            ServiceName="Savings Plans for AWS Compute usage",
            PricingCategory="Committed",
            CommitmentDiscountStatus="Unused",
            **self.commitment,
        )

    def _charge(
        self, month: str, period: tuple, provider: tuple, cost: float, effective=None, **columns
    ) -> str:
        """A row of no resource (purchase, credit, tax); ``columns`` are further FOCUS columns."""
        self.billed[provider[0], month] += cost
        account = self.accounts["prod-shared" if provider is _AWS else "azure"]
        values = {
            "BilledCost": cost,
            "EffectiveCost": cost if effective is None else effective,
            "ListCost": cost,
            "ContractedCost": cost,
            "PricingCategory": "Other",
            "ServiceCategory": "Other",
            **columns,
        }
        return self._line(values, provider, account, REGIONS[0], period)

    def _usage(self, r: Resource, q: float, month: str, period: tuple) -> str:
        provider, price = r.spec[0], r.spec[5]
        contracted = q * price * _CONTRACTED[provider[0]]
        billed, effective = (0.0, contracted * _SAVINGS_PLAN) if r.committed else (contracted, contracted)
        self.billed[provider[0], month] += billed
        if r.committed:
            self.amortised[month] += effective
        if r.template is None:
            r.template = self._template(r)
        costs = (f"{v:.10f}" for v in (billed, effective, q * price, contracted))
        return r.template.format(*costs, *(f'"{p}"' for p in period), f"{q:.10f}")

    def _template(self, r: Resource) -> str:
        """The resource's CSV line as a format string: costs, periods and quantities are filled in daily."""
        provider, service, category, rtype, unit, price, description, _ = r.spec
        slot = [_Slot(i) for i in range(9)]
        values = {
            "BilledCost": slot[0],
            "EffectiveCost": slot[1],
            "ListCost": slot[2],
            "ContractedCost": slot[3],
            "ChargeCategory": "Usage",
            "ChargeDescription": description,
            "ChargeFrequency": "Usage-Based",
            "ConsumedQuantity": slot[8],
            "ConsumedUnit": unit,
            "PricingQuantity": slot[8],
            "PricingUnit": unit,
            "ListUnitPrice": price,
            "ContractedUnitPrice": price * _CONTRACTED[provider[0]],
            "PricingCategory": "Committed" if r.committed else "Standard",
            "AvailabilityZone": r.zone,
            "ResourceId": r.resource_id,
            "ResourceName": r.name,
            "ResourceType": rtype if r.resource_id else None,
            "ServiceCategory": category,
            "ServiceName": service,
            "Tags": r.tags,
        }
        if r.committed:
            values.update(self.commitment, CommitmentDiscountStatus="Used")
        line = self._line(values, provider, r.account, r.region, tuple(slot[4:8]), _sku(r.kind, provider))
        return line.replace("{", "{{").replace("}", "}}").replace("\x00{{", "{").replace("}}\x00", "}")

    def _line(
        self, values: dict, provider: tuple, account: tuple, region: Region, period: tuple, sku=None
    ) -> str:
        """A CSV line: ``values`` plus the columns every row has."""
        aws = provider is _AWS
        values.update(
            BillingCurrency="USD",
            BillingAccountId=self.billing[provider[0]],
            BillingAccountName=OPERATOR[1],
            BillingPeriodStart=period[0],
            BillingPeriodEnd=period[1],
            ChargePeriodStart=period[2],
            ChargePeriodEnd=period[3],
            InvoiceIssuerName=provider[1],
            ProviderName=provider[0],
            PublisherName=provider[1],
            RegionId=region.id if aws else region.azure_id,
            RegionName=region.name if aws else region.azure_name,
            SubAccountId=account[0],
            SubAccountName=account[1],
        )
        if sku:
            values.update(SkuId=sku, SkuPriceId=f"{sku}.JRTCKXETXF" if aws else sku)
        return ",".join(_cell(values.get(c)) for c in COLUMNS) + "\n"


def _inventory(rng: random.Random, ledger: CostLedger) -> list[Resource]:
    """Resources sized so that the daily rows plus the monthly rows come to about the cost target."""
    world, acct = ledger.world, ledger.accounts
    shared = json.dumps({"env": "prod", "shared": "true"})
    home = REGIONS[0]
    out: list[Resource] = []

    def add(kind: str, account: str, region: Region, tags: str | None, label: str | None, base: float, **kw):
        rid, name, zone = _identity(rng, kind, region, acct[account][0], label)
        out.append(Resource(kind, acct[account], region, rid, name, zone, tags, base, **kw))

    for region in dict.fromkeys(t.region for t in world.tenants):
        add("transfer", "prod-shared", region, shared, None, 1.0)
    add("nat", "prod-shared", home, shared, "prod-egress", 0.15)
    add("eks", "prod-shared", home, shared, "opsline-prod", 24)
    add("rds-shared", "prod-shared", home, shared, "shared-tenants-prod", 24)
    add("cloudwatch", "prod-shared", home, shared, None, rng.randrange(800, 3000))
    add("kms", "prod-shared", home, None, None, rng.randrange(20, 60))
    add(
        "openai",
        "azure",
        home,
        json.dumps({"env": "prod", "shared": "true", "service": "reporting"}),
        "insights-assistant",
        40.0,
    )
    add("blob", "azure", home, shared, "opslinebackups", rng.randrange(2_000, 20_000))
    add("snapshot", "sandbox", home, None, None, rng.randrange(200, 2_000))
    add("snapshot", "sandbox", home, None, None, rng.randrange(200, 2_000))
    add("dev", "sandbox", home, None, "load-test-runner", 24)
    biggest = max(t.weight for t in world.tenants)
    for t in world.tenants:
        if t.dedicated:
            tags = _tags(t, _top_services(t, 1)[0])
            add("rds", "prod-tenants", t.region, tags, f"{t.id[2:]}-prod", 24, tenant=t.index)
            add(
                "s3",
                "prod-tenants",
                t.region,
                tags,
                f"opsline-{t.id[2:]}-data",
                20_000 * t.weight / biggest + 200,
            )
            add("lb", "prod-tenants", t.region, tags, f"{t.id[2:]}-prod", 1.0, tenant=t.index)
    groups = sorted(ledger.dedicated) + [(None, s.name) for s in SERVICES]
    expected = [_expected(world, g, ledger.dedicated) for g in groups]
    daily = (world.targets["cost"] - 6 * _months(world)) / world.days  # about 6 monthly rows
    pairs = max(len(groups), round((daily - len(out)) / 2))
    for (tenant, service), e, n in zip(
        groups, expected, apportion(pairs - len(groups), expected), strict=True
    ):
        t = world.tenants[tenant] if tenant is not None else None
        account, region = ("prod-tenants", t.region) if t else ("prod-shared", home)
        tags = _tags(t, service) if t else json.dumps({"env": "prod", "shared": "true", "service": service})
        label = f"{service}-{t.id[2:] if t else 'shared'}"
        for rank in range(n + 1):
            capacity = max(e, 1e-3) / ((n + 1) * _UTILISATION)
            add(
                "ec2",
                account,
                region,
                tags,
                f"{label}-{rank + 1}",
                capacity,
                tenant=tenant,
                service=service,
                rank=rank,
                committed=rank < 0.6 * (n + 1),
            )
            add("ebs", account, region, tags, None, rng.choice((100, 200, 250, 500)))
    return out


def _expected(world: World, group: tuple[int | None, str], dedicated: set) -> float:
    """Expected compute units per day of a compute group, from its tenants' size, people and feature mix."""
    tenant, service = group
    per_day = world.targets["usage"] / world.days
    total = sum(t.weight for t in world.tenants)
    units = 0.0
    for t in world.tenants:
        mine = (t.index, service) not in dedicated if tenant is None else t.index == tenant
        if not mine:
            continue
        accounts = sum(p.weight for p in t.people if p.service) / t.people_cum[-1]  # share of sessions
        for feats, cum, share in (
            (t.human_features, t.human_cum, 1 - accounts),
            (t.api_features, t.api_cum, accounts),
        ):
            scale = 2.5 if feats is t.api_features else 1.0  # service accounts send 1-4x the requests
            weights = [b - a for a, b in zip([0.0, *cum], cum, strict=False)]
            per_record = sum(
                w * f.requests * f.compute * scale
                for (s, f), w in zip(feats, weights, strict=True)
                if s.name == service
            )
            units += per_day * t.weight / total * share * per_record / max(sum(weights), 1e-9)
    return units


def _top_services(t: Tenant, n: int) -> list[str]:
    """The services a tenant drives most compute on."""
    load: dict[str, float] = defaultdict(float)
    for feats, cum in ((t.human_features, t.human_cum), (t.api_features, t.api_cum)):
        for ((s, f), a), b in zip(zip(feats, [0.0, *cum], strict=False), cum, strict=True):
            load[s.name] += (b - a) * f.requests * f.compute
    return sorted(load, key=lambda s: (-load[s], s))[:n]


def _tags(t: Tenant, service: str) -> str:
    return json.dumps({"tenant": t.id, "env": "prod", "service": service})


def _identity(rng: random.Random, kind: str, region: Region, account: str, label: str | None) -> tuple:
    """``(ResourceId, ResourceName, AvailabilityZone)`` of a new resource."""
    arn = f":{region.id}:{account}:"
    if kind in ("ec2", "dev"):
        return f"i-0{hex_id(rng, 16)}", label, f"{region.id}{rng.choice('abc')}"
    if kind == "ebs":
        return f"vol-0{hex_id(rng, 16)}", None, f"{region.id}{rng.choice('abc')}"
    if kind == "snapshot":
        return f"arn:aws:ec2{arn}snapshot/snap-0{hex_id(rng, 16)}", None, None
    if kind in ("rds", "rds-shared"):
        return f"arn:aws:rds{arn}db:{label}", label, None
    if kind == "s3":
        return f"arn:aws:s3:::{label}", label, None
    if kind == "lb":
        return f"arn:aws:elasticloadbalancing{arn}loadbalancer/app/{label}/{hex_id(rng, 16)}", label, None
    if kind == "nat":
        return f"arn:aws:ec2{arn}natgateway/nat-0{hex_id(rng, 16)}", label, None
    if kind == "eks":
        return f"arn:aws:eks{arn}cluster/{label}", label, None
    if kind == "openai":
        return (
            f"{account}/resourceGroups/insights-ai/providers/Microsoft.CognitiveServices/accounts/{label}",
            label,
            None,
        )
    if kind == "blob":
        return (
            f"{account}/resourceGroups/backups/providers/Microsoft.Storage/storageAccounts/{label}",
            label,
            None,
        )
    return None, None, None  # billed per account (data transfer, metrics, keys)


def _sku(kind: str, provider: tuple) -> str:
    digest = stream(0, "sku", kind).getrandbits(80)
    if provider is _AZURE:
        return f"DZH318Z0{digest % 10**4:04d}"
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(alphabet[(digest >> (5 * i)) % len(alphabet)] for i in range(16))


def _months(world: World) -> int:
    return len({time.gmtime(world.day_start(d))[:2] for d in range(world.days)})


def _uuid(rng: random.Random) -> str:
    h = hex_id(rng, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def _ts(ts: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


class _Slot(int):
    """A cell left open in a row template (filled with ``str.format``)."""


def _cell(v: object) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, _Slot):
        return f"\x00{{{int(v)}}}\x00"
    if isinstance(v, float):
        return f"{v:.10f}"
    if isinstance(v, int):
        return str(v)
    return '"' + str(v).replace('"', '""') + '"'
