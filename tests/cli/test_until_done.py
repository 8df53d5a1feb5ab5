"""`python -m strava sync --until-done`: stopped by the rate window, it counts down to the reset and
continues until the work is done. Time passes through the CLI's injectable clock and sleep (no waiting):
each second slept moves the CLI's clock, and reaching the reset moves the simulator to its next window."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from strava import cli
from tests.harness import pinned_clock


class Time:
    def __init__(self) -> None:
        self.now, self.slept = datetime.now(UTC), 0.0

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += timedelta(seconds=seconds)


@pytest.mark.sim(activities=900, seed=4, clock=pinned_clock, read_limits=(6, 1000))  # 3 pages a window
def test_until_done_waits_with_a_countdown_and_finishes_the_backfill(project, monkeypatch, capsys) -> None:
    for name in ("STRAVA_API_URL", "STRAVA_OAUTH_URL", "STRAVA_SECRETS", "STRAVA_WAREHOUSE"):
        monkeypatch.setenv(name, project.env[name])
    clock = Time()
    runs_before_wait: list[int] = []

    def sleep(seconds: float) -> None:
        if not runs_before_wait or runs_before_wait[-1] != project.sim.calls:
            runs_before_wait.append(project.sim.calls)
            project.sim.advance_clock(900)  # Strava's window resets while the CLI waits
        clock.sleep(seconds)

    monkeypatch.setattr(cli, "SLEEP", sleep)
    monkeypatch.setattr(cli, "CLOCK", lambda: clock.now)
    assert cli.main(["sync", "--until-done"]) == 0
    out, err = capsys.readouterr()
    summaries = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [s["status"] for s in summaries] == ["partial", "ok"]  # 5 pages and the empty one, 3 per window
    assert sum(s["inserted"] for s in summaries) == 900 and project.count() == 900
    assert "Strava's rate window resets: continuing at" in err and len(runs_before_wait) == 1
    assert 0 < clock.slept <= 15 * 60 + 30  # never more than a window and the grace


@pytest.mark.sim(activities=900, seed=4, clock=pinned_clock, read_limits=(6, 1000))
def test_without_until_done_a_stopped_run_returns_at_once(project) -> None:
    result = project.sync()
    assert (result.code, result.summary["status"]) == (0, "partial")
    assert "continuing at" not in result.stderr
