"""Reading a child process's output in tests without ever waiting forever on it."""

from __future__ import annotations

import queue
import subprocess
import threading

import pytest


def read_line(proc: subprocess.Popen, timeout: float = 30) -> str:
    """The next line of `proc.stdout` (text mode); the test fails if none comes within `timeout` s.

    The read runs in a daemon thread: a child that hangs without printing leaves that thread blocked
    until the child is killed, never the test."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        pytest.fail(f"no line from {proc.args!r:.100} within {timeout:g} s")
