"""The core promise, end to end: the real CLI, the simulator over loopback, a real DuckDB file."""

from __future__ import annotations

import json
import math
import signal
from datetime import UTC, datetime, timedelta

import pytest

from tests.harness import pinned_clock
from tests.paths import EXAMPLE_ACTIVITIES

EXAMPLES = EXAMPLE_ACTIVITIES
SUMMARY_KEYS = {"status", "mode", "api_calls", "fetched", "inserted", "updated", "deleted", "token_rotated", "error"}


def assert_mirrors_strava(project) -> None:
    """Same ids, and every stored row equals what Strava holds now (no duplicates possible: id is the key)."""
    stored, truth = project.stored(), project.truth()
    assert stored.keys() == truth.keys()
    assert stored == truth
    assert project.rows("SELECT count(*) - count(DISTINCT id) FROM activities") == [(0,)]


def assert_no_secret_printed(project, *results) -> None:
    secrets = json.loads(project.secrets.read_text())
    for result in results:
        for value in (secrets["client_secret"], secrets["refresh_token"]):
            assert value not in result.stdout + result.stderr


@pytest.mark.sim(activities=3000)
def test_initial_sync_then_no_change(project):
    first = project.sync()
    assert first.code == 0, first.stderr
    assert SUMMARY_KEYS <= first.summary.keys()
    assert first.summary["status"] == "ok" and first.summary["mode"] == "incremental"
    assert first.summary["api_calls"] == 1 + math.ceil(3000 / 200) + 1  # token, pages, the empty page
    assert first.summary["inserted"] == first.summary["fetched"] == 3000
    assert_mirrors_strava(project)

    second = project.sync()
    assert second.code == 0
    assert second.summary["api_calls"] <= 3
    assert (second.summary["inserted"], second.summary["updated"], second.summary["deleted"]) == (0, 0, 0)
    runs = project.rows("SELECT status, mode, api_calls, fetched, inserted FROM sync_runs ORDER BY started_at")
    assert [r[0] for r in runs] == ["ok", "ok"] and runs[0][2:] == (17, 3000, 3000)
    assert_no_secret_printed(project, first, second)


@pytest.mark.sim(activities=400)
def test_new_edited_and_late_uploads_are_picked_up(project):
    assert project.sync().code == 0
    recent = max(project.sim.activities, key=lambda a: a["start_date"])
    project.sim.edit_activity(recent["id"], name="Renamed ride")
    new = project.sim.add_activity(start_date=(datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    late_start = datetime.fromisoformat(recent["start_date"].replace("Z", "+00:00")) - timedelta(days=3)
    late = project.sim.add_activity(start_date=late_start.strftime("%Y-%m-%dT%H:%M:%SZ"))

    result = project.sync()
    assert result.summary["status"] == "ok"
    assert result.summary["inserted"] == 2 and result.summary["updated"] == 1
    stored = project.stored()
    assert stored[recent["id"]]["name"] == "Renamed ride"
    assert {new["id"], late["id"]} <= stored.keys()


@pytest.mark.sim(activities=300)
def test_full_sync_archives_deletions_and_catches_old_edits(project):
    assert project.sync().code == 0
    oldest = min(project.sim.activities, key=lambda a: a["start_date"])
    gone = sorted(project.sim.activities, key=lambda a: a["start_date"])[10:13]
    project.sim.edit_activity(oldest["id"], name="Edited years later")
    for activity in gone:
        project.sim.delete_activity(activity["id"])

    incremental = project.sync()  # the look-back window cannot see either change
    assert incremental.summary["deleted"] == 0
    assert project.stored()[oldest["id"]]["name"] != "Edited years later"

    full = project.sync("--full")
    assert full.code == 0 and full.summary["mode"] == "full"
    assert full.summary["deleted"] == 3 and full.summary["updated"] == 1
    assert_mirrors_strava(project)
    archived = project.rows("SELECT id, raw->>'name' FROM deleted_activities ORDER BY id")
    assert archived == sorted((a["id"], a["name"]) for a in gone)


@pytest.mark.sim(activities=100)
def test_mass_delete_guard(project):
    assert project.sync().code == 0
    for activity in list(project.sim.activities)[:60]:
        project.sim.delete_activity(activity["id"])

    refused = project.sync("--full")
    assert refused.code != 0
    assert refused.summary["status"] == "failed"
    assert refused.summary["error"]["kind"] == "mass_delete_refused"
    assert "--allow-mass-delete" in refused.summary["error"]["message"]
    assert project.rows("SELECT count(*) FROM activities") == [(100,)]

    allowed = project.sync("--full", "--allow-mass-delete")
    assert allowed.code == 0 and allowed.summary["deleted"] == 60
    assert_mirrors_strava(project)


@pytest.mark.sim(activities=20)
def test_empty_listing_never_deletes(project):
    assert project.sync().code == 0
    for activity in list(project.sim.activities):
        project.sim.delete_activity(activity["id"])
    refused = project.sync("--full")
    assert refused.summary["error"]["kind"] == "mass_delete_refused"
    assert project.rows("SELECT count(*) FROM activities") == [(20,)]


@pytest.mark.sim(activities=50, rotate=True)
def test_rotated_refresh_token_is_saved_and_used_next_run(project):
    before = json.loads(project.secrets.read_text())["refresh_token"]
    first = project.sync()
    assert first.summary["status"] == "ok" and first.summary["token_rotated"] is True
    after_first = json.loads(project.secrets.read_text())["refresh_token"]
    assert after_first != before and after_first == project.sim.secrets()["refresh_token"]
    assert project.secrets.stat().st_mode & 0o777 == 0o600

    second = project.sync()
    assert second.summary["status"] == "ok" and second.summary["token_rotated"] is True
    assert json.loads(project.secrets.read_text())["refresh_token"] == project.sim.secrets()["refresh_token"]
    assert project.rows("SELECT bool_and(token_rotated) FROM sync_runs") == [(True,)]
    assert_no_secret_printed(project, first, second)


@pytest.mark.sim(activities=20, rotate=True)
def test_saving_a_rotated_token_keeps_what_the_user_wrote(project):
    """A numeric client_id stays a number, an unknown key stays, only refresh_token changes."""
    written = {**json.loads(project.secrets.read_text()), "note": "athlete: me", "expires": None}
    written["client_id"] = int(written["client_id"])
    project.secrets.write_text(json.dumps(written))
    result = project.sync()
    assert result.summary["token_rotated"] is True, result.summary
    assert json.loads(project.secrets.read_text()) == {**written,
                                                       "refresh_token": project.sim.secrets()["refresh_token"]}
    assert project.secrets.stat().st_mode & 0o777 == 0o600


@pytest.mark.sim(activities=30, rotate=True)
def test_token_rotated_by_another_run_is_recovered(project, tmp_path):
    from strava.secrets.file import FileSecretStore
    from strava.sync import run_sync

    stale = FileSecretStore(project.secrets).read()
    assert project.sync().summary["token_rotated"]  # "another run" rotates and saves

    class StaleAtFirst(FileSecretStore):
        """The other run's save lands while this run watches: its first 3 reads still see the old token."""

        reads = 0

        def read(self):
            self.reads += 1
            return stale if self.reads <= 3 else super().read()

    no_watch = StaleAtFirst(project.secrets)  # the same race without the watch: the token looks dead
    assert run_sync(project.settings(STRAVA_ROTATION_WAIT_SECONDS="0"), secrets=no_watch).error["kind"] == \
        "refresh_token_invalid"
    assert no_watch.reads == 2  # the stale read and one look at the store
    store = StaleAtFirst(project.secrets)
    summary = run_sync(project.settings(STRAVA_ROTATION_WAIT_SECONDS="3"), secrets=store)
    assert summary.status == "ok", summary.error
    assert store.reads >= 4  # the stale read, two stale looks 0.25 s apart, the saved token
    assert FileSecretStore(project.secrets).read().refresh_token == project.sim.secrets()["refresh_token"]


@pytest.mark.sim(activities=1000)
def test_rate_limited_mid_paging_is_partial_and_resumes(project):
    project.sim.inject(kind="status", status=429, page=3, times=1)
    partial = project.sync()
    assert partial.code == 0
    assert partial.summary["status"] == "partial"
    assert partial.summary["error"]["kind"] == "rate_limited"
    assert partial.summary["fetched"] == 400  # pages 1 and 2 kept
    assert project.rows("SELECT count(*) FROM activities") == [(400,)]

    resumed = project.sync()
    assert resumed.summary["status"] == "ok"
    assert_mirrors_strava(project)
    assert resumed.summary["inserted"] == 600


@pytest.mark.sim(activities=3000, read_limits=(10, 1000), clock=pinned_clock)
def test_budget_stops_before_the_read_limit(project):
    result = project.sync(STRAVA_RATE_RESERVE="2")
    assert result.summary["status"] == "partial"
    assert result.summary["error"]["kind"] == "rate_limited"
    assert 0 < result.summary["fetched"] < 3000
    assert project.sim.calls == result.summary["api_calls"]
    assert project.sim.state()["rate"]["read_usage"][0] <= 10 - 2  # stopped short: never refused by Strava
    run = project.rows("SELECT read_usage_15min, read_limit_15min FROM sync_runs")
    assert run[0][1] == 10 and run[0][0] <= 8


@pytest.mark.sim(activities=450)
def test_server_errors_and_timeouts_are_retried(project):
    project.sim.inject(kind="status", status=503, page=2, times=2)
    project.sim.inject(kind="slow", delay=3.0, page=3, times=1)
    result = project.sync()
    assert result.summary["status"] == "ok", result.summary
    assert result.summary["api_calls"] == 1 + 3 + 1 + 2 + 1  # token, 3 pages, empty page, 2 retries, 1 retry
    assert_mirrors_strava(project)


@pytest.mark.sim(activities=450)
def test_persistent_outage_fails_clearly_and_keeps_earlier_pages(project):
    project.sim.inject(kind="status", status=502, page=3, times=100)
    result = project.sync()
    assert result.code != 0
    assert result.summary["error"]["kind"] == "strava_unavailable"
    assert project.rows("SELECT count(*) FROM activities") == [(400,)]


@pytest.mark.parametrize("kind", ["html", "truncated", "not_list"])
@pytest.mark.sim(activities=100)
def test_malformed_answers_are_bad_response_and_store_nothing(project, kind):
    project.sim.inject(kind=kind, page=1, times=10)
    result = project.sync()
    assert result.code != 0
    assert result.summary["status"] == "failed"
    assert result.summary["error"]["kind"] == "bad_response"
    assert project.rows("SELECT count(*) FROM activities") == [(0,)]


@pytest.mark.sim(activities=json.loads(EXAMPLES.read_text()) + [
    {"id": 99, "resource_state": 2, "athlete": {"id": 1}, "name": "No sport", "map": {},
     "start_date": "2024-01-01T10:00:00Z", "start_date_local": "2024-01-01T11:00:00Z"}])
def test_stravas_example_list_and_odd_shapes_load(project):
    result = project.sync()
    assert result.summary["status"] == "ok", result.summary
    assert result.summary["inserted"] == 3
    rows = dict(project.rows("SELECT id, upload_id FROM activities"))
    assert rows[154504250376823] == "987654321234567891234"
    assert project.rows("SELECT sport_type, summary_polyline FROM activities WHERE id = 99") == [(None, None)]
    assert_mirrors_strava(project)


def test_bad_configuration_is_a_config_error(project):
    result = project.sync(STRAVA_LOOKBACK_DAYS="a week")
    assert result.code != 0
    assert result.summary["error"]["kind"] == "config"
    assert "STRAVA_LOOKBACK_DAYS" in result.summary["error"]["message"]
    bad_url = project.sync(STRAVA_API_URL="www.strava.com/api/v3")
    assert bad_url.summary["error"]["kind"] == "config" and "STRAVA_API_URL" in bad_url.summary["error"]["message"]
    missing = project.sync(STRAVA_SECRETS=f"file:{project.secrets}.missing")
    assert missing.summary["error"]["kind"] == "config"
    assert "python -m strava auth" in missing.summary["error"]["message"]


@pytest.mark.sim(activities=1000, latency=0.2)
def test_ctrl_c_mid_sync_is_logged_and_recorded(project):
    from tests.harness import page_requested, wait_until

    proc = project.start()
    wait_until(lambda: page_requested(project.sim, 3), what="page 3")
    proc.send_signal(signal.SIGINT)
    result = project.wait(proc)
    assert result.code == 130, result.stderr[-2000:]
    finished = [line for line in result.logs() if line.get("event") == "sync_finished"]
    assert len(finished) == 1 and (finished[0]["status"], finished[0]["error_kind"]) == ("failed", "interrupted")
    assert project.rows("SELECT status, error_kind FROM sync_runs") == [("failed", "interrupted")]
    assert project.sync().summary["status"] == "ok"  # the next run continues
    assert_mirrors_strava(project)
