"""The analytics views: one BigQuery SQL file per view, the only source of both dialects.

The files name tables `${project}.${dataset}.<table>`, so Terraform's templatefile() and `view_sql()` fill in
the same text; DuckDB runs a translation (strava/analytics/duckdb_views.py). The effort factors live as
literals in a `params` CTE of activity_facts: Terraform deploys the defaults, `view_sql()` can override them.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from pathlib import Path

SQL_DIR = Path(__file__).parent / "sql" / "bigquery"  # Terraform reads this folder too
DIALECTS = ("duckdb", "bigquery")
VIEW_NAMES = ("activity_facts", "weekly_summary", "quarterly_summary", "training_load",  # dependency order
              "power_curve_quarterly", "power_curve_rolling", "estimated_ftp")

_PROJECT = re.compile(r"^[a-z]([a-z0-9.:-]*[a-z0-9])?$")  # includes domain-scoped "example.com:proj"
_DATASET = re.compile(r"^\w{1,1024}$")


@dataclass(frozen=True)
class EffortFactors:
    """Flat kilometres that 100 m of climbing is worth, by kind of sport (docs/dashboards.md).

    foot: 1.0, the ITRA "km-effort" (km + D+/100), matching Minetti et al. 2002 (J Appl Physiol 93:1039):
      running 100 m up costs about the energy of 1 km on the flat. Naismith's rule gives 0.79 (Scarf 2007).
    ride: 4.0, work-equivalent from the Martin et al. 1998 road-cycling power model: lifting 85 kg by
      100 m takes 83 kJ, riding 1 km on the flat at 27 km/h ~15 kJ (CdA 0.32 m2, Crr 0.005), less about
      a quarter won back coasting the descent.
    Wind on rides (wind_adjusted_flat_km): crr 0.005 (road tyres on asphalt); until athlete_settings sets them
      (cda_m2, bike_kg, weight_kg), cda_m2 0.32 (road bike on the hoods; myWindsock's typical range is
      0.32-0.37), bike_kg 9 and rider_kg 75.
    """

    foot_km_per_100m: float = 1.0
    ride_km_per_100m: float = 4.0
    cda_m2: float = 0.32
    crr: float = 0.005
    bike_kg: float = 9.0
    rider_kg: float = 75.0


def sql_path(name: str) -> Path:
    """The BigQuery SQL file of view `name`, the source of both dialects."""
    if name not in VIEW_NAMES:
        raise ValueError(f"unknown view {name!r}; expected one of {', '.join(VIEW_NAMES)}")
    return SQL_DIR / f"{name}.sql"


def _set_param(sql: str, param: str, value: float) -> str:
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{param} must be a finite number >= 0, got {value!r}")
    new, count = re.subn(rf"\b\d+(?:\.\d+)? AS {param}\b", f"{float(value)!r} AS {param}", sql)
    if count != 1:
        raise AssertionError(f"expected one default for {param} in activity_facts.sql, found {count}")
    return new


def source(name: str, effort: EffortFactors | None) -> str:
    """The BigQuery template of view `name`, with `effort` in place of the default factors."""
    sql = sql_path(name).read_text(encoding="utf-8")
    if effort is not None and name == "activity_facts":
        for param, value in dataclasses.asdict(effort).items():
            sql = _set_param(sql, param, value)
    return sql


def view_sql(dialect: str, name: str, *, project: str = "", dataset: str = "",
             effort: EffortFactors | None = None) -> str:
    """The SELECT behind view `name` in `dialect` ("duckdb" or "bigquery").

    BigQuery needs `project` and `dataset`, which replace `${project}` and `${dataset}`.
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; expected one of {', '.join(DIALECTS)}")
    sql = source(name, effort)
    if dialect == "duckdb":
        from strava.analytics.duckdb_views import to_duckdb  # sqlglot: never on the Cloud Function's path

        return to_duckdb(sql)
    if not _PROJECT.match(project) or not _DATASET.match(dataset):
        raise ValueError(f"bigquery views need a valid project and dataset, got {project!r}, {dataset!r}")
    return sql.replace("${project}", project).replace("${dataset}", dataset)
