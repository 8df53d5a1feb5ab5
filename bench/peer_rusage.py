"""Run one command and report its wall time (process start to exit) and peak RSS, as one JSON line.

A small process of its own on purpose: a child's ru_maxrss starts from the high-water mark of the
process it was forked from, so forking the measured command from the benchmark (hundreds of MB)
would report the benchmark's memory, not the command's. This process imports only the standard
library (≈ 10 MB), far below anything it measures.

    python bench/peer_rusage.py STDOUT_FILE STDERR_FILE -- COMMAND [ARG ...]

The command's environment is this process's; its output goes to the two files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def measure(command: list[str], stdout: str, stderr: str) -> dict[str, float | int]:
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # the child's own rusage, reaped here
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4: tell Popen so it never waits
    return {"wall_s": wall, "rss_mb": usage.ru_maxrss / 1024, "returncode": proc.returncode,  # KiB on Linux
            "cpu_s": usage.ru_utime + usage.ru_stime}


def main(argv: list[str]) -> int:
    stdout, stderr, separator, *command = argv
    if separator != "--" or not command:
        raise SystemExit(__doc__)
    print(json.dumps(measure(command, stdout, stderr)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
