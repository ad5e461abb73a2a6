"""The lake's writer lock: one writer of the lake at a time across processes, named to whoever waits for it."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from opslake import lake
from tests.fixtures.cli import lake_held_by


def test_a_second_writer_hears_who_holds_the_lake_and_refuses_when_its_wait_runs_out(settings):
    with lake_held_by(settings, "erasure") as holder:
        heard: list[lake.Writer] = []
        started = time.monotonic()
        with pytest.raises(lake.LakeBusy) as busy, lake.lake_writer(settings, "run", 0.5, heard.append):
            pytest.fail("the lock was taken while another process held it")
        assert time.monotonic() - started >= 0.5
        assert heard == [busy.value.holder]  # told once, before giving up
        assert (busy.value.holder.operation, busy.value.holder.pid) == ("erasure", holder.pid)
        assert str(busy.value.holder).startswith("the erasure started at ")
        assert str(busy.value.holder).endswith(f" UTC by pid {holder.pid}")
        assert dt.datetime.now(dt.UTC) - busy.value.holder.started_at < dt.timedelta(minutes=1)
        assert lake.current_writer(settings) == busy.value.holder  # what `opslake status` reads

        heard.clear()
        with pytest.raises(lake.LakeBusy), lake.lake_writer(settings, "run", 0, heard.append):
            pytest.fail("the lock was taken while another process held it")
        assert heard == []  # no wait, nothing to announce
    assert lake.current_writer(settings) is None
    with lake.lake_writer(settings, "run", 0):
        assert lake.current_writer(settings).operation == "run"


def test_a_waiting_writer_takes_the_lake_as_soon_as_the_holder_finishes(settings):
    with lake_held_by(settings, "run") as holder:
        threading.Timer(1.0, holder.stdin.close).start()  # the holder finishes after a second
        started = time.monotonic()
        with lake.lake_writer(settings, "erasure", 60):
            waited = time.monotonic() - started
            assert lake.current_writer(settings).operation == "erasure"
    assert 0.9 <= waited < 10


def test_the_process_holding_the_lake_may_take_it_again(settings):
    """`opslake run` holds it around the Dagster runs it executes in process, which take it too."""
    with lake.lake_writer(settings, "run", 0):
        with lake.lake_writer(settings, "Dagster run", 0):
            assert lake.current_writer(settings).operation == "run"
        assert lake.current_writer(settings).operation == "run"  # the inner release kept the outer hold
    assert lake.current_writer(settings) is None
