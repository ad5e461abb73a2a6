"""The BI app, driven by Streamlit's AppTest on a copy of the shared lake's publication: sign-in, the overview,
and tenant isolation that no crafted URL value can widen."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from opslake import users
from opslake.settings import PROJECT_ROOT, Settings
from opslake.tables import DOMAINS

APP = str(PROJECT_ROOT / "dashboards" / "streamlit_app.py")
PASSWORD = "correct horse battery"
CRAFTED = ["t-other", "' or 1=1 --", "t-acme,t-other", "", "t\u2010acme", "%", "*"]


@pytest.fixture(scope="module")
def home(built_lake, tmp_path_factory) -> Settings:
    """A home holding only a copy of the built lake's publication and two users."""
    settings = Settings.at(tmp_path_factory.mktemp("app") / "home")
    shutil.copytree(built_lake.settings.published, settings.published, symlinks=True)
    users.add(settings, "viewer", "tenant_viewer", PASSWORD, sorted(_tenants(built_lake))[0])
    users.add(settings, "analyst", "analyst", PASSWORD)
    return settings


def _tenants(built_lake) -> list[str]:
    return [r[0] for r in built_lake.query("select distinct tenant_id from marts.tenant_usage_monthly")]


def _signed_in(monkeypatch, settings: Settings, name: str, tenant_param: str | None = None) -> AppTest:
    monkeypatch.setenv("OPSLAKE_HOME", str(settings.home))  # the app's entry point reads its settings here
    app = AppTest.from_file(APP, default_timeout=120)
    if tenant_param is not None:
        app.query_params["tenant"] = tenant_param
    app.run()
    app.text_input(key="user").input(name)
    app.text_input(key="password").input(PASSWORD)
    app.button[0].click().run()
    assert not app.exception, app.exception
    return app


def test_a_wrong_password_is_refused_with_a_sentence(monkeypatch, home):
    monkeypatch.setenv("OPSLAKE_HOME", str(home.home))
    app = AppTest.from_file(APP, default_timeout=120).run()
    app.text_input(key="user").input("viewer")
    app.text_input(key="password").input("wrong password!")
    app.button[0].click().run()
    assert [e.value for e in app.error] == ["Unknown user or wrong password."]
    assert not app.dataframe and not app.exception


def test_the_analyst_overview_has_a_row_per_tenant_and_says_how_fresh(monkeypatch, home, built_lake):
    app = _signed_in(monkeypatch, home, "analyst")
    assert app.title[0].value == "Overview"
    assert any(c.value.startswith("Data as of") for c in app.caption)
    newest = " union all ".join(f"select max(occurred_at) as t from silver.{d}" for d in DOMAINS)
    as_of = built_lake.query(f"select min(t) from ({newest})")[0][0]
    closed = (as_of.date().replace(day=1) - dt.timedelta(days=1)).replace(
        day=1
    )  # the last month the data covers
    expected = dict(
        built_lake.query(
            "select tenant_id, sum(allocated_effective_cost)::double from marts.cost_allocation_monthly "
            "where month = ? group by 1",
            [closed],
        )
    )
    assert set(_tenants(built_lake)) < set(expected)  # the tenants, and the cost no rule allocated
    shown = app.dataframe[0].value.dropna(subset=["effective_cost_last_month"])
    costs = dict(zip(shown["tenant_id"], shown["effective_cost_last_month"].astype(float), strict=True))
    assert costs == pytest.approx(expected)


@pytest.mark.parametrize("crafted", CRAFTED)
def test_a_tenant_viewer_sees_only_its_tenant_whatever_the_url_says(monkeypatch, home, crafted):
    app = _signed_in(monkeypatch, home, "viewer", tenant_param=crafted)
    own = users.sign_in(home, "viewer", PASSWORD).tenant_id
    for frame in app.dataframe:
        assert set(frame.value["tenant_id"]) == {own}
    assert not app.selectbox  # no tenant to choose


def test_nothing_published_is_said_not_a_traceback(monkeypatch, tmp_path):
    settings = Settings.at(tmp_path / "empty")
    users.add(settings, "analyst", "analyst", PASSWORD)
    app = _signed_in(monkeypatch, settings, "analyst")
    assert [i.value for i in app.info] == [
        "Nothing has been published yet: run `opslake run`, and this page shows its results."
    ]
