"""Starting, stopping and concurrent use."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from strava.simulator import StravaSimulator
from tests.simulator.helpers import access_token, list_activities


def test_context_manager_serves_then_refuses_connections() -> None:
    with StravaSimulator(activities=3) as sim:
        url = sim.url
        assert requests.get(url + "/_sim/state", timeout=5).json()["activities"] == 3
        session = requests.Session()  # a kept-alive connection must not keep the server alive
        session.get(url + "/_sim/state", timeout=5)
    with pytest.raises(requests.ConnectionError):
        session.get(url + "/_sim/state", timeout=5)


def test_serve_forever_in_the_foreground_until_stop() -> None:
    sim = StravaSimulator(activities=3).bind()
    thread = threading.Thread(target=sim.serve_forever)
    thread.start()
    assert requests.get(sim.api_url + "/athlete", timeout=5).status_code == 401
    sim.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_concurrent_pages_and_edits_stay_consistent(simulator) -> None:
    token = access_token(simulator)
    truth = simulator.activities

    def page(n: int) -> tuple[int, list[dict]]:
        response = list_activities(simulator, token, page=n % 10 + 1, per_page=30)
        return response.status_code, response.json()

    def edit(n: int) -> None:
        simulator.edit_activity(truth[n]["id"], name=f"edited {n}")

    with ThreadPoolExecutor(max_workers=6) as pool:
        edits = [pool.submit(edit, n) for n in range(40)]
        pages = list(pool.map(page, range(60)))
    assert all(f.exception() is None for f in edits)
    assert all(status == 200 and len(items) == 30 for status, items in pages)
    assert simulator.state()["rate"]["read_usage"] == [60, 60]
    assert sum(a["name"].startswith("edited") for a in simulator.activities) == 40
