"""Cloud Function entry points (functions-framework targets): `run`, POST {} or {"full": true} (or a
Cloud Tasks task's {"webhook_event": {...}}), and `webhook`, Strava's webhook callback.

Thin on purpose: validate the request, run the configured sync, queue its continuation when the rate
limit stopped it with work left (STRAVA_TASKS), answer its JSON summary.
Nothing heavy is imported at module level (cold starts). Settings are read on every request; the
remote clients (BigQuery, Secret Manager) are created on the first request that needs them and reused
by a warm instance, while a DuckDB file and a secrets file are opened per request (and the DuckDB file
closed after it, so a CLI run can open it between requests).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading

from strava.logs import log_context, setup_logging
from strava.trigger import MAX_BODY_BYTES, Rejection, parse_trigger
from strava.webhook import MAX_EVENT_BYTES

setup_logging(json_lines=True, stream=sys.stdout)  # one JSON object per line: what Cloud Logging parses
log = logging.getLogger("strava.main")
_lock = threading.Lock()  # one sync at a time per instance (Cloud Run concurrency is 1 anyway)
_clients: dict[str, object] = {}  # remote warehouse / secret store by spec, kept while the instance is warm
_REUSABLE = ("bigquery:", "secretmanager:")


def run(request):
    body = request.stream.read(MAX_BODY_BYTES + 1) if request.method == "POST" else b""
    options = parse_trigger(request.method, body)
    with log_context(**_trace_fields(request.headers.get("X-Cloud-Trace-Context", ""))):
        if isinstance(options, Rejection):
            log.warning("request rejected (%s): %s", options.status, options.message)
            return _json({"status": "rejected", "error": {"kind": options.kind, "message": options.message}},
                         options.status, dict(options.headers))
        try:
            with _lock:
                summary = _sync(options.full, options.allow_mass_delete, options.webhook_event)
            if options.webhook_event is None:  # a webhook task stopped by the budget is retried by its queue
                _continue(summary)
        except Exception as exc:  # noqa: BLE001 - run_sync never raises: a bug here still answers JSON
            log.exception("sync crashed: %s", type(exc).__name__)
            return _json({"status": "failed", "error": {"kind": "internal", "message": type(exc).__name__}}, 500)
    return _json(summary.to_dict(), _http_status(summary))


def _http_status(summary) -> int:
    """200 when the data is safe (Scheduler must not retry); 5xx so Scheduler's retry policy applies. A
    webhook task stopped by the budget answers 429: Cloud Tasks retries it (backing off past the window
    reset), and an ordinary budget stop does not trip the >= 500 request alert."""
    if summary.status == "ok" or (summary.status == "partial" and summary.mode != "webhook"):
        return 200
    if summary.status == "partial":
        return 429
    return 503 if summary.error["kind"] == "strava_unavailable" else 500


def _sync(full: bool, allow_mass_delete: bool, webhook_event=None):
    from strava.secrets import open_secret_store
    from strava.sync import own_warehouse, run_sync
    from strava.warehouse import open_warehouse

    def lease_warehouse(spec: str):
        if spec.startswith(_REUSABLE):
            return contextlib.nullcontext(_kept(spec, open_warehouse))
        return own_warehouse(spec)

    def open_secrets(spec: str):
        return _kept(spec, open_secret_store) if spec.startswith(_REUSABLE) else open_secret_store(spec)

    return run_sync(full=full, allow_mass_delete=allow_mass_delete, open_secrets=open_secrets,
                    lease_warehouse=lease_warehouse, webhook_events=None if webhook_event is None else [webhook_event])


def webhook(request):
    """Strava's callback: GET answers the subscription check, POST makes a valid event of ours durable
    (Cloud Tasks task or local spool) and answers 200. Never calls Strava or the warehouse: it must
    answer within 2 s. Every outcome is logged."""
    from strava.intake import receive

    body = request.stream.read(MAX_EVENT_BYTES + 1) if request.method == "POST" else b""
    status, payload = receive(request.method, dict(request.args), body, _kept)
    return _json(payload, status, {"Allow": "GET, POST"} if status == 405 else None)


def _continue(summary) -> None:
    """Stopped by a rate window with work left: a Cloud Tasks task runs the next part after the reset."""
    from strava.continuation import continuation, schedule_continuation
    from strava.settings import Settings

    plan = continuation(summary.status, summary.mode, summary.resume_at)
    if plan is not None:
        schedule_continuation(plan, Settings.from_env())


def _kept(spec: str, factory):
    if spec not in _clients:
        _clients[spec] = factory(spec)
    return _clients[spec]


def _trace_fields(header: str) -> dict[str, str]:
    """`TRACE_ID/SPAN_ID;o=1` -> the fields Cloud Logging groups one request's lines by."""
    trace_id = header.split("/", 1)[0].strip()
    if not trace_id:
        return {}
    project = os.environ.get("GOOGLE_CLOUD_PROJECT")
    fields = {"trace_id": trace_id}
    if project:
        fields["logging.googleapis.com/trace"] = f"projects/{project}/traces/{trace_id}"
    return fields


def _json(payload: dict, status: int, headers: dict | None = None):
    return json.dumps(payload, default=str), status, {"Content-Type": "application/json", **(headers or {})}


# --- AWS Lambda ------------------------------------------------------------------------------------------

class ScheduledRunFailed(RuntimeError):
    """Raised for a scheduled (asynchronous) invocation that did not succeed: only an error makes Lambda
    retry it and send it to the dead-letter queue, and counts in the Errors metric the alarms watch."""


class _LambdaRequest:
    """The few attributes of a Flask request that `run` reads, built from a Lambda event."""

    def __init__(self, method: str, body: bytes) -> None:
        import io

        self.method, self.stream = method, io.BytesIO(body)
        self.headers: dict[str, str] = {}


def lambda_handler(event, context):
    """AWS Lambda entry point, for EventBridge Scheduler events (`{}` or `{"full": true, "allow_mass_delete":
    false}`, the options themselves) and function URL requests (payload 2.0: the options as the JSON body,
    base64 when isBase64Encoded). The same validation, sync and status rules as `run`; the answer is
    {"statusCode", "headers", "body"}. A scheduled run that does not answer 200 raises ScheduledRunFailed."""
    # A function URL request carries requestContext or a string body; a scheduled event is only options.
    url_request = isinstance(event, dict) and (isinstance(event.get("requestContext"), dict)
                                               or isinstance(event.get("body"), str))
    with log_context(aws_request_id=getattr(context, "aws_request_id", None)):
        if url_request:
            body = _lambda_body(event)
            method = (event.get("requestContext") or {}).get("http", {}).get("method", "POST")
            if body is None:
                log.warning("request rejected (400): body is not valid base64")
                text, status, headers = _json({"status": "rejected", "error": {
                    "kind": "bad_request", "message": "body is not valid base64"}}, 400)
            else:
                text, status, headers = run(_LambdaRequest(method, body))
        else:
            text, status, headers = run(_LambdaRequest("POST", json.dumps(event).encode()))
    if not url_request and status != 200:
        raise ScheduledRunFailed(f"scheduled sync answered {status}: {text}")
    return {"statusCode": status, "headers": headers, "body": text}


def _lambda_body(event: dict) -> bytes | None:
    """The request body as bytes; None when it claims base64 and is not."""
    import base64
    import binascii

    body = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None
