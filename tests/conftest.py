"""Shared fixtures live in tests/fixtures/<area>.py, one module per real component."""

import os
from pathlib import Path

# No test reaches the internet: weather (on by default, Open-Meteo) stays off unless a test points it at the
# local Open-Meteo simulator (tests/fixtures/openmeteo.py). Streams (on by default) cost one Strava read per
# activity: off unless a test turns them on, so call counts stay the listing's. Subprocesses inherit this.
os.environ["STRAVA_WEATHER"] = "off"
os.environ["STRAVA_STREAMS"] = "off"

pytest_plugins = sorted(
    f"tests.fixtures.{p.stem}" for p in (Path(__file__).parent / "fixtures").glob("*.py") if p.stem != "__init__"
)
