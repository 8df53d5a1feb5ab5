"""The offline HTML report: every chart present, nothing fetched from the network, bounded size."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from strava import schema
from strava.report import FTP_HINT, decode_routes, write_report
from strava.schema import activity_row
from strava.warehouse.duckdb import DuckDBWarehouse, create_table_sql
from tests.analytics import synthetic
from tests.analytics.conftest import golden_rows

SECTIONS = ("summary", "routes", "weekly-distance", "watts", "quarterly", "running-totals", "flat-km",
            "training-load", "power-curve", "eftp", "zones")
# Inline scripts are allowed (the interactive charts' plotly.js); a script, style or frame from elsewhere is not.
EXTERNAL = re.compile(r"""\b(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//"""
                      r"""|url\(\s*["']?\s*(?:https?:)?//|@import|<script[^>]*\ssrc\s*=|<link|<iframe""", re.I)


def _section(page: str, id_: str) -> str:
    match = re.search(rf'<section id="{id_}">(.*?)</section>', page, re.S)
    assert match, f"section {id_} missing"
    return match.group(1)


INLINE_SCRIPT = re.compile(r"<script(\s+type=\"text/javascript\")?>.*?</script>", re.S | re.I)


def _assert_offline(page: str) -> None:
    """No reference to anything outside the file. Inline scripts' bodies are code, not references (plotly.js
    holds URL strings for features the report does not use, such as maps): they are left out of the scan."""
    assert not EXTERNAL.findall(INLINE_SCRIPT.sub("", page))


@pytest.mark.parametrize("bad", ['<img src="https://x.org/a.png">', "<a href='//cdn.x/y'>", '<script src="a.js">',
                                 "background: url( http://x/y)", '<link rel="stylesheet">'])
def test_the_offline_check_catches_fetches(bad: str) -> None:
    with pytest.raises(AssertionError):
        _assert_offline(f"<p>{bad}</p>")


def test_full_report(duck_golden: DuckDBWarehouse, tmp_path: Path) -> None:
    out = write_report(duck_golden.conn, tmp_path / "nested" / "report.html")
    page = out.read_text(encoding="utf-8")
    for id_ in SECTIONS:
        body = _section(page, id_)
        assert "<svg" in body or "<img" in body or "Plotly.newPlot" in body or id_ == "summary", id_
    assert "Weekly distance" in page and "Training load" in page and "Cumulative distance" in page
    assert 'src="data:image/png;base64,' in _section(page, "routes")
    assert "Activities" in _section(page, "summary") and "260 W since 2025-03-15" in page
    assert "4 km per 100 m for Ride, VirtualRide" in _section(page, "flat-km")
    _assert_offline(page)
    assert page.count("plotly.js v") == 1  # plotly.js inlined once, for every interactive chart
    assert out.stat().st_size < 6_000_000  # plotly.js is ~4.7 MB of it
    assert not list(out.parent.glob(".*.tmp"))


def test_power_sections_are_interactive(duck_golden: DuckDBWarehouse, tmp_path: Path) -> None:
    page = write_report(duck_golden.conn, tmp_path / "report.html").read_text(encoding="utf-8")
    curve = _section(page, "power-curve")
    assert '"type":"log"' in curve and '"name":"2025 Q2"' in curve and '"name":"Best ever"' in curve
    assert '"name":"2025 Q1"' in curve and "hovertemplate" in curve  # this quarter and the one before
    assert '"rangeslider":{"visible":true}' in _section(page, "eftp")
    zones = _section(page, "zones")
    assert '"updatemenus"' in zones and '"label":"Ride"' in zones and '"label":"All"' in zones


@pytest.mark.parametrize("tables", [True, False])
def test_empty_database(tmp_path: Path, tables: bool) -> None:
    with duckdb.connect(str(tmp_path / "empty.duckdb")) as conn:
        if tables:
            for table in schema.TABLES:
                conn.execute(create_table_sql(table))
        page = write_report(conn, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "No activities yet" in page and "python -m strava sync" in page
    assert "<svg" not in page
    _assert_offline(page)


def test_read_only_old_file_without_ftp(tmp_path: Path) -> None:
    """A file from before the views existed, opened read-only, and no FTP set: charts plus the FTP hint."""
    path = tmp_path / "old.duckdb"
    conn = duckdb.connect(str(path))
    for table in schema.TABLES:
        conn.execute(create_table_sql(table))
    conn.close()
    warehouse = DuckDBWarehouse(path)  # no setup(): tables only, as an older version left them
    warehouse.upsert_activities(golden_rows(), "golden")
    warehouse.close()
    read_only = duckdb.connect(str(path), read_only=True)
    page = write_report(read_only, tmp_path / "r.html").read_text(encoding="utf-8")
    read_only.close()
    assert "<svg" in _section(page, "weekly-distance") and "<svg" in _section(page, "watts")
    load = _section(page, "training-load")
    assert FTP_HINT in load and "<svg" not in load
    assert "FTP</span><b>not set" in page


def test_ten_thousand_activities_stay_small(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "big.duckdb")
    warehouse.setup()
    now = datetime.now(UTC)
    items = synthetic.activities(10_000, years=10, route_points=30)
    warehouse.upsert_activities([activity_row(a, now)[0] for a in items], "big")
    warehouse.set_athlete_settings(date(2000, 1, 1), 250.0, None)
    out = write_report(warehouse.conn, tmp_path / "r.html")
    warehouse.close()
    assert out.stat().st_size < 3_000_000
    assert "<svg" in _section(out.read_text(encoding="utf-8"), "training-load")


def test_damaged_polylines_are_left_out_of_the_routes() -> None:
    good = "_p~iF~ps|U_ulLnnqC_mqNvxq`@"  # the worked example of Google's format description
    routes = decode_routes([good, good[:14], "_p~iF~ps|U", ""])  # cut short; one point only; none
    assert len(routes) == 1
    assert routes[0].tolist() == [[38.5, -120.2], [40.7, -120.95], [43.252, -126.453]]


def test_a_damaged_polyline_does_not_stop_the_report(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "cut.duckdb")
    warehouse.setup()
    items = synthetic.activities(20, years=1)
    items[0]["map"]["summary_polyline"] += "_"  # a continuation chunk: its value never ends
    warehouse.upsert_activities([activity_row(a, datetime.now(UTC))[0] for a in items], "cut")
    out = write_report(warehouse.conn, tmp_path / "r.html")
    warehouse.close()
    assert 'src="data:image/png;base64,' in _section(out.read_text(encoding="utf-8"), "routes")
