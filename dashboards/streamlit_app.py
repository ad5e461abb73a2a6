"""The app's entry point: settings from the environment, sign-in, then the pages the viewer's role may open."""

from __future__ import annotations

import functools

import streamlit as st

from dashboards import auth
from dashboards.app_pages import overview
from opslake.settings import Settings

st.set_page_config(page_title="opslake", page_icon=":material/monitoring:", layout="wide")
settings = Settings.from_env()
viewer = auth.signed_in(settings)

with st.sidebar:
    st.caption(f"Signed in as **{viewer.name}** ({viewer.role.replace('_', ' ')})")
    st.button("Sign out", on_click=auth.sign_out)

pages = [st.Page(functools.partial(overview.render, settings, viewer), title="Overview", url_path="overview")]
st.navigation(pages).run()
