"""`main.lambda_handler` as Lambda calls it, in a fresh interpreter (main.py sets up JSON logging), against
the simulator, moto's S3 and Secrets Manager: EventBridge Scheduler events and function URL requests."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

from strava.warehouse.s3 import S3Warehouse
from tests.paths import ROOT

# Calls the handler once per event; prints one JSON line per answer (or per exception raised).
CALL = """
import json, sys, types
import main
for event in json.load(sys.stdin):
    try:
        print("ANSWER " + json.dumps(main.lambda_handler(event, types.SimpleNamespace(aws_request_id="req-1"))))
    except Exception as exc:
        print("ANSWER " + json.dumps({"raised": type(exc).__name__, "message": str(exc)}))
"""


def handle(events: list, env: dict) -> list[dict]:
    proc = subprocess.run([sys.executable, "-c", CALL], input=json.dumps(events), cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line[7:]) for line in proc.stdout.splitlines() if line.startswith("ANSWER ")]


def url_event(body: str, method: str = "POST", encoded: bool = False) -> dict:
    """A function URL request, payload format 2.0 (the fields the handler reads)."""
    if encoded:
        body = base64.b64encode(body.encode()).decode()
    return {"version": "2.0", "rawPath": "/", "headers": {"content-type": "application/json"}, "body": body,
            "isBase64Encoded": encoded, "requestContext": {"http": {"method": method, "path": "/"}}}


def test_scheduler_and_function_url_events(make_simulator, aws_env, lake, secretsmanager, secret_name):
    sim = make_simulator(activities=60, seed=3)
    secretsmanager.create_secret(Name=secret_name, SecretString=json.dumps(sim.secrets()))
    env = {"PATH": "/usr/bin:/bin", **aws_env, "STRAVA_SECRETS": f"awssecrets:{secret_name}",
           "STRAVA_WAREHOUSE": lake, "STRAVA_API_URL": sim.api_url, "STRAVA_OAUTH_URL": sim.oauth_url}
    scheduled, url_full, not_json, get, bad_base64, unknown, bare = handle([
        {}, url_event('{"full": true, "allow_mass_delete": false}', encoded=True), url_event("{nope"),
        url_event("", method="GET"), url_event("!!") | {"isBase64Encoded": True}, {"fulll": True},
        {"body": "{nope"}], env)

    assert scheduled["statusCode"] == 200 and scheduled["headers"]["Content-Type"] == "application/json"
    assert json.loads(scheduled["body"])["inserted"] == 60
    assert url_full["statusCode"] == 200
    assert json.loads(url_full["body"])["mode"] == "full"
    assert (not_json["statusCode"], json.loads(not_json["body"])["error"]["kind"]) == (400, "bad_request")
    assert (get["statusCode"], get["headers"]["Allow"]) == (405, "POST")
    assert bad_base64["statusCode"] == 400 and "base64" in bad_base64["body"]
    assert unknown["raised"] == "ScheduledRunFailed" and "400" in unknown["message"]
    assert bare["statusCode"] == 400  # a request without requestContext is still a request: answered, not raised


def test_a_scheduled_run_refused_by_the_lock_raises_so_lambda_retries(make_simulator, aws_env, lake,
                                                                      secretsmanager, secret_name):
    sim = make_simulator(activities=5, seed=3)
    secretsmanager.create_secret(Name=secret_name, SecretString=json.dumps(sim.secrets()))
    env = {"PATH": "/usr/bin:/bin", **aws_env, "STRAVA_SECRETS": f"awssecrets:{secret_name}",
           "STRAVA_WAREHOUSE": lake, "STRAVA_API_URL": sim.api_url, "STRAVA_OAUTH_URL": sim.oauth_url}
    holder = S3Warehouse.from_spec(lake.removeprefix("s3:"))
    holder.setup()  # another run holds the lake
    try:
        (scheduled, by_url) = handle([{"full": True}, url_event("{}")], env)
    finally:
        holder.close()
    assert scheduled["raised"] == "ScheduledRunFailed" and "locked by another sync run" in scheduled["message"]
    assert by_url["statusCode"] == 500 and json.loads(by_url["body"])["error"]["kind"] == "warehouse"
    assert holder.activity_ids() == set()
