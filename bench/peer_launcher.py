"""Run strava-offline's `sqlite` sync against the simulator (the benchmark's peer).

Runs with .venv-peer's python and never imports our package: the process measured is strava-offline
alone, started as its own CLI would be (click parses the same options). strava-offline hard-codes
https://www.strava.com, so its OAuth2Session gets a requests transport adapter that sends those
requests to the simulator instead; nothing else about it changes.

    .venv-peer/bin/python bench/peer_launcher.py SIM_URL TOKEN_FILE DATABASE [--full]

The client id and secret come from STRAVA_CLIENT_ID / STRAVA_CLIENT_SECRET (strava-offline's own
variables), so they never appear on a command line.
"""

from __future__ import annotations

import sys

import requests
from requests.adapters import HTTPAdapter

STRAVA = "https://www.strava.com"


class RewritingAdapter(HTTPAdapter):
    """Sends https://www.strava.com/... to the simulator's base URL, path and query unchanged."""

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target.rstrip("/")

    def send(self, request: requests.PreparedRequest, *args, **kwargs) -> requests.Response:
        request.url = self.target + str(request.url)[len(STRAVA):]  # prepared: never None
        return super().send(request, *args, **kwargs)


def mount_simulator(target: str) -> None:
    """Every OAuth2Session strava-offline creates from now on talks to `target` for www.strava.com."""
    from strava_offline import strava  # only in .venv-peer

    class SimulatedSession(strava.OAuth2Session):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.mount(STRAVA, RewritingAdapter(target))

    strava.OAuth2Session = SimulatedSession


def main(argv: list[str]) -> int:
    from strava_offline import cli

    sim_url, token_file, database, *rest = argv
    mount_simulator(sim_url)
    args = ["sqlite", "--token-file", token_file, "--database", database, *rest]
    cli.cli.main(args, prog_name="strava-offline", standalone_mode=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
