"""Fixtures of the fault matrix (helpers live in harness.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.reliability.harness import Project, make_project


@pytest.fixture
def projects(tmp_path: Path):
    """Factory `projects(**StravaSimulator kwargs) -> Project`; simulators stopped at teardown."""
    made: list[Project] = []

    def make(**sim_kwargs: Any) -> Project:
        folder = tmp_path / f"p{len(made)}"
        folder.mkdir()
        made.append(make_project(folder, **sim_kwargs))
        return made[-1]

    yield make
    for project in made:
        project.sim.stop()


@pytest.fixture
def project(projects, request: pytest.FixtureRequest) -> Project:
    """One project; `@pytest.mark.sim(activities=..., rotate=...)` configures its simulator."""
    marker = request.node.get_closest_marker("sim")
    return projects(**(marker.kwargs if marker else {}))
