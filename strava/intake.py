"""The webhook function's side of an event: check it, make it durable, answer Strava (main.webhook).

Durable means a Cloud Tasks task when `STRAVA_TASKS` names a queue (the cloud: the task POSTs the event
to the sync function a few minutes later, when streams are ready), else the local spool the next `sync`
applies first (the embedded default). Task names come from the event, so Strava's retries land once.
Nothing here calls Strava or the warehouse: the answer must reach Strava within 2 s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from strava.errors import ConfigError, SyncError
from strava.logs import event as log_event
from strava.queues import TaskQueue, open_task_queue
from strava.queues.spool import SpoolQueue, spool_path
from strava.secrets import SecretStore, WebhookConfig, open_secret_store
from strava.settings import Settings
from strava.webhook import Answer, challenge, foreign, parse_event

log = logging.getLogger("strava.webhook")

TASK_DELAY = timedelta(minutes=3)  # Strava's streams are often not ready when `create` arrives
REMOTE = ("secretmanager:", "cloudtasks:")
Kept = Callable[[str, Callable[[str], Any]], Any]  # main's cache of remote clients, by spec


def receive(method: str, query: Mapping[str, str], body: bytes, kept: Kept) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) for one callback request."""
    try:
        settings = Settings.from_env()
        if method == "GET":
            answer = challenge(query, _config(settings, kept))
            log_event(log, logging.INFO if answer.status == 200 else logging.WARNING,
                      "webhook: subscription check", status=answer.status)
            return answer.status, answer.body
        if method != "POST":
            return 405, {"error": f"method {method} not allowed: use GET or POST"}
        return _event(settings, body, kept)
    except SyncError as exc:  # not durable: a 5xx makes Strava retry (3 attempts in all)
        log.error("webhook: event not accepted (%s): %s", exc.kind, exc)
        return 503, {"error": exc.kind}


def _event(settings: Settings, body: bytes, kept: Kept) -> tuple[int, dict[str, Any]]:
    parsed = parse_event(body)
    if isinstance(parsed, Answer):
        log_event(log, logging.WARNING, "webhook: malformed event rejected", status=parsed.status,
                  reason=parsed.body["error"])
        return parsed.status, parsed.body
    fields = {"object_type": parsed.object_type, "object_id": parsed.object_id, "aspect_type": parsed.aspect_type}
    reason = foreign(parsed, _config(settings, kept))
    if reason:  # 200 all the same: Strava would retry anything else
        log_event(log, logging.WARNING, f"webhook: event ignored, {reason}", **fields)
        return 200, {"status": "ignored"}
    queue = _queue(settings, kept)
    created = queue.enqueue(parsed.task_name, {"webhook_event": parsed.to_dict()},
                            at=datetime.now(UTC) + TASK_DELAY)
    status = "queued" if created else "duplicate"
    log_event(log, logging.INFO, f"webhook: event {status}", queue=queue.description, **fields)
    return 200, {"status": status}


def _config(settings: Settings, kept: Kept) -> WebhookConfig:
    store: SecretStore = (kept(settings.secrets, open_secret_store) if settings.secrets.startswith(REMOTE)
                          else open_secret_store(settings.secrets))
    return store.read_webhook()


def _queue(settings: Settings, kept: Kept) -> TaskQueue:
    if settings.tasks:
        return kept(settings.tasks, lambda spec: open_task_queue(
            spec, target_url=settings.tasks_target_url, service_account=settings.tasks_service_account))
    path = spool_path(settings)
    if path is None:
        raise ConfigError("no queue for webhook events: set STRAVA_TASKS=cloudtasks:projects/P/locations/L/"
                          "queues/Q (the cloud) or use a file: secret store or duckdb: warehouse (local spool)")
    return SpoolQueue(path)
