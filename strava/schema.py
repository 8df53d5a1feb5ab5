"""The single source of truth for the warehouse tables and the activity row model.

Every engine (DuckDB, BigQuery, the Terraform schema file) derives its DDL from the `Table`
definitions here. Column types use BigQuery's names as the neutral vocabulary. Activity columns
keep Strava's own field names so dashboards built on the raw API fields keep working.

This module imports nothing else from the package: it is the bottom of the dependency graph.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Bump when a change to the tables or to `activity_row()` should reach rows already stored: the next
# `setup()` adds the new columns, then re-derives every stored activity's typed columns from `raw`.
SCHEMA_VERSION = 1

INT64, FLOAT64, BOOL, STRING = "INT64", "FLOAT64", "BOOL", "STRING"
TIMESTAMP, DATETIME, DATE, JSON = "TIMESTAMP", "DATETIME", "DATE", "JSON"
RECORD = "RECORD"  # a struct of `Column.fields` (BigQuery STRUCT, DuckDB STRUCT)
# TIMESTAMP is a UTC instant; DATETIME is a zone-less local wall-clock time.


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str = ""
    source: tuple[str | int, ...] = ()  # path into the activity JSON; empty = the column's own name
    required: bool = False
    repeated: bool = False  # an array of `type` (BigQuery REPEATED, DuckDB LIST); never NULL in BigQuery
    fields: tuple[Column, ...] = ()  # the members of a RECORD

    @property
    def path(self) -> tuple[str | int, ...]:
        return self.source or (self.name,)


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    partition_field: str | None = None  # time partitioning (BigQuery)
    partition_type: str = "DAY"  # or "MONTH": fewer, larger partitions for big, rarely filtered tables
    clustering: tuple[str, ...] = ()
    description: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _c(name: str, type_: str, description: str = "", *source: str | int) -> Column:
    return Column(name, type_, description, tuple(source))


ACTIVITIES = Table(
    "activities",
    (
        Column("id", INT64, "Strava activity id", required=True),
        _c("athlete_id", INT64, "Owner's athlete id", "athlete", "id"),
        _c("name", STRING, "Activity title"),
        _c("type", STRING, "Deprecated activity type (use sport_type)"),
        _c("sport_type", STRING, "Sport, e.g. Ride, Run, VirtualRide (free text: the list grows)"),
        _c("workout_type", INT64, "Workout type code (race, long run, workout...)"),
        _c("start_date", TIMESTAMP, "Start time, UTC"),
        _c("start_date_local", DATETIME, "Start time, athlete's local wall clock (no zone)"),
        _c("timezone", STRING, "Time zone, e.g. (GMT-08:00) America/Los_Angeles"),
        _c("utc_offset", FLOAT64, "Offset of the local time from UTC, seconds"),
        _c("distance", FLOAT64, "Distance, metres"),
        _c("moving_time", INT64, "Moving time, seconds"),
        _c("elapsed_time", INT64, "Elapsed time, seconds"),
        _c("total_elevation_gain", FLOAT64, "Elevation gain, metres"),
        _c("elev_high", FLOAT64, "Highest elevation, metres"),
        _c("elev_low", FLOAT64, "Lowest elevation, metres"),
        _c("average_speed", FLOAT64, "Average speed, m/s"),
        _c("max_speed", FLOAT64, "Maximum speed, m/s"),
        _c("average_watts", FLOAT64, "Average power, W (estimated unless device_watts)"),
        _c("weighted_average_watts", FLOAT64, "Weighted average power (~normalized power), W"),
        _c("max_watts", FLOAT64, "Maximum power, W"),
        _c("kilojoules", FLOAT64, "Work, kJ (rides)"),
        _c("device_watts", BOOL, "True when power comes from a power meter, false when estimated"),
        _c("has_heartrate", BOOL, "Heart-rate data recorded"),
        _c("average_heartrate", FLOAT64, "Average heart rate, bpm"),
        _c("max_heartrate", FLOAT64, "Maximum heart rate, bpm"),
        _c("average_cadence", FLOAT64, "Average cadence, rpm (spm/2 for runs)"),
        _c("average_temp", FLOAT64, "Average temperature, °C"),
        _c("suffer_score", FLOAT64, "Relative effort"),
        _c("start_lat", FLOAT64, "Start latitude", "start_latlng", 0),
        _c("start_lng", FLOAT64, "Start longitude", "start_latlng", 1),
        _c("end_lat", FLOAT64, "End latitude", "end_latlng", 0),
        _c("end_lng", FLOAT64, "End longitude", "end_latlng", 1),
        _c("location_city", STRING, "City (often null)"),
        _c("location_state", STRING, "State or region (often null)"),
        _c("location_country", STRING, "Country"),
        _c("map_id", STRING, "Map id", "map", "id"),
        _c("summary_polyline", STRING, "Google encoded polyline of the route", "map", "summary_polyline"),
        _c("trainer", BOOL, "Indoor trainer"),
        _c("commute", BOOL, "Commute"),
        _c("manual", BOOL, "Entered by hand (no GPS file)"),
        _c("private", BOOL, "Private"),
        _c("visibility", STRING, "everyone, followers_only or only_me"),
        _c("flagged", BOOL, "Flagged"),
        _c("hide_from_home", BOOL, "Muted from the home feed"),
        _c("gear_id", STRING, "Bike or shoes id"),
        _c("device_name", STRING, "Recording device"),
        _c("external_id", STRING, "Identifier of the uploaded file"),
        _c("upload_id", STRING, "Upload id, as text (can exceed INT64)"),
        _c("achievement_count", INT64, "Achievements"),
        _c("kudos_count", INT64, "Kudos"),
        _c("comment_count", INT64, "Comments"),
        _c("athlete_count", INT64, "Athletes in the group"),
        _c("photo_count", INT64, "Instagram photos"),
        _c("total_photo_count", INT64, "All photos"),
        _c("pr_count", INT64, "Personal records"),
        _c("has_kudoed", BOOL, "The athlete gave kudos"),
        _c("from_accepted_tag", BOOL, "Tagged from another athlete's activity"),
        _c("resource_state", INT64, "Strava resource state (2 = summary)"),
        Column("raw", JSON, "The activity JSON from Strava: the same JSON value as received, re-serialised "
               "compactly (so the text may differ, e.g. \\u003e becomes >)", required=True),
        Column("synced_at", TIMESTAMP, "When the sync last wrote this row from Strava's data", required=True),
    ),
    partition_field="start_date",
    clustering=("sport_type", "id"),
    description="One row per Strava activity (upserted by id).",
)

DELETED_ACTIVITIES = Table(
    "deleted_activities",
    (
        Column("id", INT64, "Strava activity id", required=True),
        Column("deleted_at", TIMESTAMP, "When a full listing found it gone", required=True),
        Column("run_id", STRING, "The sync run that archived it"),
        Column("start_date", TIMESTAMP, "Start time, UTC, of the deleted activity"),
        Column("raw", JSON, "Last known activity JSON"),
    ),
    partition_field="deleted_at",
    clustering=("id",),
    description="Activities deleted on Strava, archived before removal.",
)

SYNC_RUNS = Table(
    "sync_runs",
    (
        Column("run_id", STRING, "Unique id of the run", required=True),
        Column("started_at", TIMESTAMP, "Start", required=True),
        Column("finished_at", TIMESTAMP, "End"),
        Column("mode", STRING, "incremental, full or webhook (one Cloud Tasks task)", required=True),
        Column("status", STRING, "ok, partial or failed", required=True),
        Column("api_calls", INT64, "HTTP requests sent to Strava, token refresh included"),
        Column("fetched", INT64, "Activities received"),
        Column("inserted", INT64, "New activities stored"),
        Column("updated", INT64, "Stored activities that changed"),
        Column("deleted", INT64, "Activities archived and removed"),
        Column("skipped", INT64, "Activities received that could not be stored (no id)"),
        Column("token_rotated", BOOL, "Strava returned a new refresh token (saved)"),
        Column("after_epoch", INT64, "The listing's `after` bound, epoch seconds: 0 = everything (an empty "
               "warehouse, or a new reconciliation pass); a resumed pass: its cursor; null = the run stopped "
               "before listing"),
        Column("read_usage_15min", INT64, "Last X-ReadRateLimit-Usage seen, 15-minute window"),
        Column("read_limit_15min", INT64, "X-ReadRateLimit-Limit, 15-minute window"),
        Column("read_usage_daily", INT64, "Last X-ReadRateLimit-Usage seen, daily window"),
        Column("read_limit_daily", INT64, "X-ReadRateLimit-Limit, daily window"),
        Column("error_kind", STRING, "Error kind when not ok"),
        Column("error_message", STRING, "What happened and what to do"),
        Column("weather_calls", INT64, "HTTP requests sent to Open-Meteo (not counted in api_calls)"),
        Column("events", INT64, "Webhook events applied, each confirmed by one read of its activity"),
        Column("streams", INT64, "Activities whose streams were stored"),
        Column("streams_none", INT64, "Activities Strava has no streams for (recorded: not asked again)"),
        Column("streams_stopped", STRING, "Why the streams pass stopped early (budget, Strava); the next run "
               "continues"),
        Column("details", INT64, "Activities whose detail (GET /activities/{id}) was stored"),
        Column("details_stopped", STRING, "Why the details pass stopped early; the next run continues"),
    ),
    partition_field="started_at",
    description="One audit row per sync run.",
)

ATHLETE_SETTINGS = Table(
    "athlete_settings",
    (
        Column("effective_from", DATE, "First local date the values apply to", required=True),
        Column("ftp", FLOAT64, "Functional threshold power, W"),
        Column("weight_kg", FLOAT64, "Body weight, kg"),
        Column("updated_at", TIMESTAMP, "When the values were set"),
        Column("cda_m2", FLOAT64, "Aerodynamic drag area CdA, m²"),
        Column("bike_kg", FLOAT64, "Bike mass, kg"),
    ),
    description="Dated FTP, weight, CdA and bike mass; each activity uses the values in force on its local date.",
)

ATHLETE_ZONES = Table(
    "athlete_zones",
    (
        Column("effective_from", DATE, "Local date the zones were read from Strava (in force from then on)",
               required=True),
        Column("hr_zones", FLOAT64, "The 4 heart rates between Strava's 5 heart-rate zones, bpm; NULL (BigQuery: "
               "empty) when unavailable", repeated=True),
        Column("status", STRING, "ok, or unavailable: the token lacks profile:read_all or Strava sent no "
               "heart-rate zones", required=True),
        Column("fetched_at", TIMESTAMP, "When GET /athlete/zones answered", required=True),
    ),
    description="Heart-rate zones from Strava's GET /athlete/zones, one row per change; each activity uses the "
                "zones in force on its local date.",
)

SYNC_STATE = Table(
    "sync_state",
    (
        Column("name", STRING, "What the state is for: 'reconcile' (the deletion pass)", required=True),
        Column("pass_id", STRING, "The run that started the pass; null when none is running"),
        Column("pass_started_at", TIMESTAMP, "When the pass started"),
        Column("reconciled_through", TIMESTAMP, "Every activity starting at or before this instant was "
               "compared with Strava's listing in this pass; null when none is running"),
        Column("examined", INT64, "Stored activities compared so far in this pass"),
        Column("archived", INT64, "Activities this pass archived as deleted so far"),
        Column("updated_at", TIMESTAMP, "When the row was written", required=True),
    ),
    description="Where resumable work stands (one row per name): a run stopped by the rate limit continues here.",
)

ACTIVITY_WEATHER = Table(
    "activity_weather",
    (
        Column("activity_id", INT64, "Strava activity id", required=True),
        Column("status", STRING, "ok, or no_route (the polyline has no length) / no_data (Open-Meteo had none)",
               required=True),
        Column("temperature_c", FLOAT64, "Air temperature at 2 m, mean over moving time, °C"),
        Column("wind_speed_ms", FLOAT64, "Wind speed at 10 m, mean over moving time, m/s"),
        Column("wind_from_deg", FLOAT64, "Dominant wind direction (of the mean wind vector), degrees the wind "
               "comes FROM, clockwise from north"),
        Column("wind_gust_ms", FLOAT64, "Strongest gust along the route, m/s"),
        Column("precipitation_mm", FLOAT64, "Precipitation while moving, mm"),
        Column("headwind_ms", FLOAT64, "Headwind component along the route, mean over moving time, m/s "
               "(negative = tailwind)"),
        Column("crosswind_ms", FLOAT64, "Crosswind component, mean magnitude over moving time, m/s"),
        Column("headwind_share", FLOAT64, "Fraction of moving time with more than 2 m/s of headwind"),
        Column("headwind_sq_ms2", FLOAT64, "Mean of the squared headwind, m²/s² (the drag term of the effort)"),
        Column("samples", INT64, "Route samples with weather (one per minute of moving time)"),
        Column("cells", INT64, "Weather grid cells the route crossed"),
        Column("source", STRING, "Open-Meteo API and model, e.g. archive:best_match, forecast:best_match"),
        Column("start_date", TIMESTAMP, "The activity's start the weather was computed for (re-fetched if it "
               "changes)"),
        Column("summary_polyline", STRING, "The route the weather was computed for (re-fetched if it changes)"),
        Column("fetched_at", TIMESTAMP, "When the weather was fetched", required=True),
    ),
    clustering=("activity_id",),
    description="Weather along each outdoor activity's route (Open-Meteo, CC BY 4.0: https://open-meteo.com/).",
)

# --- per-activity tables: streams and the metrics computed from them (strava/streams.py) -------------

STREAM_FLOATS = ("distance", "altitude", "velocity_smooth", "heartrate", "cadence", "watts", "temp", "grade_smooth")
ACTIVITY_STREAMS = Table(
    "activity_streams",
    (
        Column("activity_id", INT64, "Strava activity id", required=True),
        Column("start_date", TIMESTAMP, "The activity's start, UTC (the partitioning column)"),
        Column("status", STRING, "ok, or none: Strava has no streams (manual entry, 404, empty answer); "
               "either way the activity is not asked again", required=True),
        Column("fetched_at", TIMESTAMP, "When the streams were requested", required=True),
        Column("time", INT64, "Seconds from the start, as recorded (steps of 1-few s, jumps at pauses)",
               repeated=True),
        Column("moving", BOOL, "Moving at each sample", repeated=True),
        Column("latlng", RECORD, "Position at each sample (a pair per sample: BigQuery cannot nest arrays)",
               repeated=True, fields=(Column("lat", FLOAT64), Column("lng", FLOAT64))),
        *(Column(name, FLOAT64, f"Strava's {name} stream", repeated=True) for name in STREAM_FLOATS),
    ),
    partition_field="start_date",
    partition_type="MONTH",
    clustering=("activity_id",),
    description="One row per activity: Strava's streams, one array per stream type, NULL (BigQuery: empty) "
                "when not recorded. Read by no dashboard: metrics are computed once, at load time.",
)

ACTIVITY_POWER_CURVE = Table(
    "activity_power_curve",
    (
        Column("activity_id", INT64, "Strava activity id", required=True),
        Column("duration_s", INT64, "Window length, seconds", required=True),
        Column("watts", FLOAT64, "Best mean power over any window of that length, W", required=True),
    ),
    clustering=("activity_id",),
    description="Mean-maximal power per activity and standard duration (from the 1 Hz power stream).",
)

POWER_ZONES = 7  # % of FTP: <55, 55-75, 75-90, 90-105, 105-120, 120-150, >150
HR_ZONES = 5
ACTIVITY_STREAM_METRICS = Table(
    "activity_stream_metrics",
    (
        Column("activity_id", INT64, "Strava activity id", required=True),
        Column("local_date", DATE, "The activity's local start date (the FTP in force that day applies)"),
        Column("seconds", INT64, "Length of the 1 Hz series, pauses included"),
        Column("mean_watts", FLOAT64, "Mean power over the 1 Hz series (pauses count as 0), W"),
        Column("weighted_watts", FLOAT64, "Weighted power: 4th root of the mean 4th power of the 30 s "
               "rolling mean; NULL under 5 minutes of power"),
        Column("ftp", FLOAT64, "FTP in force on local_date (athlete_settings), W"),
        Column("intensity", FLOAT64, "weighted_watts / ftp"),
        Column("stress", FLOAT64, "Training stress: 100 * hours * intensity^2"),
        Column("variability_index", FLOAT64, "weighted_watts / mean_watts"),
        Column("mean_heartrate", FLOAT64, "Mean heart rate over samples with one, bpm"),
        Column("efficiency_factor", FLOAT64, "weighted_watts / mean_heartrate"),
        Column("decoupling_pct", FLOAT64, "Power:heart-rate drift, first half vs second half, %"),
        *(Column(f"power_z{i}_s", INT64, f"Seconds in power zone {i} (from ftp)") for i in range(1, POWER_ZONES + 1)),
        *(Column(f"hr_z{i}_s", INT64, f"Seconds in heart-rate zone {i}") for i in range(1, HR_ZONES + 1)),
        Column("trimp", FLOAT64, "Heart-rate stress (Banister's TRIMP) from STRAVA_HR_RANGE"),
    ),
    clustering=("activity_id",),
    description="Metrics of each activity's streams, computed once at load time (strava/power.py).",
)

ACTIVITY_DETAILS = Table(
    "activity_details",
    (
        Column("activity_id", INT64, "Strava activity id", required=True),
        Column("status", STRING, "ok, or none: Strava answered 404 (not asked again)", required=True),
        Column("fetched_at", TIMESTAMP, "When the detail was requested", required=True),
        Column("description", STRING, "The athlete's description"),
        Column("calories", FLOAT64, "Calories, kcal"),
        Column("device_name", STRING, "Recording device"),
        Column("gear_name", STRING, "Bike or shoes, by name"),
        Column("raw", JSON, "The DetailedActivity JSON from Strava (laps, splits, best efforts...)"),
    ),
    clustering=("activity_id",),
    description="GET /activities/{id} of each activity (STRAVA_DETAILS=on): what the listing lacks.",
)

ACTIVITY_LAPS = Table(
    "activity_laps",
    (
        Column("activity_id", INT64, "Strava activity id", required=True),
        Column("lap_index", INT64, "1-based lap number", required=True),
        Column("name", STRING, "Lap name"),
        Column("start_date", TIMESTAMP, "Lap start, UTC"),
        Column("elapsed_time", INT64, "Elapsed time, s"),
        Column("moving_time", INT64, "Moving time, s"),
        Column("distance", FLOAT64, "Distance, m"),
        Column("total_elevation_gain", FLOAT64, "Elevation gain, m"),
        Column("average_speed", FLOAT64, "Average speed, m/s"),
        Column("average_watts", FLOAT64, "Average power, W"),
        Column("average_heartrate", FLOAT64, "Average heart rate, bpm"),
        Column("average_cadence", FLOAT64, "Average cadence"),
    ),
    clustering=("activity_id",),
    description="The laps of each activity's DetailedActivity (STRAVA_DETAILS=on).",
)

# Tables whose rows each belong to one stored activity (an `activity_id` column): written per activity with
# `Warehouse.replace_activity_rows`, found missing with `activities_without`, and removed with the activity
# when it is archived. Streams, metrics, weather... append their tables here.
ACTIVITY_TABLES: tuple[Table, ...] = (ACTIVITY_WEATHER, ACTIVITY_STREAMS, ACTIVITY_POWER_CURVE,
                                      ACTIVITY_STREAM_METRICS, ACTIVITY_DETAILS, ACTIVITY_LAPS)

TABLES = (ACTIVITIES, DELETED_ACTIVITIES, SYNC_RUNS, ATHLETE_SETTINGS, SYNC_STATE, *ACTIVITY_TABLES, ATHLETE_ZONES)
# What Strava's API Agreement makes ours to delete when the athlete revokes access (Warehouse.delete_strava_data):
# sync_runs (counts) and athlete_settings (typed in by the user) stay.
STRAVA_DATA = (ACTIVITIES, DELETED_ACTIVITIES, *ACTIVITY_TABLES, ATHLETE_ZONES)

# The warehouse's own bookkeeping, created by `setup()` (not by Terraform): losing it is harmless, the
# next run re-derives every row from `raw` once more and records the version again.
SCHEMA_VERSIONS = Table(
    "schema_versions",
    (
        Column("version", INT64, "SCHEMA_VERSION of the code that brought the warehouse up to date",
               required=True),
        Column("applied_at", TIMESTAMP, "When the upgrade finished", required=True),
        Column("backfilled", INT64, "Stored activities whose typed columns were re-derived from raw"),
    ),
    description="The schema versions the warehouse was upgraded to; the highest is the current one.",
)

# Typed columns of ACTIVITIES, the ones `activity_row()` derives from `raw` (a schema upgrade rewrites them).
DERIVED_COLUMNS = tuple(c for c in ACTIVITIES.columns if c.type != JSON and c.name not in ("id", "synced_at"))


# --- activity JSON -> typed row -------------------------------------------------------------

INT64_RANGE = range(-(2**63), 2**63)


def _to_int(v: Any) -> int:
    if type(v) is float and v.is_integer():  # JSON writes some integers as 12.0
        v = int(v)
    if type(v) is int and v in INT64_RANGE:  # bool is not accepted: type() is exact
        return v
    raise TypeError


def _to_float(v: Any) -> float:
    if type(v) is int:
        v = float(v)  # OverflowError beyond float range: reported like a type change
    if type(v) is float and math.isfinite(v):  # NaN/Infinity are not JSON and not storable everywhere
        return v
    raise TypeError


def _to_bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise TypeError
    return v


def _to_str(v: Any) -> str:
    if type(v) is str:
        if v.isascii() or _is_utf8(v):
            return v
        return v.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate escape becomes "?"
    if type(v) is int:  # e.g. upload_id beyond INT64
        return str(v)
    raise TypeError


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def raw_json(item: Any) -> str:
    """The activity as JSON text. Values `json.loads` accepts but JSON storage refuses are mended so
    the row still loads: NaN/Infinity become null, a lone surrogate escape becomes U+FFFD."""
    try:
        text = json.dumps(item, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return raw_json(_finite(item))
    return text if text.isascii() or _is_utf8(text) else _LONE_SURROGATE.sub("\ufffd", text)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _parse_time(v: Any) -> datetime:
    if not isinstance(v, str):
        raise TypeError
    return datetime.fromisoformat(v.replace("Z", "+00:00"))


def _to_timestamp(v: Any) -> datetime:
    t = _parse_time(v)
    return t.astimezone(UTC) if t.tzinfo else t.replace(tzinfo=UTC)


def _to_datetime(v: Any) -> datetime:
    # Strava writes local wall-clock time with a misleading "Z": keep the digits, drop the zone.
    return _parse_time(v).replace(tzinfo=None)


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    INT64: _to_int, FLOAT64: _to_float, BOOL: _to_bool, STRING: _to_str,
    TIMESTAMP: _to_timestamp, DATETIME: _to_datetime,
}


class NotAnActivity(ValueError):
    """The item cannot become a row: not an object, or no usable integer `id`."""


def _lookup(item: dict, path: tuple[str | int, ...]) -> Any:
    value: Any = item
    for key in path:
        if isinstance(key, int):
            value = value[key] if isinstance(value, list) and len(value) > key else None
        else:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


# (column, top-level key or None, nested path, converter), precomputed once: this runs per activity.
_PLAN = [
    (c.name, c.path[0] if len(c.path) == 1 else None, c.path, CONVERTERS[c.type])
    for c in ACTIVITIES.columns if c.type != JSON and c.name != "synced_at"
]


def activity_row(item: Any, synced_at: datetime) -> tuple[dict[str, Any], list[str]]:
    """Map one activity from `/athlete/activities` to a row of ACTIVITIES.

    Missing keys become None, unknown keys stay in `raw`, and a value of the wrong type becomes
    None with a problem reported (the caller logs it) instead of failing the row.
    Raises NotAnActivity when there is nothing to key the row on.
    """
    if not isinstance(item, dict):
        raise NotAnActivity(f"expected an activity object, got {type(item).__name__}")
    try:
        activity_id = _to_int(item.get("id"))
    except TypeError:
        raise NotAnActivity(f"activity without a usable integer id: {item.get('id')!r:.40}") from None
    row: dict[str, Any] = {}
    problems: list[str] = []
    for name, key, path, convert in _PLAN:
        value = item.get(key) if key else _lookup(item, path)
        if value is None and name == "upload_id":
            value = item.get("upload_id_str")
        try:
            row[name] = None if value is None else convert(value)
        except (TypeError, ValueError, OverflowError):
            row[name] = None
            problems.append(f"activity {activity_id}: {name} has unexpected value {value!r:.40}")
    row["id"] = activity_id
    row["raw"] = raw_json(item)
    row["synced_at"] = synced_at
    return row, problems
