"""A run the rate limit stopped with work left (a backfill, a reconciliation pass) continues just after
the exhausted window resets: the function queues a task for that moment (it must never sleep), the CLI's
`sync --until-done` waits for it with a countdown. A run that finished, or failed, asks for nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from strava.errors import SyncError
from strava.logs import event
from strava.queues import TaskQueue, open_task_queue
from strava.settings import Settings

log = logging.getLogger("strava.continuation")

GRACE = timedelta(seconds=30)  # start this long after the reset: Strava's clock and ours may differ a little


@dataclass(frozen=True)
class Continuation:
    name: str  # one per mode and window: the same continuation asked twice is queued once
    body: dict[str, Any]  # the trigger of the next run (never allow_mass_delete: a person asks for that)
    at: datetime


def continuation(status: str, mode: str, resume_at: datetime | None) -> Continuation | None:
    """What a run that ended with `status` should schedule; None when it is done or cannot tell when."""
    if status != "partial" or resume_at is None:
        return None
    return Continuation(f"strava-{mode}-{resume_at:%Y%m%dT%H%M}Z", {"full": True} if mode == "full" else {},
                        resume_at + GRACE)


def schedule_continuation(plan: Continuation, settings: Settings,
                          open_queue: Callable[..., TaskQueue] = open_task_queue) -> bool | None:
    """Queue `plan` when STRAVA_TASKS is set (None when it is not). A failure is logged, never raised: the
    data is stored, and the next scheduled run continues anyway."""
    if not settings.tasks:
        return None
    try:
        queue = open_queue(settings.tasks, target_url=settings.tasks_target_url,
                           service_account=settings.tasks_service_account)
        created = queue.enqueue(plan.name, plan.body, at=plan.at)
    except SyncError as exc:
        log.error("could not schedule the continuation %s (the next scheduled run continues instead): %s",
                  plan.name, exc)
        return False
    event(log, logging.INFO, "continuation scheduled" if created else "continuation was already scheduled",
          task=plan.name, at=plan.at.isoformat())
    return created
