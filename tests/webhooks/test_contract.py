"""Issue #13's contract through the real functions-framework server (`--target=webhook`), on DuckDB and
BigQuery: Strava (the simulator) delivers events, the function spools them, the next sync applies them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import requests

from tests.paths import ROOT


def _old(world) -> dict:
    """An activity outside the look-back window (the oldest one)."""
    return world.sim.activities[0]


def test_subscribe_keeps_what_the_user_wrote_and_strava_checked_the_callback(engine, hooked) -> None:
    world = hooked(engine)
    stored = world.stored()
    assert stored["note"] == "written by hand" and stored["client_id"] == world.sim.client_id
    assert stored["webhook_subscription_id"] == world.sim.push.current.id
    assert stored["athlete_id"] == world.sim.athlete["id"]
    assert len(stored["webhook_verify_token"]) >= 32
    assert world.sim.push.current.callback_url == world.server.url


def test_events_are_applied_by_the_next_sync_only_as_strava_confirms(engine, hooked) -> None:
    world = hooked(engine)
    sim = world.sim
    before = world.ids()
    long_ago = (datetime.now(UTC) - timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    late = sim.add_activity(start_date=long_ago)  # uploaded now, started outside the look-back window
    edited, deleted, still_there, foreign = (a["id"] for a in sim.activities[1:5])
    with_gear = next(a["id"] for a in sim.activities[5:] if a.get("gear_id"))  # its detail adds `gear`
    sim.edit_activity(edited, name="Renamed by the athlete")
    sim.delete_activity(deleted)

    assert world.deliver(object_id=late["id"], aspect_type="create") == [200]
    assert world.deliver(object_id=edited, updates={"title": "Renamed by the athlete"}) == [200]
    assert world.deliver(object_id=deleted, aspect_type="delete") == [200]
    assert world.deliver(object_id=still_there, aspect_type="delete") == [200]  # forged: Strava still has it
    assert world.deliver(object_id=foreign, aspect_type="delete", subscription_id=999) == [200]  # not ours
    assert world.deliver(object_id=with_gear, updates={"title": "forged"}) == [200]  # Strava: nothing changed
    assert len(world.spooled()) == 5  # the foreign one was answered 200 and dropped

    summary = world.sync()
    assert summary["status"] == "ok", summary
    assert summary["events"] == 5 and summary["deleted"] == 1
    assert (summary["inserted"], summary["updated"]) == (1, 1)  # the late one; the rename rewrote only its row
    assert world.ids() == before - {deleted} | {late["id"]}
    assert world.ids("deleted_activities") == {deleted}
    names = dict(world.query(f"SELECT id, name FROM {{t}}activities WHERE id = {edited}"))
    assert names == {edited: "Renamed by the athlete"}
    assert world.spooled() == []  # applied events leave the spool
    assert world.query("SELECT events FROM {t}sync_runs ORDER BY started_at") == [(0,), (5,)]


def test_retries_of_one_event_are_spooled_once(engine, hooked) -> None:
    world = hooked(engine)
    event = {"object_id": _old(world)["id"], "aspect_type": "update", "event_time": 1_700_000_000}
    assert world.deliver(**event) == [200]
    assert world.deliver(**event) == [200]  # Strava resending (its 200 got lost): same task name
    assert len(world.spooled()) == 1


def test_a_function_that_cannot_spool_answers_5xx_and_strava_retries(engine, hooked) -> None:
    world = hooked(engine)
    world.spool.mkdir()  # the spool path is a folder: appending fails
    assert world.deliver(object_id=_old(world)["id"]) == [503, 503, 503]
    logs = [line for line in world.server.json_logs() if "not accepted" in line.get("message", "")]
    assert len(logs) == 3 and logs[0]["severity"] == "ERROR"


def test_confirmed_deauthorization_deletes_the_athletes_data(engine, hooked, monkeypatch) -> None:
    world = hooked(engine)
    monkeypatch.setenv("STRAVA_STREAMS", "on")  # streams, their metrics and Strava's heart-rate zones too
    assert world.sync()["status"] == "ok"
    assert world.query("SELECT status FROM {t}athlete_zones") == [("ok",)]
    assert world.sim.push.deliveries == []
    answer = requests.post(f"{world.sim.url}/_sim/webhook/deauthorize", timeout=30).json()
    assert answer["attempts"] == [200] and answer["event"]["updates"] == {"authorized": "false"}

    run = subprocess.run([sys.executable, "-m", "strava", "sync"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env={**_environ(), **world.env})
    assert run.returncode == 1, run.stderr
    summary = json.loads(run.stdout.splitlines()[-1])
    assert summary["status"] == "failed" and summary["error"]["kind"] == "deauthorized"
    assert "python -m strava auth" in summary["error"]["message"]
    assert "CRITICAL" in run.stderr
    assert world.ids() == set() and world.ids("deleted_activities") == set()
    for table in ("athlete_zones", "activity_streams", "activity_stream_metrics"):
        assert world.query(f"SELECT count(*) FROM {{t}}{table}") == [(0,)], table
    runs = world.query("SELECT status, error_kind FROM {t}sync_runs ORDER BY started_at")
    assert runs == [("ok", None), ("ok", None), ("failed", "deauthorized")]  # the audit rows stay


def test_forged_deauthorization_changes_nothing(engine, hooked) -> None:
    world = hooked(engine)
    before = world.ids()
    assert world.deliver(object_type="athlete", object_id=world.sim.athlete["id"],
                         updates={"authorized": "false"}) == [200]  # the tokens still work
    summary = world.sync()
    assert summary["status"] == "ok", summary
    assert world.ids() == before and world.spooled() == []


def _environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("STRAVA_")}
