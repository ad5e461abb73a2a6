"""Sign-in: with an identity provider (OpenID Connect through ``st.login``) when Streamlit's secrets configure
``[auth]``, else with the embedded user store (``opslake users``). The signed-in viewer lives in the session."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboards.data import Viewer
from opslake import users
from opslake.settings import Settings

SESSION_KEY = "viewer"


def signed_in(settings: Settings) -> Viewer:
    """The signed-in viewer; until someone signs in, the sign-in (and nothing else) is shown."""
    oidc = _oidc_settings()
    if oidc is not None:
        return _with_identity_provider(settings, *oidc)
    viewer = st.session_state.get(SESSION_KEY)
    if viewer is not None:
        return viewer
    st.title("opslake")
    with st.form("sign_in"):
        name = st.text_input("User", key="user")
        password = st.text_input("Password", type="password", key="password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        user = users.sign_in(settings, name, password)
        if user is not None:
            st.session_state[SESSION_KEY] = Viewer(user.name, user.role, user.tenant_id)
            st.rerun()
        st.error("Unknown user or wrong password.")
    if not users.list_users(settings):
        st.info("No user exists yet: create one with `opslake users add NAME --role admin`.")
    st.stop()


def sign_out() -> None:
    """Forget the viewer and everything the session holds for them (and the identity provider's cookie)."""
    st.session_state.clear()
    if _oidc_settings() is not None:
        st.logout()


def _oidc_settings() -> tuple[str | None, users.Claims] | None:
    """The provider to sign in with and where its tokens carry role and tenant, when ``[auth]`` is configured."""
    try:
        configured = "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all: the embedded store
        return None
    if not configured:
        return None
    opslake = st.secrets.get("opslake", {})
    claims = users.Claims(**{k: str(v) for k, v in opslake.get("claims", {}).items()})
    return opslake.get("provider"), claims


def _with_identity_provider(settings: Settings, provider: str | None, claims: users.Claims) -> Viewer:
    """The viewer the identity provider vouched for; the token's expiry is checked on every rerun."""
    if not st.user.is_logged_in:
        st.title("opslake")
        st.button(
            "Sign in with your organisation's account",
            on_click=st.login,
            args=(provider,) if provider else (),
        )
        st.stop()
    token = st.user.to_dict()
    viewer = st.session_state.get(SESSION_KEY)
    expired = float(token.get("exp") or 0) <= dt.datetime.now(dt.UTC).timestamp()
    if viewer is None or expired:
        try:
            user = users.sign_in_oidc(settings, token, claims, dt.datetime.now(dt.UTC))
        except users.UserError as refused:
            st.session_state.clear()
            st.title("opslake")
            st.error(f"You cannot open opslake: {refused}.")
            st.button("Sign in again", on_click=st.logout)
            st.stop()
        viewer = st.session_state[SESSION_KEY] = Viewer(user.name, user.role, user.tenant_id)
    return viewer
