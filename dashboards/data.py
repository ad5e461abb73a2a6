"""The one module the app reads data through: the current publication, with the viewer's tenants applied to
every query here, never by hiding widgets. Results are cached per publication, viewer and question."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import streamlit as st

from opslake.publication import NotPublished, Publication, current_path, open_published, record
from opslake.settings import Settings

# What each role may read: tenant viewers and analysts every mart (analysts across tenants), compliance officers
# compliance and data health, admins everything.
EVERY_MART = None
ROLE_MARTS: dict[str, frozenset[str] | None] = {
    "tenant_viewer": EVERY_MART,
    "analyst": EVERY_MART,
    "compliance_officer": frozenset(
        {"compliance_controls", "compliance_population", "compliance_exceptions"}
    ),
    "admin": EVERY_MART,
}
TENANT = "tenant_id"  # the column every mart carries
UNALLOCATED = "unallocated"  # the tenant id cost_allocation_monthly gives what no rule could allocate


# Data health covers every tenant's feeds at once (volumes, checks): not for a tenant viewer.
HEALTH_ROLES = frozenset({"analyst", "compliance_officer", "admin"})
HEALTH_SCHEMA = "health"


class Forbidden(PermissionError):
    """The viewer's role does not read this mart."""


@dataclass(frozen=True)
class Viewer:
    name: str
    role: str
    tenant_id: str | None  # a tenant viewer's one tenant; None: every tenant


def publication(settings: Settings) -> Publication | None:
    """The current publication's record (None before the first build). Resolving ``current`` is a readlink; the
    record is read once per published file."""
    try:
        return _record(current_path(settings))
    except (NotPublished, duckdb.IOException):
        return None


@functools.lru_cache(maxsize=8)
def _record(path: Path) -> Publication:
    return record(path)


def tenants(settings: Settings, viewer: Viewer) -> list[str]:
    """The tenants the viewer may see."""
    if viewer.tenant_id:
        return [viewer.tenant_id]
    return _known_tenants(_published(settings))


def mart(
    settings: Settings, viewer: Viewer, name: str, tenant: str | None = None, where: dict | None = None
) -> pl.DataFrame:
    """A mart's rows of the tenants the viewer may see: a tenant viewer's own, whatever ``tenant`` says; for the
    other roles every row, or those of ``tenant`` when it names a known tenant (any other value is ignored).
    ``where`` narrows the rows in the query (column -> value, all equal), so a page reads only what it shows."""
    allowed = ROLE_MARTS[viewer.role]
    if allowed is not EVERY_MART and name not in allowed:
        raise Forbidden(f"the {viewer.role} role does not read {name}")
    published = _published(settings)
    if name not in published.tables or "." in name:  # names come from pages; still, never from SQL text
        raise LookupError(f"the publication has no mart {name!r}")
    conditions, params = [], []
    if viewer.tenant_id:
        conditions.append(f"{TENANT} = ?")
        params.append(viewer.tenant_id)
    elif tenant in _known_tenants(published):
        conditions.append(f"{TENANT} = ?")
        params.append(tenant)
    for column, value in (where or {}).items():
        if not column.isidentifier():  # column names come from pages, values are parameters
            raise ValueError(f"{column!r} is not a column name")
        conditions.append(f'"{column}" = ?')
        params.append(value)
    sql = f'select * from "{name}"' + (f" where {' and '.join(conditions)}" if conditions else "")
    return _query(str(published.path), _key(viewer), sql, tuple(params))


def health(settings: Settings, viewer: Viewer, name: str) -> pl.DataFrame | None:
    """A data health table (``opslake.health``); None when this publication has none (nothing checked yet)."""
    if viewer.role not in HEALTH_ROLES:
        raise Forbidden(f"the {viewer.role} role does not read data health")
    published = _published(settings)
    if f"{HEALTH_SCHEMA}.{name}" not in published.tables:
        return None
    return _query(str(published.path), _key(viewer), f'select * from {HEALTH_SCHEMA}."{name}"', ())


def _published(settings: Settings) -> Publication:
    found = publication(settings)
    if found is None:
        raise NotPublished("nothing has been published yet")
    return found


def _known_tenants(published: Publication) -> list[str]:
    """Every tenant id in any published mart: customers, the operator that deploys, and cost no rule allocated."""
    marts = sorted(name for name in published.tables if "." not in name)  # health.* tables have no tenant
    union = " union ".join(f'select {TENANT} from "{name}"' for name in marts)
    found = _query(str(published.path), ("", None), f"select distinct {TENANT} from ({union})", ())
    return sorted(found[TENANT].drop_nulls().to_list())


def _key(viewer: Viewer) -> tuple[str, str | None]:
    return viewer.role, viewer.tenant_id


@st.cache_data(ttl=dt.timedelta(minutes=10), show_spinner=False)
def _query(path: str, viewer: tuple[str, str | None], sql: str, params: tuple) -> pl.DataFrame:
    """Rows of one query on one published file (so a page reads one build, even while the next is swapped in);
    the file (one per build), the viewer's role and tenant and the question are the cache key."""
    with open_published(Path(path)) as con:
        return con.sql(sql, params=list(params)).pl()
