"""The people who may sign in to opslake's apps, their roles, and the trail of sign-ins and role changes.

The embedded user store is ``secrets/users.json`` under the home (owner-only, like the pseudonymisation key):
each user's role, tenant (tenant viewers only) and an Argon2id password hash. Every sign-in, failed sign-in and
change to a user is appended to ``lake/governance/access_log``. It lives in the foundation because the
dashboards, which may import nothing else, check passwords with it.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import re
from dataclasses import asdict, dataclass

import pyarrow as pa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from opslake import lake
from opslake.permissions import FILE_MODE, FOLDER_MODE, refuse_if_open
from opslake.settings import Settings
from opslake.tables import ACCESS_LOG

ROLES = ("tenant_viewer", "analyst", "compliance_officer", "admin")
NAME = re.compile(r"[A-Za-z0-9._@+-]{1,64}")
MIN_PASSWORD = 12
_HASHER = PasswordHasher()  # Argon2id with the library's current defaults
_DUMMY = _HASHER.hash("not a password of anyone")  # unknown users cost a verification too: no timing oracle

ACCESS_LOG_SCHEMA = pa.schema(
    [
        ("event", pa.string()),  # sign_in, sign_in_failed, user_added, user_removed, role_changed
        ("user_name", pa.string()),
        ("role", pa.string()),
        ("tenant_id", pa.string()),
        ("actor", pa.string()),  # who did it: the user signing in, or the OS account running `opslake users`
        ("detail", pa.string()),
        ("at", pa.timestamp("us", tz="UTC")),
    ]
)


class UserError(ValueError):
    """A user, role, tenant or password that cannot be accepted; the message says why."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    tenant_id: str | None  # the one tenant a tenant viewer sees; None: every tenant


def add(
    settings: Settings,
    name: str,
    role: str,
    password: str,
    tenant_id: str | None = None,
    actor: str | None = None,
) -> User:
    """Add a user (an error if the name is taken); ``actor`` is who does it (default: the OS account)."""
    user = _valid(name, role, tenant_id)
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    with lake.writer_lock(settings, "users"):
        users = _read(settings)
        if name in users:
            raise UserError(f"there is a user {name!r} already; `opslake users set-role` changes a role")
        users[name] = {**asdict(user), "password_hash": _HASHER.hash(password)}
        _write(settings, users)
    _log(settings, "user_added", user, actor or getpass.getuser())
    return user


def set_role(
    settings: Settings, name: str, role: str, tenant_id: str | None = None, actor: str | None = None
) -> User:
    user = _valid(name, role, tenant_id)
    with lake.writer_lock(settings, "users"):
        users = _read(settings)
        if name not in users:
            raise UserError(f"there is no user {name!r}")
        before = users[name]["role"], users[name]["tenant_id"]
        users[name].update(role=role, tenant_id=tenant_id)
        _write(settings, users)
    _log(settings, "role_changed", user, actor or getpass.getuser(), f"was {before[0]} (tenant {before[1]})")
    return user


def remove(settings: Settings, name: str, actor: str | None = None) -> None:
    with lake.writer_lock(settings, "users"):
        users = _read(settings)
        if name not in users:
            raise UserError(f"there is no user {name!r}")
        removed = users.pop(name)
        _write(settings, users)
    _log(settings, "user_removed", _user(removed), actor or getpass.getuser())


def list_users(settings: Settings) -> list[User]:
    return [_user(u) for _, u in sorted(_read(settings).items())]


def access_log(settings: Settings) -> pa.Table | None:
    """Every sign-in, refusal and change to a user, oldest first (None before the first)."""
    found = lake.read_table(settings.table_uri("governance", ACCESS_LOG))
    return None if found is None else found.sort_by("at")


def sign_in(settings: Settings, name: str, password: str) -> User | None:
    """The user if the password is theirs, else None; either way the attempt is logged."""
    record = _read(settings).get(name)
    try:
        ok = _HASHER.verify(record["password_hash"] if record else _DUMMY, password) and record is not None
    except (VerificationError, InvalidHashError):
        ok = False
    user = _user(record) if ok else User(name, "", None)
    _log(settings, "sign_in" if ok else "sign_in_failed", user, name)
    return user if ok else None


@dataclass(frozen=True)
class Claims:
    """Where an OpenID Connect identity token carries a user's role and tenant (configured per identity provider)."""

    role: str = "opslake_role"
    tenant: str = "opslake_tenant"
    name: str = "email"


def sign_in_oidc(settings: Settings, token: dict, claims: Claims, now: dt.datetime) -> User:
    """The user an identity provider vouched for, from the role and tenant claims of its ID token; the sign-in is
    logged. Raises UserError (and logs a failed sign-in) when the token has expired or its claims name no valid
    role or tenant: the app then signs the viewer out. Streamlit does not check expiry itself."""
    name = str(token.get(claims.name) or token.get("sub") or "")
    expires = token.get("exp")
    try:
        if not isinstance(expires, int | float) or expires <= now.timestamp():
            raise UserError("the identity token has expired (or has no expiry): sign in again")
        tenant = token.get(claims.tenant)
        user = _valid(name, str(token.get(claims.role) or ""), tenant if isinstance(tenant, str) else None)
    except UserError as refused:
        _log(settings, "sign_in_failed", User(name, "", None), name, f"oidc: {refused}")
        raise
    _log(settings, "sign_in", user, name, "oidc")
    return user


def _valid(name: str, role: str, tenant_id: str | None) -> User:
    if not NAME.fullmatch(name or ""):
        raise UserError(f"{name!r} is not a user name: 1 to 64 letters, digits or . _ @ + -")
    if role not in ROLES:
        raise UserError(f"{role!r} is not a role; roles are {', '.join(ROLES)}")
    if (role == "tenant_viewer") != bool(tenant_id):
        raise UserError("a tenant viewer needs --tenant, and only a tenant viewer has one")
    return User(name, role, tenant_id or None)


def _user(record: dict) -> User:
    return User(record["name"], record["role"], record["tenant_id"])


def _read(settings: Settings) -> dict[str, dict]:
    path = settings.users_file
    if not path.exists():
        return {}
    refuse_if_open(path)
    return json.loads(path.read_text())


def _write(settings: Settings, users: dict[str, dict]) -> None:
    """Replace the file atomically, owner-only from its first byte."""
    path = settings.users_file
    path.parent.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "w") as f:
        json.dump(users, f, indent=2, sort_keys=True)
    os.replace(partial, path)


def _log(settings: Settings, event: str, user: User, actor: str, detail: str = "") -> None:
    row = {
        "event": event,
        "user_name": user.name,
        "role": user.role or None,
        "tenant_id": user.tenant_id,
        "actor": actor,
        "detail": detail,
        "at": dt.datetime.now(dt.UTC),
    }
    lake.append(
        settings.table_uri("governance", ACCESS_LOG), pa.Table.from_pylist([row], schema=ACCESS_LOG_SCHEMA)
    )
