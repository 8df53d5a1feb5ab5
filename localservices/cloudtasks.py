"""A local HTTP server speaking the part of Cloud Tasks' v2 REST API the queue uses, and dispatching.

The real `CloudTasksClient(transport="rest")` talks to it: `POST /v2/projects/P/locations/L/queues/Q/tasks`
with the task (base64 body, OIDC token, RFC 3339 schedule time). Like the real service it answers 404 for
a queue that does not exist and 409 for a task name that exists or already ran, and reports errors as
`{"error": {"code", "message", "status"}}`.

`dispatch_due(now)` does what the service does at each task's schedule time: POST its body to its URL with
its headers and a bearer token standing for the OIDC token (`oidc:<service account>|<audience>`).
Faults: `fail("create", status, message)`; `requests` records what was called.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

from localservices.rest import ApiError, LocalService

CREATE = re.compile(r"/v2/(projects/[^/]+/locations/[^/]+/queues/[^/]+)/tasks")
GET = re.compile(r"/v2/(projects/[^/]+/locations/[^/]+/queues/[^/]+/tasks/[^/]+)")


@dataclass
class Task:
    name: str
    url: str
    body: dict[str, Any]
    headers: dict[str, str]
    service_account: str
    audience: str
    schedule_time: datetime | None
    dispatch_deadline: str | None = None  # as sent, e.g. "1800s"

    @property
    def id(self) -> str:
        return self.name.rsplit("/", 1)[-1]


class FakeCloudTasks(LocalService):
    """The service's state; `url` is what CLOUD_TASKS_EMULATOR_HOST gets."""

    def __init__(self, *queues: str) -> None:
        self.queues: set[str] = set(queues)
        self.tasks: dict[str, Task] = {}  # waiting, by full name
        self.done: list[Task] = []  # dispatched: their names stay taken, as on the real service
        self.faults: dict[str, tuple[int, str]] = {}
        self.requests: list[tuple[str, str]] = []  # (operation, resource name)
        super().__init__()

    def fail(self, operation: str, status: int, message: str = "") -> None:
        self.faults[operation] = (status, message or f"injected failure of {operation}")

    def waiting(self) -> list[Task]:
        with self._lock:
            return sorted(self.tasks.values(), key=lambda t: (t.schedule_time is not None, t.schedule_time))

    def dispatch_due(self, now: datetime, timeout: float = 120, url: str | None = None) -> list[requests.Response]:
        """POST every task due at `now` (oldest schedule first), as the queue would; each runs once. `url`
        replaces the tasks' own target (a local server's port is only known once it runs)."""
        answers = []
        for task in self.waiting():
            if task.schedule_time is not None and task.schedule_time > now:
                continue
            with self._lock:
                self.done.append(self.tasks.pop(task.name))
            token = f"oidc:{task.service_account}|{task.audience}"
            answers.append(requests.post(url or task.url, data=json.dumps(task.body), timeout=timeout,
                                         headers={**task.headers, "Authorization": f"Bearer {token}"}))
        return answers

    # --- the API -----------------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: dict[str, Any]) -> dict:
        create, get = CREATE.fullmatch(path), GET.fullmatch(path)
        operation = "create" if method == "POST" and create else "get" if method == "GET" and get else None
        if operation is None:
            raise ApiError(404, f"no route for {method} {path}")
        name = (create or get).group(1)  # type: ignore[union-attr]
        self.requests.append((operation, name))
        if operation in self.faults:
            raise ApiError(*self.faults[operation])
        with self._lock:
            return self._create(name, body.get("task") or {}) if create else self._get(name)

    def _get(self, name: str) -> dict:
        if name not in self.tasks:
            raise ApiError(404, f"Task {name} not found")
        return {"name": name}

    def _create(self, queue: str, task: dict[str, Any]) -> dict:
        if queue not in self.queues:
            raise ApiError(404, f"Queue {queue} does not exist (or the caller may not see it).")
        name = task.get("name", "")
        if not re.fullmatch(re.escape(queue) + r"/tasks/[A-Za-z0-9_-]{1,500}", name):
            raise ApiError(400, f"invalid task name {name!r}")
        if name in self.tasks or any(t.name == name for t in self.done):
            raise ApiError(409, "Requested entity already exists")
        http = task.get("httpRequest") or {}  # enums arrive as numbers ($alt=json;enum-encoding=int): POST is 1
        oidc = http.get("oidcToken") or {}
        if http.get("httpMethod") not in ("POST", 1) or not http.get("url") or not oidc.get("serviceAccountEmail"):
            raise ApiError(400, f"the fake expects an HTTP POST task with an OIDC token, got {task}")
        when = task.get("scheduleTime")
        self.tasks[name] = Task(
            name=name, url=http["url"], body=json.loads(base64.b64decode(http.get("body", ""))),
            headers=http.get("headers") or {}, service_account=oidc["serviceAccountEmail"],
            audience=oidc.get("audience") or http["url"],
            schedule_time=datetime.fromisoformat(when.replace("Z", "+00:00")) if when else None,
            dispatch_deadline=task.get("dispatchDeadline"))
        return {"name": name, **({"scheduleTime": when} if when else {})}
