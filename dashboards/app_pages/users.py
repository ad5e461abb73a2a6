"""Users (admins only): who may sign in with which role and tenant, adding, changing and removing them, and the
trail of sign-ins and changes. Every change here is logged with the admin as its actor."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import data, ui
from dashboards.ui import Column, Context
from opslake import users

LISTED = {"name": Column("User"), "role": Column("Role"), "tenant_id": Column("Tenant")}
TRAIL = {
    "at": Column("At (UTC)"),
    "event": Column("Event"),
    "user_name": Column("User"),
    "role": Column("Role"),
    "tenant_id": Column("Tenant"),
    "actor": Column("By"),
    "detail": Column("Detail"),
}


def _render(ctx: Context) -> None:
    if ctx.viewer.role != "admin":
        raise data.Forbidden("only admins manage users")
    people = users.list_users(ctx.settings)
    st.subheader("Users")
    ui.table(
        pl.DataFrame(
            [vars(u) for u in people], schema={"name": pl.String, "role": pl.String, "tenant_id": pl.String}
        ),
        "users",
        LISTED,
        "No users yet.",
    )
    add, change, remove = st.columns(3)
    with add.form("add_user", clear_on_submit=True):
        st.markdown("**Add a user**")
        name = st.text_input("User name", key="add_name")
        role = st.selectbox("Role", users.ROLES, key="add_role")
        tenant = st.text_input("Tenant (tenant viewers only)", key="add_tenant")
        password = st.text_input(
            f"Password ({users.MIN_PASSWORD}+ characters)", type="password", key="add_password"
        )
        if st.form_submit_button("Add"):
            _apply(
                lambda: users.add(ctx.settings, name, role, password, tenant or None, actor=ctx.viewer.name)
            )
    names = [u.name for u in people]
    with change.form("set_role"):
        st.markdown("**Change a role**")
        who = st.selectbox("User", names, key="role_user")
        role = st.selectbox("New role", users.ROLES, key="new_role")
        tenant = st.text_input("Tenant (tenant viewers only)", key="new_tenant")
        if st.form_submit_button("Change"):
            _apply(lambda: users.set_role(ctx.settings, who, role, tenant or None, actor=ctx.viewer.name))
    with remove.form("remove_user"):
        st.markdown("**Remove a user**")
        who = st.selectbox("User", [n for n in names if n != ctx.viewer.name], key="remove_user")
        if st.form_submit_button("Remove", type="primary") and who:
            _apply(lambda: users.remove(ctx.settings, who, actor=ctx.viewer.name))
    st.subheader("Sign-ins and changes")
    trail = users.access_log(ctx.settings)
    frame = pl.DataFrame() if trail is None else pl.from_arrow(trail).sort("at", descending=True)
    ui.table(frame, "access_log", TRAIL, "No sign-in or change yet.", height=400)


def _apply(change) -> None:
    """Make the change, or say why it cannot be made."""
    try:
        change()
    except users.UserError as refused:
        st.error(f"Not done: {refused}.")
        return
    st.rerun()


ui.show("Users", _render, reads_publication=False)
