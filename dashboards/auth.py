"""Sign-in with the embedded user store (``opslake users``); the signed-in viewer lives in the session."""

from __future__ import annotations

import streamlit as st

from dashboards.data import Viewer
from opslake import users
from opslake.settings import Settings

SESSION_KEY = "viewer"


def signed_in(settings: Settings) -> Viewer:
    """The signed-in viewer; until someone signs in, the form (and nothing else) is shown."""
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
    st.session_state.pop(SESSION_KEY, None)
