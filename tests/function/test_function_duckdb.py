"""The function as Cloud Scheduler reaches it: HTTP to the real functions-framework server, the simulator
as Strava, the embedded DuckDB warehouse."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from tests.function.conftest import FAST_FAILURE, PROJECT, SUMMARY_KEYS, TRACE_HEADER, TRACE_ID

DEFAULT = {"activities": 120, "seed": 3}


def test_post_syncs_everything_and_answers_the_summary(deploy) -> None:
    d = deploy(DEFAULT)
    answer = d.post({})
    assert answer.status == 200, answer.text
    assert answer.headers["Content-Type"] == "application/json"
    assert SUMMARY_KEYS <= answer.body.keys()
    assert answer.body["status"] == "ok" and answer.body["mode"] == "incremental" and answer.body["error"] is None
    assert answer.body["inserted"] == answer.body["fetched"] == 120
    assert answer.body["api_calls"] == 3  # token, one page of 120, the empty page
    assert d.stored_ids() == d.truth_ids()
    assert d.rows("SELECT run_id, status FROM sync_runs") == [(answer.body["run_id"], "ok")]

    d.sim.add_activity()
    empty = d.post(b"")  # an empty body is a default sync too
    assert empty.status == 200, empty.text
    assert empty.body["mode"] == "incremental" and (empty.body["inserted"], empty.body["updated"]) == (1, 0)
    bare = d.post(None, headers={"Content-Type": ""})  # no body, no content type
    assert bare.status == 200 and (bare.body["inserted"], bare.body["updated"]) == (0, 0)
    assert d.stored_ids() == d.truth_ids()


REJECTED = [
    # (method, body, status, a word the error message must contain): hostile bodies included
    ("POST", b"{", 400, "JSON"),
    ("POST", b'{"full": true', 400, "JSON"),
    ("POST", b"full=true", 400, "JSON"),
    ("POST", b"{}" * 3, 400, "JSON"),
    ("POST", b"\x00" * 100, 400, "JSON"),
    ("POST", b"\xff\xfe\xfa", 400, "JSON"),
    ("POST", b"[" * 50_000, 400, "JSON"),  # deep nesting: json.loads raises RecursionError, not ValueError
    ("POST", b"[]", 400, "object"),
    ("POST", b'"full"', 400, "object"),
    ("POST", b"null", 400, "object"),
    ("POST", b"1e999", 400, "object"),
    ("POST", b'{"full": true, "dry_run": true}', 400, "dry_run"),
    ("POST", b'{"__proto__": {"full": true}}', 400, "__proto__"),
    ("POST", b'{"FULL": true}', 400, "FULL"),
    ("POST", b'{"full": "yes"}', 400, "full"),
    ("POST", b'{"full": NaN}', 400, "full"),
    ("POST", '{"full": "\u2028"}'.encode(), 400, "full"),
    ("POST", b'{"allow_mass_delete": 1}', 400, "allow_mass_delete"),
    ("POST", b" " * (65 * 1024) + b"{}", 413, "64 KiB"),
    ("GET", None, 405, "POST"),
    ("PUT", b"{}", 405, "POST"),
    ("DELETE", None, 405, "POST"),
]
REJECTED_KINDS = {400: "bad_request", 405: "method_not_allowed", 413: "body_too_large"}


def test_rejected_requests_answer_a_json_error_and_sync_nothing(deploy) -> None:
    d = deploy(DEFAULT)
    for method, body, status, word in REJECTED:
        case = f"{method} {body[:20] if body else body!r}"
        answer = d.post(body, method=method)
        assert answer.status == status, f"{case}: {answer.status} {answer.text[:300]}"
        assert answer.headers["Content-Type"] == "application/json", case
        assert answer.body["status"] == "rejected" and answer.body["error"]["kind"] == REJECTED_KINDS[status], case
        assert word in answer.body["error"]["message"], f"{case}: {answer.body}"
        if status == 405:
            assert answer.headers["Allow"] == "POST", case
    assert d.sim.request_log == []  # Strava never called
    assert not d.db.exists()  # the warehouse never opened


def test_persistent_strava_outage_is_a_503_naming_it(deploy) -> None:
    d = deploy(DEFAULT, **FAST_FAILURE)
    d.sim.inject(status=502, times=None)
    answer = d.post({})
    assert answer.status == 503, answer.text  # the one failure Cloud Scheduler's retries can cure
    assert answer.body["status"] == "failed"
    assert answer.body["error"]["kind"] == "strava_unavailable"
    assert d.sim.calls >= 3  # retried before giving up
    d.sim.reset_faults()  # Strava is back: the next run catches up
    assert d.post({}).status == 200 and d.stored_ids() == d.truth_ids()


def test_dead_refresh_token_is_a_500_logged_with_what_to_do(deploy) -> None:
    d = deploy(DEFAULT, refresh_token="revoked-long-ago")
    answer = d.post({})
    assert answer.status == 500, answer.text
    assert answer.body["status"] == "failed"
    assert answer.body["error"]["kind"] == "refresh_token_invalid"
    assert "python -m strava auth" in answer.body["error"]["message"]
    final = [e for e in d.server.json_logs() if e.get("event") == "sync_finished"]
    assert len(final) == 1 and final[0]["severity"] in ("CRITICAL", "ERROR")
    assert "python -m strava auth" in final[0]["message"]
    assert [p for _, p, _ in d.sim.request_log if p.startswith("/api/v3/athlete")] == []


def test_full_sync_reconciles_a_deletion(deploy) -> None:
    d = deploy(DEFAULT)
    assert d.post({}).status == 200
    gone = d.truth_ids()[40]
    d.sim.delete_activity(gone)
    incremental = d.post({})
    assert incremental.body["deleted"] == 0 and gone in d.stored_ids()  # only a full listing proves a deletion
    full = d.post({"full": True})
    assert full.status == 200, full.text
    assert full.body["mode"] == "full" and full.body["deleted"] == 1
    assert d.stored_ids() == d.truth_ids()
    assert d.rows("SELECT id FROM deleted_activities") == [(gone,)]


def test_mass_delete_needs_the_option(deploy) -> None:
    d = deploy(DEFAULT)
    assert d.post({}).status == 200
    for activity_id in d.truth_ids()[:100]:
        d.sim.delete_activity(activity_id)
    refused = d.post({"full": True})
    assert refused.status == 500 and refused.body["error"]["kind"] == "mass_delete_refused"
    assert len(d.stored_ids()) == 120
    allowed = d.post({"full": True, "allow_mass_delete": True})  # each deletion is confirmed by one GET:
    assert allowed.status == 200 and allowed.body["status"] == "partial"  # 100 exceed the window's budget
    d.sim.advance_clock(900)  # the next window: the pass continues where it stopped
    rest = d.post({"full": True, "allow_mass_delete": True})
    assert rest.status == 200 and rest.body["status"] == "ok"
    assert allowed.body["deleted"] + rest.body["deleted"] == 100
    assert d.stored_ids() == d.truth_ids()


def test_concurrent_posts_all_succeed_without_duplicates(deploy) -> None:
    d = deploy({"activities": 600, "seed": 5})
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: d.post({}), range(4)))
    assert [a.status for a in answers] == [200] * 4, [a.text for a in answers]
    assert sum(a.body["inserted"] for a in answers) == 600  # each activity inserted exactly once
    assert len({a.body["run_id"] for a in answers}) == 4
    assert d.rows("SELECT count(*), count(DISTINCT id) FROM activities") == [(600, 600)]
    assert d.stored_ids() == d.truth_ids()
    assert d.rows("SELECT count(*) FROM sync_runs WHERE status = 'ok'") == [(4,)]


def test_logs_are_json_lines_carrying_run_and_trace_ids(deploy) -> None:
    d = deploy(DEFAULT)
    answer = d.post({}, headers={"X-Cloud-Trace-Context": TRACE_HEADER})
    untraced = d.post({})  # the trace id must not leak into the next request's lines
    assert answer.status == untraced.status == 200
    lines = [line for line in d.server.stdout().splitlines() if line.strip()]
    assert lines, "the function logged nothing"
    entries = [json.loads(line) for line in lines]  # every stdout line is one JSON object
    for entry in entries:
        assert entry["severity"] in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") and entry["message"]
    run = [e for e in entries if e.get("run_id") == answer.body["run_id"]]
    assert len(run) >= 2  # at least "listing activities" and "sync finished"
    for entry in run:
        assert entry["trace_id"] == TRACE_ID
        assert entry["logging.googleapis.com/trace"] == f"projects/{PROJECT}/traces/{TRACE_ID}"
    final = [e for e in run if e.get("event") == "sync_finished"]
    assert len(final) == 1 and final[0]["severity"] == "INFO" and final[0]["inserted"] == 120
    later = [e for e in entries if e.get("run_id") == untraced.body["run_id"]]
    assert later and all("trace_id" not in e and "logging.googleapis.com/trace" not in e for e in later)


def test_no_secret_in_any_answer_or_log(deploy) -> None:
    d = deploy({**DEFAULT, "rotate": True}, **FAST_FAILURE)  # rotation: old and new refresh tokens
    before = d.secret_values()
    d.post({})
    d.post({"full": True})
    d.sim.inject(status=401, times=None)  # a refused access token: error paths log too
    d.post({})
    d.sim.reset_faults()
    d.sim.revoke_refresh_token()
    d.post({})
    assert d.answers[0].body["token_rotated"] is True
    access_tokens = _access_tokens(d)
    assert access_tokens, "no access token to look for"
    secrets = set(before + d.secret_values() + access_tokens)
    seen = d.server.output() + "".join(a.text for a in d.answers)
    for value in secrets:
        assert value not in seen


def _access_tokens(d) -> list[str]:
    """Access tokens the simulator issued (a private map: it has no public accessor for them)."""
    return [token for token in d.sim._access if len(token) >= 8]
