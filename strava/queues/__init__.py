"""Task queues behind one interface; `open_task_queue` picks one from `STRAVA_TASKS`.

`spool:PATH` is the embedded default's: a local file the next `sync` run applies (strava.queues.spool).

`cloudtasks:projects/P/locations/L/queues/Q` delivers each task as an HTTP POST to `target_url` (the
function), authenticated with an OIDC token of `service_account` (the function's invoker).
"""

from __future__ import annotations

from strava.queues.base import TaskQueue
from strava.settings import split_spec

__all__ = ["TaskQueue", "open_task_queue"]


def open_task_queue(spec: str, *, target_url: str = "", service_account: str = "") -> TaskQueue:
    scheme, rest = split_spec(spec, "STRAVA_TASKS", ("cloudtasks", "spool"))
    if scheme == "spool":
        from strava.queues.spool import SpoolQueue

        return SpoolQueue(rest)
    from strava.queues.cloudtasks import CloudTasksQueue  # Google libraries: lazily

    return CloudTasksQueue.from_spec(rest, target_url=target_url, service_account=service_account)
