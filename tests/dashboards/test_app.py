"""The BI app, driven by Streamlit's AppTest on a copy of the shared lake's publication: sign-in, every page for
every role, the figures pages show against SQL on the warehouse, and tenant isolation that no crafted URL value
can widen."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from opslake import lake, users
from opslake.settings import PROJECT_ROOT, Settings
from opslake.tables import DOMAINS
from tests.fixtures.apps import PASSWORD, tenants_of

APP = str(PROJECT_ROOT / "dashboards" / "streamlit_app.py")
CRAFTED = ["t-other", "' or 1=1 --", "t-acme,t-other", "", "t\u2010acme", "%", "*"]
FILTERS = ("tenant", "team", "art", "service", "month", "slo", "control", "level", "basis", "layer", "table")
# What each role opens (the roles): tenant viewers and analysts the BI pages, compliance officers
# compliance and data health, admins all; data health spans every tenant, so not tenant viewers.
BI = {"overview", "flow", "delivery", "reliability", "cost", "compliance"}
OPENS = {
    "tenant_viewer": BI,
    "analyst": BI | {"health"},
    "compliance_officer": {"compliance", "health"},
    "admin": BI | {"health", "users"},
}
DATA_PAGES = BI | {"health"}  # the pages that read the publication (users is the user store)
NOTHING_PUBLISHED = "Nothing has been published yet: run `opslake run`, and this page shows its results."


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
    assert set(tenants_of(built_lake)) < set(expected)  # the tenants, and the cost no rule allocated
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


def _open(app: AppTest, page: str, params: dict | None = None) -> AppTest:
    for key, value in (params or {}).items():
        app.query_params[key] = value
    app.switch_page(f"app_pages/{page}.py").run()
    assert not app.exception, (page, app.exception)
    return app


def _role(name: str) -> str:
    return {"viewer": "tenant_viewer", "officer": "compliance_officer"}.get(name, name)


@pytest.mark.parametrize("name", ["viewer", "analyst", "officer", "admin"])
def test_every_page_of_a_role_renders_and_the_others_are_not_there(monkeypatch, home, name):
    app = _signed_in(monkeypatch, home, name)
    for page in sorted(OPENS[_role(name)] & DATA_PAGES):
        _open(app, page)
        assert app.title, page
        assert not app.error, (page, [e.value for e in app.error])
        assert any(c.value.startswith("Data as of") for c in app.caption), page
        # a table, or (a customer's viewer on the engineering pages, whose data is the operator's) a sentence
        assert app.dataframe or app.info, f"{page} shows {name} neither a table nor why there is none"
    for page in sorted(OPENS["admin"] - OPENS[_role(name)]):
        with pytest.raises(ValueError, match="navigation page"):  # not registered for this role: no way in
            app.switch_page(f"app_pages/{page}.py")


def test_nothing_published_is_said_on_every_page_not_a_traceback(monkeypatch, tmp_path):
    settings = Settings.at(tmp_path / "empty")
    users.add(settings, "admin", "admin", PASSWORD)
    app = _signed_in(monkeypatch, settings, "admin")
    for page in sorted(DATA_PAGES):
        _open(app, page)
        assert [i.value for i in app.info] == [NOTHING_PUBLISHED], page
        assert not app.error and not app.dataframe


def test_pages_read_the_publication_while_a_build_holds_the_lake(monkeypatch, home):
    """Mid-build: the lake's writer lock is held and the build warehouse is open for writing; the pages still show
    the publication (they never touch the build's file)."""
    home.warehouse.parent.mkdir(parents=True, exist_ok=True)
    writer = duckdb.connect(str(home.warehouse))
    try:
        writer.execute("create table if not exists half_built as select 1 as x")
        with lake.lake_writer(home, "run"):
            app = _signed_in(monkeypatch, home, "admin")
            for page in sorted(DATA_PAGES):
                _open(app, page)
                assert app.dataframe and not app.error, page
    finally:
        writer.close()


@pytest.mark.parametrize("crafted", CRAFTED)
def test_no_page_shows_a_tenant_viewer_another_tenant_s_rows(monkeypatch, home, built_lake, crafted):
    own = users.sign_in(home, "viewer", PASSWORD).tenant_id
    others = {t for t in _all_tenant_ids(built_lake) if t != own}
    app = _signed_in(monkeypatch, home, "viewer", tenant_param=crafted)
    for page in sorted(OPENS["tenant_viewer"]):
        _open(app, page, dict.fromkeys(FILTERS, crafted) | {"tenant": crafted})
        for frame in app.dataframe:
            table = frame.value
            if "tenant_id" in table.columns:
                assert set(table["tenant_id"]) <= {own}, page
            for column in table.columns:  # no other tenant's id anywhere on the page
                if table[column].dtype == object:
                    assert not others & set(map(str, table[column])), (page, column)


def _all_tenant_ids(built_lake) -> set[str]:
    marts = [
        r[0]
        for r in built_lake.query(
            "select table_name from information_schema.columns "
            "where table_schema = 'marts' and column_name = 'tenant_id'"
        )
    ]
    union = " union ".join(f"select tenant_id from marts.{m}" for m in marts)
    return {r[0] for r in built_lake.query(union)}


def test_the_cost_page_shows_each_tenant_month_as_the_bill_allocates_it(monkeypatch, home, built_lake):
    app = _open(_signed_in(monkeypatch, home, "analyst"), "cost")
    shown = app.dataframe[0].value
    expected = {
        (t, f"{m:%Y-%m}"): float(c)
        for t, m, c in built_lake.query(
            "select tenant_id, month, sum(direct_effective_cost + shared_effective_cost + unallocated_effective_cost) "
            "from marts.cost_allocation_monthly where tenant_id <> 'unallocated' group by all"
        )
    }
    got = {
        (t, label.split(" (partial")[0]): c
        for t, label, c in zip(shown["tenant_id"], shown["month_label"], shown["allocated"], strict=True)
    }
    assert got == pytest.approx(expected)


def test_the_dora_grid_marks_as_many_teams_per_level_as_the_mart_has(monkeypatch, home, built_lake):
    app = _open(_signed_in(monkeypatch, home, "analyst"), "delivery")
    grid = app.dataframe[0].value.set_index("Metric")
    levels = built_lake.query(  # a partial month is not benchmarked
        "select lead_time_band, count(*) from marts.dora_metrics_monthly where month = "
        "(select max(month) from marts.dora_metrics_monthly where not is_partial) group by 1"
    )
    assert levels
    for level, teams in levels:
        if level is None:  # a team month without commits deployed has no lead time level
            continue
        cell = grid.loc["Lead time for changes", level.capitalize()]
        assert cell.endswith(f"◀ {teams} team{'s' if teams != 1 else ''}"), (level, cell)


def test_an_admin_manages_users_in_the_app_and_each_change_names_the_admin(monkeypatch, tmp_path):
    """On an empty home (user management needs no build): add, refuse a short password, change a role, remove."""
    settings = Settings.at(tmp_path / "home")
    users.add(settings, "root", "admin", PASSWORD)
    app = _open(_signed_in(monkeypatch, settings, "root"), "users")
    app.text_input(key="add_name").input("nadia")
    app.text_input(key="add_tenant").input("t-acme")
    app.text_input(key="add_password").input("short")
    app.selectbox(key="add_role").select("tenant_viewer")
    _submit(app, "Add")
    assert [e.value for e in app.error] == [
        f"Not done: the password must have at least {users.MIN_PASSWORD} characters."
    ]
    assert [u.name for u in users.list_users(settings)] == ["root"]
    app.text_input(key="add_name").input("nadia")
    app.text_input(key="add_tenant").input("t-acme")
    app.text_input(key="add_password").input(PASSWORD)
    _submit(app, "Add")
    assert users.list_users(settings)[0] == users.User("nadia", "tenant_viewer", "t-acme")
    app.selectbox(key="role_user").select("nadia")
    app.selectbox(key="new_role").select("analyst")
    _submit(app, "Change")
    assert users.list_users(settings)[0] == users.User("nadia", "analyst", None)
    assert "root" not in app.selectbox(key="remove_user").options  # an admin cannot remove themselves here
    app.selectbox(key="remove_user").select("nadia")
    _submit(app, "Remove")
    assert [u.name for u in users.list_users(settings)] == ["root"]
    trail = users.access_log(settings).to_pylist()
    changes = [(r["event"], r["user_name"], r["actor"]) for r in trail if r["event"] != "sign_in"]
    assert changes[1:] == [("user_added", "nadia", "root"), ("role_changed", "nadia", "root"),
                           ("user_removed", "nadia", "root")]  # fmt: skip


def _submit(app: AppTest, label: str) -> None:
    next(b for b in app.button if b.label == label).click().run()
    assert not app.exception, app.exception
