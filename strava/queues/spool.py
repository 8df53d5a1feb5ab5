"""`spool:PATH`: the embedded default's task queue, a JSON-lines file the next `sync` run applies first.

Each line is one task `{"name", "body", "at"}`, appended and fsync'ed before `enqueue` returns (the webhook
answers Strava only after that). A name already spooled is not added again, so Strava's retries of one
event land once. Writers and the reader serialise on a lock file beside the spool (flock), so the
reader can rewrite the spool atomically without losing an append made meanwhile.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from strava.durable import replace_file
from strava.errors import QueueError
from strava.settings import Settings

log = logging.getLogger("strava.queues.spool")

SPOOL_NAME = "webhook-events.jsonl"
MAX_TASKS = 1000  # a flood fills this, not the disk: beyond it `enqueue` refuses (Strava retries later)


def spool_path(settings: Settings, env: Mapping[str, str] | None = None) -> Path | None:
    """Where the embedded default spools webhook events: $STRAVA_WEBHOOK_SPOOL, else beside the secrets
    file, else beside the DuckDB file; None when neither is local (the cloud uses Cloud Tasks)."""
    env = os.environ if env is None else env
    if env.get("STRAVA_WEBHOOK_SPOOL"):
        return Path(env["STRAVA_WEBHOOK_SPOOL"])
    for spec, scheme in ((settings.secrets, "file:"), (settings.warehouse, "duckdb:")):
        if spec.startswith(scheme):
            return Path(spec[len(scheme):]).parent / SPOOL_NAME
    return None


class SpoolQueue:
    def __init__(self, path: str | os.PathLike, max_tasks: int = MAX_TASKS) -> None:
        self.path = Path(path)
        self.max_tasks = max_tasks
        self.description = f"spool:{self.path}"

    def enqueue(self, name: str, body: dict[str, Any], *, at: datetime | None = None) -> bool:
        line = json.dumps({"name": name, "body": body, "at": at.isoformat() if at else None}) + "\n"
        with self._locked():
            tasks = self._read()
            if any(task["name"] == name for task in tasks):
                return False
            if len(tasks) >= self.max_tasks:
                raise QueueError(f"{self.description} holds {len(tasks)} tasks (the most it keeps): run "
                                 "`python -m strava sync` to apply them")
            with self._errors("append to"), open(self.path, "a", encoding="utf-8") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
        return True

    def tasks(self) -> list[dict[str, Any]]:
        """Every spooled task, oldest first: `{"name", "body", "at"}`."""
        with self._locked():
            return self._read()

    def remove(self, names: Collection[str]) -> None:
        """Drop tasks once applied (atomic rewrite; appends made meanwhile are kept)."""
        if not names:
            return
        with self._locked():
            keep = [task for task in self._read() if task["name"] not in names]
            with self._errors("rewrite"):
                replace_file(self.path, "".join(json.dumps(task) + "\n" for task in keep))

    def _read(self) -> list[dict[str, Any]]:
        try:
            with self._errors("read"):
                lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:  # nothing spooled yet
            return []
        tasks = []
        for number, text in enumerate(lines, 1):
            try:
                task = json.loads(text)
                if not isinstance(task, dict) or not isinstance(task.get("name"), str):
                    raise ValueError("not a task")
            except ValueError:  # a line torn by a crash mid-append was never acknowledged: Strava resent it
                log.warning("%s line %d is not a task; skipped", self.description, number)
                continue
            tasks.append(task)
        return tasks

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._errors("lock"):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = open(self.path.with_name(self.path.name + ".lock"), "a")  # noqa: SIM115 - held below
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
        finally:
            lock.close()  # releases the lock

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise QueueError(f"could not {action} {self.description}: {exc.strerror or exc}") from None
