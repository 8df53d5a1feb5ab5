"""What a task queue offers the sync: run a named task later, with a JSON body."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class TaskQueue(Protocol):
    description: str  # where tasks go, safe to print

    def enqueue(self, name: str, body: dict[str, Any], *, at: datetime | None = None) -> bool:
        """Queue task `name` to deliver `body` (at `at`, or as soon as possible). False when a task of
        that name exists or ran recently: the same continuation asked twice runs once. Raises QueueError."""
