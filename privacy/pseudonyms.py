"""Columnar masking of structured values: keyed pseudonyms, IP generalisation, placeholders.

Each function maps a whole Arrow column. Work is done once per distinct value and mapped back with
``index_in``/``take``, so a column of millions of values with thousands of distinct ones costs thousands of
HMACs: masking runs at columnar speed.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from opslake.permissions import owner_only_secret

PSEUDONYM_HEX = 24  # 96 bits: collisions are out of reach for any realistic number of subjects


def installation_secret(path: Path) -> bytes:
    """The per-installation HMAC key, created on first use with owner-only permissions (0600)."""
    return owner_only_secret(path, lambda: secrets.token_bytes(32))


def pseudonym(key: bytes, value: str) -> str:
    """Deterministic keyed pseudonym of one value (HMAC-SHA256, hex, truncated)."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]


def map_distinct(column: pa.Array, transform_all: Callable[[list[str]], list[str | None]]) -> pa.Array:
    """Apply a list-to-list transform to the column's distinct values and map the results back."""
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    column = column.cast(pa.string())
    distinct = pc.unique(column.drop_null())
    mapped = pa.array(transform_all(distinct.to_pylist()), pa.string())
    return pc.take(mapped, pc.index_in(column, value_set=distinct))


def _per_distinct(column: pa.Array, transform: Callable[[str], str | None]) -> pa.Array:
    return map_distinct(column, lambda values: [transform(v) for v in values])


def pseudonymize(column: pa.Array, key: bytes) -> pa.Array:
    """Replace every value by its keyed pseudonym; equal values stay equal, so joins and counts still work."""
    return _per_distinct(column, lambda v: pseudonym(key, v))


def generalize_ip(value: str) -> str | None:
    """The /24 network of an IPv4 address or the /48 of an IPv6 one; None for anything else."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


_OCTET = r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = rf"^{_OCTET}(\.{_OCTET}){{3}}$"


def generalize_ips(column: pa.Array) -> pa.Array:
    """``generalize_ip`` on a column: IPv4 addresses by a vectorised rewrite, anything else value by value."""
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    is_v4 = pc.fill_null(pc.match_substring_regex(column, _IPV4), False)
    v4 = pc.replace_substring_regex(column, r"\.\d{1,3}$", ".0/24")
    other = _per_distinct(pc.if_else(is_v4, pa.scalar(None, pa.string()), column), generalize_ip)
    return pc.if_else(is_v4, v4, other)


def mask(column: pa.Array, placeholder: str) -> pa.Array:
    """Replace every non-null value by a placeholder such as ``<PHONE_NUMBER>``."""
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return pc.if_else(pc.is_null(column), pa.scalar(None, pa.string()), pa.scalar(placeholder, pa.string()))
