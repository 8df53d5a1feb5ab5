"""What every warehouse offers the sync policy. Engines know the schema, never Strava."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from strava.schema import Table

STREAMS_PER_READ = 5  # activities read_streams holds at a time: a 10-hour ride (36,000 points) is ~15 MB in Python


@dataclass(frozen=True)
class UpsertResult:
    inserted: int  # ids not stored before
    updated: int  # stored ids whose raw JSON changed (unchanged rows are not rewritten)


def zones_row(effective_from: date, hr_zones: Sequence[float] | None) -> dict[str, Any]:
    """The schema.ATHLETE_ZONES row every engine writes for `set_athlete_zones`."""
    return {"effective_from": effective_from, "hr_zones": None if hr_zones is None else [float(b) for b in hr_zones],
            "status": "unavailable" if hr_zones is None else "ok", "fetched_at": datetime.now(UTC)}


SETTINGS_VALUES = ("ftp", "weight_kg", "cda_m2", "bike_kg")  # athlete_settings' dated values


def settings_row(effective_from: date, given: Sequence[float | None], current: dict[str, Any],
                 updated_at: datetime) -> dict[str, Any]:
    """The schema.ATHLETE_SETTINGS row for a date: the SETTINGS_VALUES given, a None keeping the value the
    date's `current` row had (a row written before a column existed lacks it)."""
    values = {k: current.get(k) if v is None else v for k, v in zip(SETTINGS_VALUES, given, strict=True)}
    return {"effective_from": effective_from, **values, "updated_at": updated_at}


ZonesHistory = list[tuple[date, tuple[float, ...] | None]]  # (effective_from, 4 bounds or None), oldest first


def zones_history(rows: Iterable[tuple[date, str, Sequence[float] | None]]) -> ZonesHistory:
    """(effective_from, status, hr_zones) rows, oldest first, as `zones_history` answers: the status decides
    (BigQuery and the lake store an unavailable row's bounds as an empty array)."""
    return [(day, tuple(bounds or ()) if status == "ok" else None) for day, status, bounds in rows]


class Warehouse(Protocol):
    description: str  # where the data lives, safe to print

    def setup(self) -> None:
        """Create missing tables and add columns the schema gained; when the stored schema version is
        older than schema.SCHEMA_VERSION, re-derive stored activities from `raw` (strava.warehouse.upgrade).
        Idempotent. WarehouseError on engine failures, ConfigError when the warehouse is newer than the code."""

    def latest_start_date(self) -> datetime | None:
        """Newest `start_date` among stored activities (UTC), None when empty."""

    def upsert_activities(self, rows: Sequence[dict[str, Any]], batch_key: str) -> UpsertResult:
        """Bulk-upsert rows of schema.ACTIVITIES by id, atomically. `batch_key` is unique per
        run and batch (engines may use it for idempotent job ids). Duplicate ids in `rows`:
        the last one wins."""

    def activity_ids(self) -> set[int]:
        """Every stored activity id."""

    def activity_starts(self, after: datetime) -> dict[int, datetime | None]:
        """Stored ids with their start_date, for those starting strictly after `after` or without a start
        (what the reconciliation pass has yet to compare)."""

    def read_state(self, name: str) -> dict[str, Any] | None:
        """The schema.SYNC_STATE row called `name`, None when there is none."""

    def write_state(self, row: dict[str, Any]) -> None:
        """Insert or replace one row of schema.SYNC_STATE, by name."""

    def archive_activities(self, ids: Collection[int], run_id: str, deleted_at: datetime) -> int:
        """Copy the rows to deleted_activities and remove them from activities (and their rows from
        schema.ACTIVITY_TABLES), atomically.
        Returns how many were removed."""

    def delete_strava_data(self) -> int:
        """Delete every row of schema.STRAVA_DATA (activities, deleted_activities, schema.ACTIVITY_TABLES,
        athlete_zones), atomically (the athlete revoked access: Strava's API Agreement wants their data gone).
        sync_runs and athlete_settings (typed in by the user) stay. Returns how many rows were deleted."""

    def replace_activity_rows(self, table: Table, activity_ids: Collection[int],
                              rows: Sequence[dict[str, Any]]) -> None:
        """Atomically replace every row of `table` (one of schema.ACTIVITY_TABLES) that belongs to
        `activity_ids` with `rows` (each row's `activity_id` must be one of them; none = remove them)."""

    def activities_without(self, table: Table, columns: Sequence[str], limit: int,
                           where: str | None = None, matching: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Up to `limit` stored activities that have no row in `table`, newest `start_date` first, as dicts
        of the given `activities` columns. `where` is an optional predicate on `activities` columns written
        in SQL both engines read alike (e.g. `NOT trainer AND summary_polyline IS NOT NULL`).
        `matching` names columns `table` copies from `activities`: a row whose copy differs (the activity
        changed since) counts as missing."""

    def read_streams(self, activity_ids: Collection[int], columns: Sequence[str]) -> Iterator[dict[str, Any]]:
        """The schema.ACTIVITY_STREAMS rows stored for `activity_ids` (ids without one are left out), each as
        a dict of `activity_id` and the given columns, in no set order. Read STREAMS_PER_READ activities at a
        time (the lake: a month object at a time), so memory holds a few activities' streams, not all; the
        caller consumes the rows before its next warehouse call."""

    def record_run(self, run: dict[str, Any]) -> None:
        """Insert (or replace, by run_id) one row of schema.SYNC_RUNS."""

    def set_athlete_settings(self, effective_from: date, ftp: float | None, weight_kg: float | None,
                             cda_m2: float | None = None, bike_kg: float | None = None) -> None:
        """Upsert one row of schema.ATHLETE_SETTINGS keyed by effective_from; a None keeps the value that
        date's row already has."""

    def ftp_history(self) -> list[tuple[date, float]]:
        """(effective_from, ftp) of athlete_settings rows with an FTP, oldest first."""

    def set_athlete_zones(self, effective_from: date, hr_zones: Sequence[float] | None) -> None:
        """Upsert one row of schema.ATHLETE_ZONES keyed by effective_from: status `ok` with the 4 heart rates
        between the 5 zones, or `unavailable` (None: Strava refused or had none)."""

    def zones_history(self) -> ZonesHistory:
        """(effective_from, the 4 bounds or None when unavailable) of every athlete_zones row, oldest first."""

    def close(self) -> None: ...

