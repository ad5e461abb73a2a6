"""Users of the apps: Argon2id hashes in an owner-only file, roles and tenants checked, every sign-in and change
in the access log."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from argon2 import PasswordHasher

from opslake import lake, users
from opslake.tables import ACCESS_LOG

PASSWORD = "correct horse battery"


def _log(settings) -> list[tuple[str, str]]:
    rows = lake.read_table(settings.table_uri("governance", ACCESS_LOG), ["at", "event", "user_name"])
    return [(r["event"], r["user_name"]) for r in sorted(rows.to_pylist(), key=lambda r: r["at"])]


def test_a_user_signs_in_with_their_password_only(settings):
    added = users.add(settings, "jane", "tenant_viewer", PASSWORD, "t-acme")
    assert users.sign_in(settings, "jane", PASSWORD) == added == users.User("jane", "tenant_viewer", "t-acme")
    assert users.sign_in(settings, "jane", PASSWORD + "!") is None
    assert users.sign_in(settings, "nobody", PASSWORD) is None
    assert _log(settings) == [
        ("user_added", "jane"),
        ("sign_in", "jane"),
        ("sign_in_failed", "jane"),
        ("sign_in_failed", "nobody"),
    ]


def test_the_store_is_owner_only_and_holds_argon2id_hashes_not_passwords(settings):
    users.add(settings, "raj", "analyst", PASSWORD)
    path = settings.users_file
    assert path.stat().st_mode & 0o777 == 0o600
    text = path.read_text()
    assert PASSWORD not in text
    stored = json.loads(text)["raj"]["password_hash"]
    assert stored.startswith("$argon2id$") and PasswordHasher().verify(stored, PASSWORD)
    os.chmod(path, 0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        users.list_users(settings)


@pytest.mark.parametrize(
    ("name", "role", "tenant", "password", "why"),
    [
        ("jane", "superuser", None, PASSWORD, "not a role"),
        ("jane", "tenant_viewer", None, PASSWORD, "needs --tenant"),
        ("jane", "analyst", "t-acme", PASSWORD, "only a tenant viewer"),
        ("jane doe", "analyst", None, PASSWORD, "not a user name"),
        ("", "analyst", None, PASSWORD, "not a user name"),
        ("jane", "admin", None, "short", "at least 12"),
    ],
)
def test_bad_users_are_refused_with_the_reason(settings, name, role, tenant, password, why):
    with pytest.raises(users.UserError, match=why):
        users.add(settings, name, role, password, tenant)
    assert users.list_users(settings) == []


def test_roles_change_and_users_go_and_each_change_is_logged(settings):
    users.add(settings, "jane", "tenant_viewer", PASSWORD, "t-acme")
    with pytest.raises(users.UserError, match="already"):
        users.add(settings, "jane", "admin", PASSWORD)
    users.set_role(settings, "jane", "compliance_officer")
    assert users.sign_in(settings, "jane", PASSWORD) == users.User("jane", "compliance_officer", None)
    users.remove(settings, "jane")
    assert users.list_users(settings) == [] and users.sign_in(settings, "jane", PASSWORD) is None
    events = [e for e, _ in _log(settings)]
    assert events == ["user_added", "role_changed", "sign_in", "user_removed", "sign_in_failed"]


def test_the_cli_adds_lists_and_removes_users(settings):
    env = {**os.environ, **settings.env()}

    def opslake(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "cli", "users", *args]
        return subprocess.run(command, input=stdin, capture_output=True, text=True, env=env)

    added = opslake("add", "ops", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    listed = opslake("list", "--json")
    assert listed.stdout.strip() == '[{"name": "ops", "role": "admin", "tenant_id": null}]'
    assert users.sign_in(settings, "ops", PASSWORD) is not None  # the newline is not part of the password
    refused = opslake("add", "eve", "--role", "root", "--password-stdin", stdin=PASSWORD + "\n")
    assert refused.returncode == 2 and "not a role" in refused.stderr and "Traceback" not in refused.stderr
    assert opslake("remove", "ops").returncode == 0
    assert opslake("list", "--json").stdout.strip() == "[]"


NOW = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)
CLAIMS = users.Claims(role="groups_role", tenant="org_tenant", name="preferred_username")


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (
            {
                "preferred_username": "ana@acme.example",
                "groups_role": "tenant_viewer",
                "org_tenant": "t-acme",
            },
            users.User("ana@acme.example", "tenant_viewer", "t-acme"),
        ),
        ({"preferred_username": "raj", "groups_role": "analyst"}, users.User("raj", "analyst", None)),
    ],
)
def test_an_identity_provider_s_token_gives_role_and_tenant_from_its_claims(settings, token, expected):
    token = {**token, "exp": NOW.timestamp() + 60}
    assert users.sign_in_oidc(settings, token, CLAIMS, NOW) == expected
    assert _log(settings) == [("sign_in", expected.name)]


@pytest.mark.parametrize(
    ("token", "why"),
    [
        ({"exp": NOW.timestamp(), "groups_role": "analyst"}, "expired"),  # expiring now is expired
        ({"exp": NOW.timestamp() - 1, "groups_role": "analyst"}, "expired"),
        ({"groups_role": "analyst"}, "expired"),  # no expiry: never trusted forever
        ({"exp": "tomorrow", "groups_role": "analyst"}, "expired"),
        ({"exp": NOW.timestamp() + 60}, "is not a role"),  # no role claim: no access, not a default role
        ({"exp": NOW.timestamp() + 60, "groups_role": "superuser"}, "is not a role"),
        ({"exp": NOW.timestamp() + 60, "groups_role": "tenant_viewer"}, "needs --tenant"),
        (
            {"exp": NOW.timestamp() + 60, "groups_role": "tenant_viewer", "org_tenant": ["t-a", "t-b"]},
            "needs",
        ),
        (
            {"exp": NOW.timestamp() + 60, "groups_role": "analyst", "org_tenant": "t-acme"},
            "only a tenant viewer",
        ),
    ],
)
def test_an_expired_token_or_missing_claims_sign_no_one_in(settings, token, why):
    with pytest.raises(users.UserError, match=why):
        users.sign_in_oidc(settings, {"preferred_username": "mallory", **token}, CLAIMS, NOW)
    assert _log(settings) == [("sign_in_failed", "mallory")]
