"""Structured masking: keyed pseudonyms, the installation secret, IP generalisation, placeholders."""

from __future__ import annotations

import hashlib
import hmac
import os

import pyarrow as pa
import pytest

from privacy.pseudonyms import generalize_ip, generalize_ips, installation_secret, mask, pseudonymize


def test_secret_is_created_once_with_owner_only_permissions(tmp_path):
    path = tmp_path / "secrets" / "pseudonym.key"
    key = installation_secret(path)
    assert len(key) == 32
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert installation_secret(path) == key  # stable across calls: pseudonyms stay joinable
    os.chmod(path, 0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        installation_secret(path)


def test_pseudonyms_are_keyed_hmacs_that_keep_equality():
    key = b"k" * 32
    column = pa.array(["u-1", "u-2", None, "u-1"])
    out = pseudonymize(column, key).to_pylist()
    expected = hmac.new(key, b"u-1", hashlib.sha256).hexdigest()[:24]
    assert out[0] == out[3] == expected
    assert out[1] != out[0] and out[2] is None
    assert (
        pseudonymize(column, b"x" * 32).to_pylist()[0] != expected
    )  # another installation, other pseudonyms


def test_ips_generalise_to_their_24_or_48_network():
    out = generalize_ips(pa.array(["203.0.113.24", "2001:db8:85a3:8d3:1319:8a2e:370:7348", "nonsense", None]))
    assert out.to_pylist() == ["203.0.113.0/24", "2001:db8:85a3::/48", None, None]


def test_mask_keeps_nulls():
    assert mask(pa.array(["+1 415 555 0100", None]), "<PHONE_NUMBER>").to_pylist() == ["<PHONE_NUMBER>", None]


def test_the_vectorised_ipv4_rewrite_agrees_with_the_ipaddress_module():
    values = [
        "203.0.113.24",
        "0.0.0.0",
        "255.255.255.255",
        "256.1.1.1",
        "01.2.3.4",
        "1.2.3",
        "::ffff:1.2.3.4",
        None,
    ]
    expected = [None if v is None else generalize_ip(v) for v in values]
    assert generalize_ips(pa.array(values)).to_pylist() == expected
    assert (
        expected[:3] == ["203.0.113.0/24", "0.0.0.0/24", "255.255.255.0/24"] and expected[3:6] == [None] * 3
    )
