"""The simulator's own tests run on a pinned clock: usage counts never meet a rate window rolling over."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from strava.simulator import StravaSimulator
from tests.simulator.helpers import FakeClock


@pytest.fixture
def simulator(make_simulator: Callable[..., StravaSimulator]) -> StravaSimulator:
    """300 activities, seed 1, started, at FakeClock's fixed time."""
    return make_simulator(activities=300, seed=1, clock=FakeClock())
