"""Strava misbehaving: the real CLI against the simulator's injected faults, a DuckDB file as warehouse.

Histories are 1,000 activities (5 pages of 200 + the empty page that ends the listing) unless a
scenario needs another shape, so page numbers below are easy to follow.
"""

from __future__ import annotations

import pytest
import requests

from tests.harness import assert_mirrors, assert_run_row, pinned_clock

PAGES = {"activities": 1000}


def _heals(project, *args: str) -> None:
    """A later run with Strava behaving again makes the warehouse equal Strava."""
    project.sim.reset_faults()
    result = project.sync(*args)
    assert result.code == 0 and result.summary["status"] == "ok", result.stderr[-2000:]
    assert_mirrors(project)


@pytest.mark.sim(**PAGES)
def test_5xx_bursts_on_several_pages_are_retried(project):
    for page, status in ((1, 500), (2, 502), (2, 503), (4, 504)):
        project.sim.inject(status=status, page=page, times=1)
    project.sim.inject(status=500, page=5, times=3)  # 3 failures: the 4th and last attempt succeeds
    result = project.sync()
    assert result.code == 0
    assert_run_row(project, result, "ok")
    assert result.summary["api_calls"] == 1 + 6 + 4 + 3
    assert_mirrors(project)


@pytest.mark.sim(**PAGES)
def test_5xx_burst_longer_than_the_retries_keeps_earlier_pages(project):
    project.sim.inject(status=503, page=3, times=4)
    result = project.sync()
    assert result.code == 1
    row = assert_run_row(project, result, "failed", "strava_unavailable")
    assert "after 4 attempts" in row["error_message"] and "503" in row["error_message"]
    assert result.summary["api_calls"] == 1 + 2 + 4
    assert project.count() == 400
    assert result.finished()["severity"] == "ERROR"  # retrying later helps: not CRITICAL
    _heals(project)


@pytest.mark.sim(**PAGES)
def test_connection_resets_are_retried(project):
    project.sim.inject(kind="reset", page=2, times=2)
    project.sim.inject(kind="reset", page=4, times=1)
    result = project.sync()
    assert_run_row(project, result, "ok")
    assert result.summary["api_calls"] == 1 + 6 + 3
    assert_mirrors(project)


@pytest.mark.sim(**PAGES)
def test_connection_reset_every_time_is_strava_unavailable(project):
    project.sim.inject(kind="reset", page=2, times=None)
    result = project.sync()
    assert result.code == 1
    row = assert_run_row(project, result, "failed", "strava_unavailable")
    assert "ConnectionError" in row["error_message"]
    assert project.count() == 200
    _heals(project)


@pytest.mark.sim(**PAGES)
def test_read_timeout_is_retried(project):
    project.sim.inject(kind="slow", delay=1.5, page=3, times=1)
    result = project.sync(STRAVA_READ_TIMEOUT="0.4", STRAVA_RETRY_SECONDS="3")
    assert_run_row(project, result, "ok")
    assert result.summary["api_calls"] == 1 + 6 + 1
    assert_mirrors(project)


@pytest.mark.sim(**PAGES)
def test_read_timeouts_until_the_retry_budget_is_spent(project):
    project.sim.inject(kind="slow", delay=1.0, page=2, times=None)
    result = project.sync(STRAVA_READ_TIMEOUT="0.3", STRAVA_RETRY_SECONDS="1")
    row = assert_run_row(project, result, "failed", "strava_unavailable")
    attempts = [q for _, path, q in project.sim.request_log if path.endswith("/activities") and q.get("page") == "2"]
    assert 1 < len(attempts) <= 4  # retried, then given up: bounded by the retry policy, not by Strava
    assert "ReadTimeout" in row["error_message"]
    assert project.count() == 200
    _heals(project)


@pytest.mark.sim(**PAGES)
def test_a_slow_page_under_the_timeout_is_waited_for_not_retried(project):
    project.sim.inject(kind="slow", delay=0.8, page=2, times=1)
    result = project.sync(STRAVA_READ_TIMEOUT="3")
    assert_run_row(project, result, "ok")
    assert result.summary["api_calls"] == 1 + 6
    assert result.summary["duration_s"] >= 0.8
    assert_mirrors(project)


@pytest.mark.parametrize("page, kept", [(1, 0), (5, 800), (6, 1000)])  # 6 = the empty page
@pytest.mark.sim(**PAGES)
def test_429_on_page_k_of_n_is_partial_and_the_next_run_resumes(project, page, kept):
    project.sim.inject(status=429, page=page, times=1)
    partial = project.sync()
    assert partial.code == 0  # partial is not a failure: the scheduler must not retry into the limit
    row = assert_run_row(project, partial, "partial", "rate_limited")
    assert row["fetched"] == row["inserted"] == kept == project.count()
    assert "continues where this one stopped" in row["error_message"]
    assert partial.finished()["severity"] == "WARNING"
    resumed = project.sync()
    assert_run_row(project, resumed, "ok")
    assert resumed.summary["inserted"] == 1000 - kept
    assert_mirrors(project)


@pytest.mark.sim(activities=3000, read_limits=(10, 1000), clock=pinned_clock)
def test_15_minute_budget_spent_mid_backfill_resumes_over_several_runs(project):
    """Each run stops 2 requests short of the 15-minute read limit; the window resets between runs."""
    results = []
    for _ in range(5):
        results.append(project.sync(STRAVA_RATE_RESERVE="2"))
        if results[-1].summary["status"] == "ok":
            break
        assert project.sim.state()["rate"]["read_usage"][0] == 8  # stopped by us, not by a 429
        project.sim.advance_clock(900)
    *partials, last = results
    assert 2 <= len(partials) <= 3
    for result in partials:
        row = assert_run_row(project, result, "partial", "rate_limited")
        assert "15-minute read rate limit" in row["error_message"]
        assert (row["read_usage_15min"], row["read_limit_15min"]) == (8, 10)
        assert row["fetched"] > 0
    assert_run_row(project, last, "ok")
    assert_mirrors(project)


@pytest.mark.sim(read_limits=(100, 30), clock=pinned_clock, **PAGES)
def test_daily_budget_spent_waits_for_the_next_utc_day(project):
    project.sim.set_usage(0, 25)
    first = project.sync(STRAVA_RATE_RESERVE="2")
    row = assert_run_row(project, first, "partial", "rate_limited")
    assert "daily read rate limit" in row["error_message"] and "daily window resets" in row["error_message"]
    assert project.count() == 600  # 3 pages before the reserve

    project.sim.advance_clock(900)  # a new quarter hour does not reset the day
    second = project.sync(STRAVA_RATE_RESERVE="2")
    assert_run_row(project, second, "partial", "rate_limited")
    # Strava's token answer reports no usage: the run's first page goes out blind, then the budget stops it.
    assert second.summary["fetched"] == 200 and project.count() == 600 + second.summary["inserted"]
    assert project.sim.state()["rate"]["read_usage"][1] == 29  # never refused by Strava

    project.sim.advance_clock(86400)
    third = project.sync(STRAVA_RATE_RESERVE="2")
    assert_run_row(project, third, "ok")
    assert_mirrors(project)


@pytest.mark.parametrize("kind", ["html", "truncated", "not_list"])
@pytest.mark.sim(**PAGES)
def test_malformed_page_mid_listing_keeps_earlier_pages_and_is_not_retried(project, kind):
    project.sim.inject(kind=kind, page=3, times=1)
    result = project.sync()
    assert result.code == 1
    row = assert_run_row(project, result, "failed", "bad_response")
    assert result.summary["api_calls"] == 1 + 3  # a 200 with garbage is not retried blindly
    assert project.count() == row["inserted"] == 400
    assert "<html" not in row["error_message"].lower()  # the page itself is never echoed
    _heals(project)


@pytest.mark.sim(**PAGES)
def test_activity_without_id_is_skipped_counted_and_logged(project):
    project.sim.inject(kind="missing_id", page=2, times=1)
    lost = project.sim.activities[200 + 100]["id"]  # the middle item of page 2, oldest first
    result = project.sync()
    row = assert_run_row(project, result, "ok")
    assert (row["fetched"], row["inserted"], row["skipped"]) == (1000, 999, 1)
    assert any(line["severity"] == "WARNING" and "without a usable integer id" in line["message"]
               for line in result.logs())
    stored = project.stored()
    assert stored.keys() == project.truth().keys() - {lost}
    assert all(stored[i] == a for i, a in project.truth().items() if i != lost)
    _heals(project, "--full")  # the weekly full listing brings the skipped one in


@pytest.mark.sim(**PAGES)
def test_field_whose_type_changed_loads_with_a_null_column_and_raw_intact(project):
    project.sim.inject(kind="type_change", page=2, times=1)
    changed = project.sim.activities[300]["id"]
    result = project.sync()
    assert_run_row(project, result, "ok")
    assert result.summary["inserted"] == 1000 and result.summary["skipped"] == 0
    assert any(line["severity"] == "WARNING" and f"activity {changed}: distance" in line["message"]
               for line in result.logs())
    distance, raw_distance = project.rows(
        "SELECT distance, raw->>'distance' FROM activities WHERE id = ?", [changed])[0]
    assert distance is None and raw_distance.endswith("km")  # raw is what Strava sent
    truth, stored = project.truth(), project.stored()
    assert all(stored[i] == a for i, a in truth.items() if i != changed)
    assert project.rows("SELECT count(*) FROM activities WHERE distance IS NULL AND id != ?", [changed]) == \
        [(sum(1 for a in truth.values() if a.get("distance") is None),)]
    _heals(project, "--full")  # Strava's corrected value replaces it (raw changed: an update)


@pytest.mark.sim(**PAGES)
def test_function_answers_each_outcome_with_the_right_http_status(project, function_server):
    """The same faults through the real functions-framework server: status code, JSON summary, sync_runs."""
    server = function_server({k: v for k, v in project.env.items() if k.startswith("STRAVA_")})
    steps = [  # (fault, expected HTTP status, run status, error kind, more rows stored after it)
        ({"status": 429, "page": 2, "times": 1}, 200, "partial", "rate_limited", True),
        ({"kind": "html", "page": 2, "times": 1}, 500, "failed", "bad_response", True),  # its page 1 is kept
        ({"status": 502, "page": 1, "times": 4}, 503, "failed", "strava_unavailable", False),
        ({}, 200, "ok", None, True),
    ]
    before = 0
    for fault, http_status, status, kind, grew in steps:
        if fault:
            project.sim.inject(**fault)
        answer = requests.post(server.url, json={}, timeout=60)
        assert answer.status_code == http_status, answer.text
        body = answer.json()
        assert (body["status"], (body["error"] or {}).get("kind")) == (status, kind)
        stored = project.count()
        assert (stored > before) == grew
        assert set(project.stored()) == {a["id"] for a in project.sim.activities[:stored]}  # a prefix: no gap
        before = stored
    assert [(r["status"], r["error_kind"]) for r in project.runs()] == [s[2:4] for s in steps]
    assert_mirrors(project)
