"""Local servers in processes of their own, for the test fixtures (tests/fixtures/) and the benchmark
(bench/services.py) alike, and small local fakes speaking Google's real REST APIs to the real client
libraries (rest.py; Secret Manager, Cloud Tasks). Plain helpers, no pytest: a failed start raises
ServiceError, which a fixture turns into `pytest.fail` and the benchmark lets propagate. A development
tool beside the product, never deployed: the function's source zip holds main.py and strava/ only.

Each server picks its own port (port 0) and says which in its log, so parallel starts never collide.
Output goes to files, never to a pipe nobody drains, so it can be read while the server runs and after.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS_FRAMEWORK = ROOT / ".venv" / "bin" / "functions-framework"
MOTO_SERVER = ROOT / ".venv" / "bin" / "moto_server"  # moto[server], requirements-dev.txt
BQ_VENV = ROOT / ".venv-bqemulator"  # built by `make bqemulator` (scripts/setup-bqemulator.sh)
STOP_TIMEOUT = 10.0
LOG_TAIL = 3000  # characters of output quoted in a ServiceError


class ServiceError(RuntimeError):
    """A server exited, never answered, or cannot be started; the message ends with its output's tail."""


@dataclass
class Service:
    """A started server: its process, its base URL once known, and the files its stdout and stderr go to
    (the same file when merged). A context manager that stops it."""

    name: str
    proc: subprocess.Popen
    stdout_path: Path
    stderr_path: Path
    stop_signal: int = signal.SIGTERM
    url: str = ""

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def output(self) -> str:
        """Everything the server wrote so far (for 'no secret anywhere' checks and error messages)."""
        return self.stdout() if self.stdout_path == self.stderr_path else self.stdout() + self.stderr()

    def json_logs(self) -> list[dict]:
        """stdout lines that are JSON objects (what Cloud Logging would parse)."""
        return [json.loads(line) for line in self.stdout().splitlines() if line.startswith("{")]

    def stop(self) -> None:
        stop(self.proc, self.stop_signal)

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port() -> int:
    """A port free right now (for servers that cannot report the one they bound, such as serve.sh)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> bool:
    """Any HTTP answer (an error status included) means the server is up."""
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def healthy(url: str) -> bool:
    """A 200 answer: for health endpoints, where anything else means not ready yet."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> None:
    """`sig`, then SIGKILL if the process has not exited within `timeout` s. Then SIGKILL whatever is
    left of its process group (spawn() gives each service its own): a worker stuck in a request must
    not outlive its master (gunicorn's workers otherwise linger, orphaned)."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def spawn(name: str, command: Sequence[str], env: Mapping[str, str], cwd: Path, stdout: Path,
          stderr: Path | None = None, stop_signal: int = signal.SIGTERM) -> Service:
    """Start `command`; stderr goes to `stdout` unless given a file of its own."""
    with ExitStack() as files:
        out = files.enter_context(stdout.open("wb"))
        err = subprocess.STDOUT if stderr is None else files.enter_context(stderr.open("wb"))
        proc = subprocess.Popen(list(command), cwd=cwd, env=dict(env), stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    return Service(name, proc, stdout, stderr or stdout, stop_signal)


def wait_until_answering(service: Service, find_url: Callable[[str], str | None], probe: str = "", *,
                         timeout: float, poll: float = 0.1, ready: Callable[[str], bool] = answers) -> Service:
    """Until `find_url(output)` names the server's base URL and `ready(url + probe)` holds. A server that
    exits or runs out of time is stopped and raises ServiceError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.proc.poll() is not None:
            _fail(service, f"exited with {service.proc.returncode}")
        service.url = service.url or find_url(service.output()) or ""
        if service.url and ready(service.url + probe):
            return service
        time.sleep(poll)
    _fail(service, f"not answering after {timeout:.0f} s")


def _fail(service: Service, why: str) -> NoReturn:
    service.stop()
    raise ServiceError(f"{service.name} {why}:\n{service.output()[-LOG_TAIL:]}")


def start_bqemulator(log: Path, *, timeout: float) -> Service:
    """The BigQuery REST emulator (project `test`), run in `log`'s folder; returns once /healthz says 200."""
    binary = BQ_VENV / "bin" / "bqemulator"
    if not binary.exists():
        raise ServiceError(f"{binary} is missing: run `make bqemulator` first")
    env = {**os.environ, "HOME": str(BQ_VENV / "home"),  # where setup installed DuckDB's spatial extension
           "BQEMU_ENABLE_FORMAT_EXTENSIONS": "false", "PYTHONUNBUFFERED": "1"}
    command = [str(binary), "start", "--rest-host", "127.0.0.1", "--rest-port", "0", "--grpc-host", "127.0.0.1",
               "--grpc-port", "0", "--project", "test", "--log-format", "json", "--log-level", "info"]
    service = spawn("bqemulator", command, env, log.parent, log)
    return wait_until_answering(service, _bq_rest_url, "/healthz", timeout=timeout, ready=healthy)


def _bq_rest_url(output: str) -> str | None:
    """From the JSON log line `rest.listen`: the REST port the emulator chose."""
    for line in output.splitlines():
        if line.startswith("{") and '"rest.listen"' in line:
            return f"http://127.0.0.1:{json.loads(line)['port']}"
    return None


def start_functions_framework(base_env: Mapping[str, str], config: Mapping[str, str], folder: Path, *,
                              timeout: float, poll: float = 0.05, target: str = "run") -> Service:
    """`functions-framework --target=TARGET --source=main.py` from the repo root, environment `base_env` then
    `config`; stdout (the function's JSON lines) and stderr (gunicorn's log) in `folder`. Returns once it
    answers `/robots.txt` (a 404 that never calls the function); stopped with SIGINT, gunicorn's quick
    shutdown (SIGTERM's graceful one waits ~2.5 s for idle keep-alives)."""
    command = [str(FUNCTIONS_FRAMEWORK), f"--target={target}", "--source=main.py", "--port", "0", "--host", "127.0.0.1"]
    env = {**base_env, "PYTHONUNBUFFERED": "1",
           "GUNICORN_LOG_LEVEL": "info",  # its `Listening at:` line names the port; stdout stays the function's
           "XDG_RUNTIME_DIR": str(folder),  # gunicorn's control socket: per server, not in $HOME
           **config}
    service = spawn("functions-framework", command, env, ROOT, folder / "stdout.log", folder / "stderr.log",
                    stop_signal=signal.SIGINT)
    return wait_until_answering(service, _gunicorn_url, "/robots.txt", timeout=timeout, poll=poll)


def _gunicorn_url(output: str) -> str | None:
    """Gunicorn's `Listening at: http://127.0.0.1:PORT (pid)`."""
    match = re.search(r"Listening at: (http://[\d.]+:\d+)", output)
    return match.group(1) if match else None


def start_moto(log: Path, *, timeout: float) -> Service:
    """moto in server mode (every AWS service it mocks, one endpoint for AWS_ENDPOINT_URL), run in `log`'s
    folder; returns once it answers."""
    command = [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", "0"]
    service = spawn("moto_server", command, {**os.environ, "PYTHONUNBUFFERED": "1"}, log.parent, log)
    return wait_until_answering(service, _werkzeug_url, "/moto-api/", timeout=timeout)


def _werkzeug_url(output: str) -> str | None:
    """Werkzeug's ` * Running on http://127.0.0.1:PORT`."""
    match = re.search(r"Running on (http://127\.0\.0\.1:\d+)", output)
    return match.group(1) if match else None
