"""The local demo behind `make run`: built-in simulators (Strava, Open-Meteo) -> sync -> DuckDB -> report.

Part of the CLI path only (it starts the simulator); the function never imports it.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import duckdb

from strava.report import write_report
from strava.secrets.base import Credentials
from strava.secrets.file import FileSecretStore
from strava.settings import Settings
from strava.simulator import StravaSimulator
from strava.simulator.openmeteo import OpenMeteoSimulator
from strava.sync import run_sync
from strava.warehouse import open_warehouse
from strava.warehouse.duckdb import connect_read_only

DEMO_FTP, DEMO_WEIGHT_KG = 230.0, 72.0


def run_demo(folder: Path, activities: int = 400, seed: int = 7) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    db_path, secrets_path, report_path = folder / "strava.duckdb", folder / "secrets.json", folder / "report.html"
    _give_ftp(f"duckdb:{db_path}")
    with StravaSimulator(activities, seed).start() as sim, OpenMeteoSimulator(seed).start() as meteo:
        FileSecretStore(secrets_path).save(Credentials(**sim.secrets()))
        settings = dataclasses.replace(Settings.from_env(), api_url=sim.api_url, oauth_url=sim.oauth_url,
                                       secrets=f"file:{secrets_path}", warehouse=f"duckdb:{db_path}",
                                       weather=True, weather_archive_url=meteo.archive_url,
                                       weather_forecast_url=meteo.forecast_url, weather_max_calls=100_000)
        summary = run_sync(settings)
    print(json.dumps(summary.to_dict(), default=str))
    if summary.status == "failed":
        return 1
    with connect_read_only(db_path) as conn:
        _print_totals(conn)
        write_report(conn, report_path)
    print(f"\nDuckDB warehouse: {db_path.resolve()}\nHTML report:      {report_path.resolve()}\n"
          f"Query it:         .venv/bin/python -c \"import duckdb; print(duckdb.connect('{db_path}')"
          ".sql('from weekly_summary limit 5'))\"")
    return 0


def _give_ftp(spec: str) -> None:
    """The demo athlete gets an FTP before the sync: training load, intensity and power zones need one."""
    warehouse = open_warehouse(spec)
    try:
        warehouse.setup()
        if not warehouse.ftp_history():
            warehouse.set_athlete_settings(date(2000, 1, 1), ftp=DEMO_FTP, weight_kg=DEMO_WEIGHT_KG)
    finally:
        warehouse.close()


def _print_totals(conn: duckdb.DuckDBPyConnection) -> None:
    rows = conn.execute("""
        SELECT coalesce(sport_type, '?'), count(*), round(sum(distance) / 1000, 1),
               round(sum(moving_time) / 3600, 1), round(sum(total_elevation_gain))
        FROM activities GROUP BY ALL ORDER BY 2 DESC""").fetchall()
    print(f"\n{'sport':<18}{'activities':>11}{'km':>10}{'hours':>9}{'climb m':>10}")
    for sport, count, km, hours, climb in rows:
        print(f"{sport:<18}{count:>11}{km or 0:>10.1f}{hours or 0:>9.1f}{climb or 0:>10.0f}")
    total = [sum(r[i] or 0 for r in rows) for i in range(1, 5)]
    print(f"{'total':<18}{total[0]:>11}{total[1]:>10.1f}{total[2]:>9.1f}{total[3]:>10.0f}")
