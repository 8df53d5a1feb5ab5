"""No secret anywhere: the matrix's scenarios replayed with recognisable secret values.

The client secret and the first refresh token are recognisable strings; every later refresh token
(`sim-refresh-N-<hex>`) and every access token (40 hex digits, `secrets.token_hex(20)`) is recorded by
the simulator as it issues them. Strava is made to echo secrets back in error bodies, the nastiest
case. Then every captured stdout, stderr, log line, HTTP answer and warehouse table is searched.
"""

from __future__ import annotations

import pytest
import requests

from strava.simulator.server import INACTIVE, MISSING_SCOPE

CLIENT_SECRET = "SECRET-CLIENT-a1b2"
FIRST_REFRESH = "SECRET-REFRESH-0-a1b2"


def _echo(*secrets: str) -> dict:
    """A Strava Fault whose text repeats what it was sent (a misbehaving proxy or API)."""
    text = " ".join(secrets)
    return {"message": f"Bad Request: {text}", "errors": [{"resource": text, "field": text, "code": "invalid"}]}


@pytest.mark.sim(activities=450, rotate=True, client_secret=CLIENT_SECRET, refresh_token=FIRST_REFRESH)
def test_no_secret_in_any_output_answer_or_table(project, function_server):
    sim, answers = project.sim, []
    cli_faults = [
        {},  # a clean run
        {"status": 503, "page": 2, "times": 2},
        {"kind": "reset", "page": 1, "times": 1},
        {"status": 429, "page": 2, "times": 1},
        {"kind": "html", "page": 1, "times": 1},
        {"kind": "truncated", "page": 1, "times": 1},
        {"kind": "type_change", "page": 1, "times": 1},
        {"kind": "missing_id", "page": 1, "times": 1},
        {"path_prefix": "/oauth/token", "status": 500, "times": 4},
    ]
    for fault in cli_faults:
        if fault:
            sim.inject(**fault)
        project.sync()
    # Strava echoing what it was sent: the client secret and refresh token, then the access token.
    sim.inject("/oauth/token", status=400, body=_echo(CLIENT_SECRET, project.token()), times=1)
    assert project.sync().kind == "bad_response"
    reused = project.sync("--full")  # Strava hands back the same access token while it has > 1 h left
    assert reused.summary["status"] == "ok"
    access = sim.access_tokens[-1]
    assert len(access) == 40 and sim.access_tokens.count(access) > 1
    sim.inject(status=401, body=_echo(access), page=1, times=1)  # what that request carried
    echoed = project.sync()
    assert echoed.kind == "refresh_token_invalid" and "[redacted]" in echoed.summary["error"]["message"]
    sim.inject(status=401, body=MISSING_SCOPE, page=1, times=1)
    assert project.sync().kind == "missing_scope"

    server = function_server({k: v for k, v in project.env.items() if k.startswith("STRAVA_")})
    sim.add_activity()
    answers.append(requests.post(server.url, json={}, timeout=30))
    sim.inject(status=403, body=INACTIVE, page=1, times=1)
    answers.append(requests.post(server.url, json={"full": True}, timeout=30))
    answers.append(requests.post(server.url, data=b'{"full": "SECRET-REFRESH-in-body"}', timeout=30))
    sim.revoke_refresh_token()
    answers.append(requests.post(server.url, json={}, timeout=30))
    assert [a.status_code for a in answers] == [200, 500, 400, 500]

    secrets = {CLIENT_SECRET, FIRST_REFRESH, *sim.issued}
    assert len(secrets) >= 10  # the scenarios really issued and rotated tokens
    texts = {"cli": "\n".join(project.outputs), "function": server.output(),
             "answers": "\n".join(a.text for a in answers), "warehouse": project.dump()}
    for where, text in texts.items():
        found = sorted(s[:12] + "..." for s in secrets if s in text)
        assert not found, f"secrets in {where}: {found}"
        assert "SECRET-" not in text.replace("SECRET-REFRESH-in-body", ""), where
