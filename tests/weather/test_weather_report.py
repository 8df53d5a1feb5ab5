"""The report's weather charts, from a warehouse a real sync filled (both simulators over loopback)."""

from __future__ import annotations

import re

from strava.report import write_report
from strava.warehouse.duckdb import connect_read_only
from tests.analytics.test_report import EXTERNAL
from tests.weather.support import World

ATTRIBUTION = ('<a href="https://open-meteo.com/">Open-Meteo.com</a> '
               '(<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>)')


def _section(page: str, id_: str) -> str:
    match = re.search(rf'<section id="{id_}">(.*?)</section>', page, re.S)
    assert match, f"section {id_} missing"
    return match.group(1)


def test_report_shows_wind_rose_headwind_and_effort_with_the_attribution(make_simulator, make_openmeteo, tmp_path):
    world = World(make_simulator(activities=60, seed=5), make_openmeteo(seed=5), tmp_path)
    assert world.sync().weather_calls > 0
    with connect_read_only(world.db) as conn:
        page = write_report(conn, tmp_path / "report.html").read_text(encoding="utf-8")
    (rides,) = world.rows("SELECT count(*) FROM activity_facts WHERE wind_factor IS NOT NULL")[0]
    rose = _section(page, "wind-rose")
    assert f"{rides:,} rides by dominant wind" in rose and "<svg" in rose
    assert "km/h per m/s" in _section(page, "headwind")
    assert "With wind and air density" in _section(page, "wind-effort")
    for id_ in ("wind-rose", "headwind", "wind-effort"):  # the licence asks for credit next to the data
        assert ATTRIBUTION in _section(page, id_)
    assert EXTERNAL.findall(page.replace(ATTRIBUTION, "")) == []  # otherwise offline: links to click, no fetch


def test_report_without_weather_yet_says_so_without_charts(make_simulator, make_openmeteo, tmp_path):
    world = World(make_simulator(activities=20, seed=5), make_openmeteo(seed=5), tmp_path)
    world.sync(weather=False)
    with connect_read_only(world.db) as conn:
        page = write_report(conn, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "No ride has weather yet" in _section(page, "wind")
    assert 'id="wind-rose"' not in page and "open-meteo.com" not in page
