"""The app's entry point: settings from the environment, sign-in, then the pages the viewer's role may open."""

from __future__ import annotations

import streamlit as st

from dashboards import auth, data, ui
from opslake import users
from opslake.permissions import restrict_files
from opslake.settings import Settings

# Who opens which page follows what each role may read (``data``, which enforces it on every query).
EVERYONE = frozenset(users.ROLES)
READERS = frozenset(role for role, marts in data.ROLE_MARTS.items() if marts is data.EVERY_MART)
GOVERNANCE = data.HEALTH_ROLES
ADMINS = frozenset({"admin"})
PAGES = {  # section -> (page script, title, icon, roles that open it)
    "": [("overview", "Overview", ":material/dashboard:", READERS)],
    "Engineering": [
        ("flow", "Flow", ":material/conveyor_belt:", READERS),
        ("delivery", "Delivery", ":material/rocket_launch:", READERS),
    ],
    "Operations": [
        ("reliability", "Reliability", ":material/monitor_heart:", READERS),
        ("cost", "Cost", ":material/payments:", READERS),
    ],
    "Governance": [
        ("compliance", "Compliance", ":material/verified_user:", EVERYONE),
        ("health", "Data health", ":material/health_and_safety:", GOVERNANCE),
    ],
    "Administration": [("users", "Users", ":material/group:", ADMINS)],
}

st.set_page_config(page_title="opslake", page_icon=":material/monitoring:", layout="wide")
settings = Settings.from_env()
restrict_files(settings)  # the app writes too: the user store, the access log
viewer = auth.signed_in(settings)
st.session_state[ui.PAGE_INPUTS] = (settings, viewer)

with st.sidebar:
    st.caption(f"Signed in as **{viewer.name}** ({viewer.role.replace('_', ' ')})")
    st.button("Sign out", on_click=auth.sign_out)

navigation = {
    section: [
        st.Page(f"app_pages/{script}.py", title=title, icon=icon)
        for script, title, icon, roles in pages
        if viewer.role in roles
    ]
    for section, pages in PAGES.items()
}
st.navigation({section: pages for section, pages in navigation.items() if pages}).run()
