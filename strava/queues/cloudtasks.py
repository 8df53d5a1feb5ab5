"""`cloudtasks:projects/P/locations/L/queues/Q`: tasks that POST a JSON body to the function with OIDC.

Task names come from the caller, so asking twice for the same continuation (a retried run, two runs in
one window) creates one task: Cloud Tasks answers 409 for a name that exists or ran recently. The REST
transport is used (lighter than gRPC at cold start, and reachable by a local fake in tests); Google
libraries are imported lazily.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from strava.errors import ConfigError, QueueError
from strava.gcp import make_client

if TYPE_CHECKING:
    from google.cloud import tasks_v2

EMULATOR_ENV = "CLOUD_TASKS_EMULATOR_HOST"
CALL_TIMEOUT = 10.0  # seconds for one request
RETRY_SECONDS = 20.0  # total time spent retrying transient failures of one call
# How long Cloud Tasks waits for the target's answer before retrying (its maximum): a run may take minutes.
DISPATCH_DEADLINE = timedelta(minutes=30)
ENQUEUER = "roles/cloudtasks.enqueuer"
ACT_AS = "roles/iam.serviceAccountUser"
_QUEUE = re.compile(r"^projects/[a-z0-9][a-z0-9.:-]{0,98}[a-z0-9]/locations/[a-z0-9-]+/queues/[A-Za-z0-9-]{1,100}$")
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_-]")  # task ids allow letters, digits, '-' and '_' (500 at most)


class CloudTasksQueue:
    def __init__(self, queue: str, *, target_url: str, service_account: str,
                 client: tasks_v2.CloudTasksClient | None = None, retry_seconds: float = RETRY_SECONDS) -> None:
        from google.api_core import retry as retries
        from google.cloud import tasks_v2

        self.queue, self.target_url, self.service_account = queue, target_url, service_account
        self.description = f"cloudtasks:{queue}"
        self._retry = retries.Retry(predicate=retries.if_transient_error, initial=0.2, maximum=2.0,
                                    timeout=retry_seconds)
        self.client = client or make_client(tasks_v2.CloudTasksClient, "Cloud Tasks", EMULATOR_ENV,
                                            transport="rest")

    @classmethod
    def from_spec(cls, spec: str, *, target_url: str, service_account: str, **kwargs: Any) -> CloudTasksQueue:
        if not _QUEUE.match(spec):
            raise ConfigError(f"Cloud Tasks queue {spec!r} is not a queue name "
                              "(e.g. STRAVA_TASKS=cloudtasks:projects/P/locations/europe-west1/queues/strava-sync)")
        if not target_url.startswith(("https://", "http://")):
            raise ConfigError(f"the task target {target_url!r} is not an http(s) URL (STRAVA_TASKS_TARGET_URL)")
        if "@" not in service_account:
            raise ConfigError(f"{service_account!r} is not a service account e-mail (STRAVA_TASKS_SERVICE_ACCOUNT)")
        return cls(spec, target_url=target_url, service_account=service_account, **kwargs)

    def task_name(self, name: str) -> str:
        return f"{self.queue}/tasks/{_NOT_IN_NAME.sub('-', name)[:500]}"

    def enqueue(self, name: str, body: dict[str, Any], *, at: datetime | None = None) -> bool:
        from google.api_core.exceptions import Conflict  # HTTP 409: ALREADY_EXISTS over REST

        task: dict[str, Any] = {
            "name": self.task_name(name),
            "dispatch_deadline": DISPATCH_DEADLINE,
            "http_request": {
                "http_method": "POST", "url": self.target_url, "body": json.dumps(body).encode(),
                "headers": {"Content-Type": "application/json"},
                "oidc_token": {"service_account_email": self.service_account, "audience": self.target_url},
            },
        }
        if at is not None:
            task["schedule_time"] = at
        with self._errors():
            try:
                self.client.create_task(request={"parent": self.queue, "task": task}, timeout=CALL_TIMEOUT,
                                        retry=self._retry)
            except Conflict:
                return False
        return True

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Google errors -> ConfigError (a person must act) or QueueError, each saying what failed."""
        from google.api_core import exceptions as gexc
        from google.auth.exceptions import GoogleAuthError

        try:
            yield
        except gexc.NotFound:
            raise ConfigError(f"Cloud Tasks queue {self.queue} does not exist: run `terraform apply`") from None
        except gexc.Forbidden as exc:  # 403 over REST
            role = (f"{ACT_AS} on {self.service_account} (to sign the task's OIDC token)"
                    if "actAs" in str(exc) else f"{ENQUEUER} on queue {self.queue}")
            raise ConfigError(f"permission denied to create a task in {self.queue}: the function's service "
                              f"account needs {role}") from None
        except (gexc.GoogleAPIError, GoogleAuthError) as exc:
            exc = getattr(exc, "cause", None) or exc  # retries given up: the last failure is the news
            raise QueueError(f"Cloud Tasks could not create a task in {self.queue}: "
                             f"{type(exc).__name__}: {getattr(exc, 'message', exc)}") from None
        except OSError as exc:
            raise QueueError(f"Cloud Tasks could not create a task in {self.queue}: cannot reach it "
                             f"({type(exc).__name__})") from None
