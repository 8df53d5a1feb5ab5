"""`duration_s` is the sync itself: importing and opening the store and warehouse drivers come before it."""

from __future__ import annotations

import contextlib
import time
from types import SimpleNamespace

import pytest

from strava import sync


@pytest.mark.sim(activities=450)  # three pages and the empty one
def test_duration_counts_the_sync_not_opening_the_warehouse(project, monkeypatch):
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(sync, "time", SimpleNamespace(monotonic=lambda: clock.now, sleep=time.sleep))

    @contextlib.contextmanager
    def slow_to_open(spec):
        clock.now += 60  # as if importing DuckDB and opening the file took a minute
        with sync.own_warehouse(spec) as warehouse:
            yield warehouse

    def page_takes_a_second(items: int) -> None:
        clock.now += 1

    summary = sync.run_sync(project.settings(), lease_warehouse=slow_to_open, progress=page_takes_a_second)
    assert summary.status == "ok" and summary.fetched == 450
    assert summary.to_dict()["duration_s"] == 3  # the three pages, not the minute spent opening
