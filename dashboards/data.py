"""The one module the app reads data through: the current publication, with the viewer's tenants applied to
every query here, never by hiding widgets. Results are cached per publication, viewer and question."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
import streamlit as st

from opslake.publication import NotPublished, Publication, current, open_current
from opslake.settings import Settings

# What each role may read: tenant viewers and analysts every mart (analysts across tenants), compliance officers
# compliance and data health, admins everything.
EVERY_MART = None
ROLE_MARTS: dict[str, frozenset[str] | None] = {
    "tenant_viewer": EVERY_MART,
    "analyst": EVERY_MART,
    "compliance_officer": frozenset({"compliance_controls", "compliance_exceptions"}),
    "admin": EVERY_MART,
}
TENANT_CATALOG = (
    "tenant_usage_monthly"  # every tenant has its usage months: the list of tenants to choose from
)


class Forbidden(PermissionError):
    """The viewer's role does not read this mart."""


@dataclass(frozen=True)
class Viewer:
    name: str
    role: str
    tenant_id: str | None  # a tenant viewer's one tenant; None: every tenant


def publication(settings: Settings) -> Publication | None:
    """The current publication's record (None before the first build)."""
    try:
        return current(settings)
    except NotPublished:
        return None


def tenants(settings: Settings, viewer: Viewer) -> list[str]:
    """The tenants the viewer may see."""
    if viewer.tenant_id:
        return [viewer.tenant_id]
    return _known_tenants(settings, _published(settings).build_id)


def mart(settings: Settings, viewer: Viewer, name: str, tenant: str | None = None) -> pl.DataFrame:
    """A mart's rows of the tenants the viewer may see: a tenant viewer's own, whatever ``tenant`` says; for the
    other roles every row, or those of ``tenant`` when it names a known tenant (any other value is ignored)."""
    allowed = ROLE_MARTS[viewer.role]
    if allowed is not EVERY_MART and name not in allowed:
        raise Forbidden(f"the {viewer.role} role does not read {name}")
    published = _published(settings)
    if name not in published.tables:  # names come from pages; still, never from SQL text
        raise LookupError(f"the publication has no mart {name!r}")
    home, build = str(settings.home), published.build_id
    if viewer.tenant_id:
        chosen = (viewer.tenant_id,)
    elif tenant in _known_tenants(settings, build):
        chosen = (tenant,)
    else:  # every row, `unallocated` cost included
        return _query(home, build, f'select * from "{name}"', ())
    sql = f'select * from "{name}" where tenant_id in (select unnest(?::varchar[]))'
    return _query(home, build, sql, (chosen,))


def _published(settings: Settings) -> Publication:
    found = publication(settings)
    if found is None:
        raise NotPublished("nothing has been published yet")
    return found


def _known_tenants(settings: Settings, build_id: str) -> list[str]:
    found = _query(str(settings.home), build_id, f"select distinct tenant_id from {TENANT_CATALOG}", ())
    return sorted(found["tenant_id"].to_list())


@st.cache_data(ttl=dt.timedelta(minutes=10), show_spinner=False)
def _query(home: str, build_id: str, sql: str, params: tuple) -> pl.DataFrame:
    """Rows of one query on a publication; the build id is in the key, so a new publication is read afresh."""
    settings = Settings.at(home)
    with open_current(settings) as con:
        return con.sql(sql, params=[list(p) if isinstance(p, tuple) else p for p in params]).pl()
