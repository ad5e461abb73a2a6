"""Audit: logins, actions and logouts of each usage session, plus planned IAM, HR, review and plan events.

A tenant's people log in before their usage starts and act on the features they use. Role grants and revokes,
HR terminations with the (sometimes late or missing) account disable, and quarterly access reviews of
privileged roles are planned for the whole range up front so that they stay consistent with each other.
"""

from __future__ import annotations

import calendar
import random
import time
from collections import defaultdict

from demo.base import DAY, HOUR, MINUTE, apportion, at_work, hex_id, iso, poisson, stream
from demo.catalog import PRIVILEGED_ROLES, ROLES
from demo.usage import Session
from demo.world import Person, Tenant, World

_MFA = {"enterprise": 0.995, "business": 0.97, "starter": 0.88}
_SETTINGS = (
    ("sso.enforced", "false", "true"),
    ("session.timeout_minutes", "60", "30"),
    ("retention.days", "30", "90"),
    ("ip_allowlist.enabled", "false", "true"),
    ("export.max_rows", "100000", "500000"),
    ("mfa.required", "false", "true"),
    ("webhooks.signing", "hmac-sha1", "hmac-sha256"),
)
Planned = tuple[int, dict]


def _event(ts: int, tenant_id: str, actor: Person | str, action: str, outcome="success", **fields) -> Planned:
    """An audit record at ``ts``; ``actor`` is a person or the id of a system component."""
    rec: dict = {"event_id": None, "occurred_at": iso(ts), "tenant_id": tenant_id}
    if isinstance(actor, str):
        rec.update(actor_id=actor, actor_type="system")
    elif actor.service:
        rec.update(actor_id=actor.id, actor_name=actor.name, actor_type="service")
    else:
        rec.update(actor_id=actor.id, actor_email=actor.email, actor_name=actor.name, actor_type="user")
    rec["action"] = action
    rec["outcome"] = outcome
    rec.update(fields)
    return ts, rec


def audit_day(world: World, plan: AuditPlan, day: int, sessions: list[Session], target: int) -> list[dict]:
    """The day's audit records in time order (about ``target``), without event ids."""
    rng = stream(world.seed, "audit", day)
    base, last = world.day_start(day), world.day_start(day + 1) - 1
    events: list[Planned] = list(plan.on(day))
    for s in sessions:
        events.extend(_session_events(rng, s, base, last))
    extra = apportion(target - len(events), [s.records for s in sessions])
    for s, k in zip(sessions, extra, strict=True):
        for _ in range(k):
            events.append(_action(rng, s))
    events.sort(key=lambda e: e[0])
    return [rec for ts, rec in events if ts < world.now]


def _session_events(rng: random.Random, s: Session, base: int, last: int) -> list[Planned]:
    """Log-in (after a failed attempt now and then) and log-out or expiry of a session."""
    p, tid = s.person, s.tenant.id
    login = max(base, s.start - rng.randrange(5, 90))
    where = {"session_id": s.id, "source_ip": p.ip, "user_agent": p.agent}
    if p.service:
        token = f"tok-{hex_id(rng, 12)}"
        return [_event(login, tid, p, "auth.token.issue", resource_type="token", resource_id=token, **where)]
    out = []
    if rng.random() < 0.04:
        ts = max(base, login - rng.randrange(10, 120))
        message = f"Invalid password for {p.email}"
        out.append(_event(ts, tid, p, "auth.login", "failure", mfa_used=False, **where, message=message))
    mfa = rng.random() < _MFA[s.tenant.plan]
    out.append(
        _event(login, tid, p, "auth.login", mfa_used=mfa, resource_type="session", resource_id=s.id, **where)
    )
    if rng.random() < 0.7:
        ts = min(last, s.end + rng.randrange(60))
        out.append(_event(ts, tid, p, "auth.logout", resource_type="session", resource_id=s.id, **where))
    else:
        ts = min(last, s.end + 30 * MINUTE)
        expiry = {"resource_type": "session", "resource_id": s.id, "target_user_id": p.id, "session_id": s.id}
        out.append(_event(ts, tid, "system:session-manager", "auth.session.expire", **expiry))
    return out


def _action(rng: random.Random, s: Session) -> Planned:
    """One action of a session on a feature it used (admins also change settings)."""
    p, tid = s.person, s.tenant.id
    ts = s.start + rng.randrange(max(1, s.end - s.start))
    where = {"session_id": s.id, "source_ip": p.ip, "user_agent": p.agent}
    if p.privileged and rng.random() < 0.1:
        name, old, new = rng.choice(_SETTINGS)
        message = f"{name}: {old} -> {new}"
        if rng.random() < 0.3:
            message += f" (requested by {p.name} <{p.email}>)"
        return _event(
            ts, tid, p, "config.change", resource_type="setting", resource_id=name, **where, message=message
        )
    _, f = rng.choice(s.features)
    x = rng.random()
    outcome = "success" if x < 0.994 else "denied" if x < 0.998 else "failure"
    if f.action == "data.export" and outcome == "success":
        rows = int(rng.lognormvariate(8, 1.6)) + 1
        where["message"] = f"{p.name} exported {rows:,} rows from {f.name}"
        if not p.service and rng.random() < 0.2:
            where["message"] += f" and sent the file to {p.email}"
    resource = f"{f.resource_type}-{rng.randrange(1, 50_000)}"
    return _event(ts, tid, p, f.action, outcome, resource_type=f.resource_type, resource_id=resource, **where)


class AuditPlan:
    """IAM, HR, access-review and subscription events of the whole range, by day."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._by_day: dict[int, list[Planned]] = defaultdict(list)
        for t in world.tenants:
            rng = stream(world.seed, "iam", t.id)
            holders = [
                (world.start - DAY, None, p, r) for p in t.admins for r in p.roles if r in PRIVILEGED_ROLES
            ]
            holders += self._grants(rng, t)
            self._terminations(rng, t, holders)
            self._reviews(rng, t, holders)
            self._subscriptions(t)
        for events in self._by_day.values():
            events.sort(key=lambda e: e[0])

    def on(self, day: int) -> list[Planned]:
        return self._by_day.get(day, [])

    def _add(self, ts: int, *args, **fields) -> None:
        if self.world.start <= ts < self.world.end:
            self._by_day[(ts - self.world.start) // DAY].append(_event(ts, *args, **fields))

    def _subscriptions(self, t: Tenant) -> None:
        """The tenant's plan and monthly quota, renewed on the first of each month (and seen on day one).

        The plan and quota are fields of their own; the message says them too, for people, and is masked.
        """
        message = f"{t.plan.title()} plan active for {t.name}: quota {t.quota_units:,} units per month"
        for day in range(self.world.days):
            ts = self.world.day_start(day)
            if day == 0 or time.gmtime(ts).tm_mday == 1:
                self._add(
                    ts + 5 * MINUTE,
                    t.id,
                    "system:billing",
                    "subscription.renew",
                    resource_type="subscription",
                    resource_id=f"sub-{t.id[2:]}",
                    plan=t.plan,
                    monthly_quota_units=t.quota_units,
                    message=message,
                )

    def _grants(self, rng: random.Random, t: Tenant) -> list[tuple]:
        """Role grants by tenant admins, privileged ones mostly approved; some revoked later."""
        w, admins = self.world, t.admins
        humans = [p for p in t.people if not p.service]
        held = []
        for _ in range(poisson(rng, 0.1 * len(humans) * w.days / 30)):
            ts = at_work(rng, w.start + rng.randrange(w.days * DAY), t.region.utc_offset)
            actor, target = rng.choice(admins), rng.choice(humans)
            if target is actor or not target.active_at(ts):
                continue
            privileged = rng.random() < 0.3
            role = rng.choice(PRIVILEGED_ROLES if privileged else ROLES)
            approval = {}
            if rng.random() < (0.88 if privileged else 0.1):
                others = [a for a in admins if a is not actor]
                approver = (
                    rng.choice(others) if others and rng.random() > 0.04 else actor
                )  # rarely self-approved
                approval = {"approval_id": f"chg-{rng.randrange(10_000, 99_999)}", "approver_id": approver.id}
            fields = {
                "resource_type": "role",
                "resource_id": f"role-{role}",
                "target_user_id": target.id,
                "role": role,
                "privileged": privileged,
            }
            message = f"Granted {role} to {target.name} ({target.email})"
            self._add(ts, t.id, actor, "iam.role.grant", **fields, **approval, message=message)
            revoked = None
            if rng.random() < (0.5 if privileged else 0.1):
                revoked = at_work(rng, ts + rng.randrange(DAY, 14 * DAY), t.region.utc_offset)
                message = f"Revoked {role} from {target.name}"
                self._add(revoked, t.id, rng.choice(admins), "iam.role.revoke", **fields, message=message)
            if privileged:
                held.append((ts, revoked, target, role))
        return held

    def _terminations(self, rng: random.Random, t: Tenant, holders: list[tuple]) -> None:
        """HR termination, the account disable that should follow, role clean-up and denied log-ins."""
        for p in t.people:
            if p.terminated_at is None:
                continue
            user = {"resource_type": "user", "resource_id": p.id, "target_user_id": p.id}
            message = (
                f"HR termination received for {p.name} ({p.email}), employee E{rng.randrange(10_000, 99_999)}"
            )
            self._add(p.terminated_at, t.id, "system:hr-sync", "user.terminate", **user, message=message)
            if p.disabled_at is None:
                continue
            actor = "system:scim" if rng.random() < 0.6 else rng.choice(t.admins)
            self._add(
                p.disabled_at, t.id, actor, "user.disable", **user, message=f"Account disabled for {p.email}"
            )
            for i, (granted, revoked, holder, role) in enumerate(holders):
                if holder is p and (revoked is None or revoked > p.disabled_at):
                    ts = p.disabled_at + rng.randrange(10 * MINUTE, 2 * HOUR)
                    holders[i] = (granted, ts, holder, role)
                    self._add(
                        ts,
                        t.id,
                        "system:scim",
                        "iam.role.revoke",
                        resource_type="role",
                        resource_id=f"role-{role}",
                        target_user_id=p.id,
                        role=role,
                        privileged=True,
                        message=f"Roles removed from disabled user {p.id}",
                    )
            if rng.random() < 0.25:
                ts = p.disabled_at + rng.randrange(DAY, 5 * DAY)
                self._add(
                    ts,
                    t.id,
                    p,
                    "auth.login",
                    "denied",
                    mfa_used=False,
                    source_ip=p.ip,
                    user_agent=p.agent,
                    message="Login denied: account disabled",
                )

    def _reviews(self, rng: random.Random, t: Tenant, holders: list[tuple]) -> None:
        """Reviews of every privileged role held, in the last two weeks of each quarter; a few are missed."""
        for end, label in _quarters(self.world.start, self.world.end):
            campaign = end - 14 * DAY
            for granted, revoked, p, role in holders:
                held = granted < campaign and (revoked is None or revoked > campaign)
                if not held or rng.random() < 0.08:
                    continue
                ts = at_work(rng, campaign + rng.randrange(13 * DAY), t.region.utc_offset)
                others = [a for a in t.admins if a is not p]
                reviewer = rng.choice(others) if others else p
                decision = "revoked" if rng.random() < 0.06 else "retained"
                fields = {
                    "resource_type": "role",
                    "resource_id": f"role-{role}",
                    "target_user_id": p.id,
                    "role": role,
                    "privileged": True,
                }
                message = f"{label} access review: {role} {decision} for {p.name}"
                self._add(ts, t.id, reviewer, "access.review", **fields, message=message)
                if decision == "revoked":
                    ts = at_work(rng, ts + DAY, t.region.utc_offset)
                    self._add(
                        ts, t.id, reviewer, "iam.role.revoke", **fields, message="Revoked after access review"
                    )


def _quarters(first: int, last: int) -> list[tuple[int, str]]:
    """``(end, label)`` of the calendar quarters whose last two weeks overlap ``[first, last)``."""
    out = []
    tm = time.gmtime(first)
    year, q = tm.tm_year, (tm.tm_mon - 1) // 3
    while True:
        end = calendar.timegm((year + (q == 3), 1 if q == 3 else 3 * q + 4, 1, 0, 0, 0))
        if end - 14 * DAY >= last:
            return out
        if end > first:
            out.append((end, f"Q{q + 1} {year}"))
        year, q = (year + 1, 0) if q == 3 else (year, q + 1)
