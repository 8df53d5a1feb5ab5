"""The streams pass: after the listing is stored, fetch streams newest first with what the read budget leaves.

Each stored activity without an `activity_streams` row costs one read (manual entries none: Strava keeps
no streams for them). The client's RateBudget refuses a request that would cross the 15-minute or the
daily limit minus the reserve: the pass then stops and the next run continues where it stopped (the
listing's data is already stored, and the run stays `ok`). An activity Strava has no streams for (404,
empty answer) gets a row with status `none`, so it is never asked again. Metrics (strava/power.py) are
computed as the streams arrive and written with them; the streams row goes last, marking the work done.
"""

from __future__ import annotations

import bisect
import functools
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

from strava import schema
from strava.client import StravaClient
from strava.errors import RateLimited, StravaError
from strava.logs import event
from strava.power import stream_metrics
from strava.settings import Settings
from strava.warehouse import Warehouse
from strava.warehouse.base import ZonesHistory

log = logging.getLogger("strava.streams")

CHUNK = 20  # activities asked of the warehouse at a time (newest first)
FLUSH_SAMPLES = 200_000  # write once the pending streams hold this many samples: memory stays bounded
TODO_COLUMNS = ("id", "start_date", "start_date_local", "manual")
V = TypeVar("V")


@dataclass
class _Pending:
    ids: list[int] = field(default_factory=list)
    streams: list[dict[str, Any]] = field(default_factory=list)
    curves: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    samples: int = 0

    def clear(self) -> None:
        self.ids, self.streams, self.curves, self.metrics, self.samples = [], [], [], [], 0


def sync_streams(settings: Settings, client: StravaClient, warehouse: Warehouse, access_token: str,
                 summary: Any, only: Collection[int] | None = None) -> None:
    """Fetch and store streams until none is missing or Strava's budget stops the pass; the heart-rate zones
    first (`strava_hr_zones`). `only`: these activities' streams alone (a webhook task's). `summary`
    (sync.RunSummary: its `mode`) gains `streams`, `streams_none` and, when stopped early, `streams_stopped`."""
    pending = _Pending()

    @functools.cache
    def calendars() -> tuple[_Calendar[float], _Calendar[tuple[float, ...]]]:
        """Read once, when the first activity needs them: a run with nothing to fetch reads neither."""
        strava_zones = strava_hr_zones(client, warehouse, access_token, summary.mode == "full")
        return _Calendar(warehouse.ftp_history()), _Calendar([(d, z) for d, z in strava_zones if z], backfill=True)

    def zones(day: date | None) -> tuple[float, ...] | None:
        return calendars()[1](day) or settings.hr_zones  # Strava's zones (the `ok` rows) first, then STRAVA_HR_ZONES

    def visit(activity: dict[str, Any]) -> None:
        body = None if activity["manual"] else client.get_activity_streams(access_token, activity["id"])
        _add(pending, activity, body, calendars()[0], zones, settings.hr_range)
        summary.streams += body is not None
        summary.streams_none += body is None
        if pending.samples >= FLUSH_SAMPLES:
            _flush(warehouse, pending)

    if summary.mode == "full":
        calendars()  # the daily pass asks Strava whether the zones changed, work or not
    where = None if only is None else f"id IN ({', '.join(str(int(i)) for i in only) or 'NULL'})"
    summary.streams_stopped = each_missing(warehouse, schema.ACTIVITY_STREAMS, TODO_COLUMNS, visit,
                                           lambda: _flush(warehouse, pending), where)


def each_missing(warehouse: Warehouse, table: schema.Table, columns: Sequence[str],
                 visit: Callable[[dict[str, Any]], None], flush: Callable[[], None],
                 where: str | None = None) -> str | None:
    """Visit the stored activities without a row in `table` (and matching `where`), newest first, and `flush`
    after each chunk, until none is left (None) or Strava stops the pass: then flush what was fetched and
    return why."""
    try:
        while todo := warehouse.activities_without(table, columns, CHUNK, where):
            for activity in todo:
                visit(activity)
            flush()
            if len(todo) < CHUNK:  # each visited activity now has its row: none is left to ask for
                break
    except StravaError as exc:  # the budget or Strava stopped the pass: keep what was fetched
        flush()
        level = logging.INFO if isinstance(exc, RateLimited) else logging.WARNING
        event(log, level, f"{table.name} pass stopped; the next run continues", reason=str(exc))
        return str(exc)
    return None


def streams_row(activity_id: int, start_date: datetime | None, body: dict[str, dict] | None,
                fetched_at: datetime) -> dict[str, Any]:
    """One activity_streams row: each stream's `data` as Strava sent it (latlng pairs as lat/lng records)."""
    row: dict[str, Any] = {"activity_id": activity_id, "start_date": start_date, "fetched_at": fetched_at,
                           "status": "none" if body is None else "ok"}
    for column in schema.ACTIVITY_STREAMS.columns[4:]:
        data = (body or {}).get(column.name, {}).get("data")
        if column.name == "latlng" and data is not None:
            data = [{"lat": p[0], "lng": p[1]} if isinstance(p, list) and len(p) == 2 else None for p in data]
        row[column.name] = data
    return row


class _Calendar(Generic[V]):
    """The value in force on a date: the latest dated value on or before it. Before the first one: None, or
    with `backfill` the first one (Strava keeps only current zones: the best estimate for the past)."""

    def __init__(self, history: Sequence[tuple[date, V]], backfill: bool = False) -> None:
        self.dates = [d for d, _ in history]
        self.values = [v for _, v in history]
        self.backfill = backfill

    def __call__(self, day: date | None) -> V | None:
        i = bisect.bisect_right(self.dates, day) if day else 0
        if i:
            return self.values[i - 1]
        return self.values[0] if self.backfill and self.values else None


def strava_hr_zones(client: StravaClient, warehouse: Warehouse, access_token: str, full: bool) -> ZonesHistory:
    """The athlete_zones history (oldest first), after asking GET /athlete/zones when none is stored yet or on a
    full run (at most once a run: an incremental run keeps the 3 + k calls). An answer that differs from the
    latest row (None: refused for lack of scope) is stored, dated today; a call the budget or Strava stops
    leaves what is stored."""
    history = warehouse.zones_history()
    if history and not full:
        return history
    try:
        zones = client.get_athlete_zones(access_token)
    except StravaError as exc:  # the budget or Strava refused: the streams pass goes on with what is stored
        level = logging.INFO if isinstance(exc, RateLimited) else logging.WARNING
        event(log, level, "heart-rate zones not read from Strava; using those stored", reason=str(exc))
        return history
    if history and history[-1][1] == zones:
        return history
    today = date.today()  # the local date, as the activities' local dates
    warehouse.set_athlete_zones(today, zones)
    event(log, logging.INFO, "heart-rate zones read from Strava", status="ok" if zones else "unavailable")
    return [*(row for row in history if row[0] != today), (today, zones)]


def _add(pending: _Pending, activity: dict[str, Any], body: dict[str, dict] | None, ftp: _Calendar[float],
         hr_zones: Callable[[date | None], tuple[float, ...] | None], hr_range: tuple[float, float] | None) -> None:
    activity_id = activity["id"]
    pending.ids.append(activity_id)
    pending.streams.append(streams_row(activity_id, activity["start_date"], body, datetime.now(UTC)))
    data: dict[str, list] = {key: value.get("data") or [] for key, value in (body or {}).items()}
    if not data.get("time"):
        return
    pending.samples += len(data["time"]) * len(data)
    local = activity["start_date_local"]
    local_date = local.date() if isinstance(local, datetime) else None
    metrics, curve = stream_metrics(data, ftp(local_date), hr_zones(local_date), hr_range)
    pending.metrics.append({"activity_id": activity_id, "local_date": local_date, **metrics})
    pending.curves.extend({"activity_id": activity_id, "duration_s": d, "watts": w} for d, w in curve)


def _flush(warehouse: Warehouse, pending: _Pending) -> None:
    if not pending.ids:
        return
    warehouse.replace_activity_rows(schema.ACTIVITY_POWER_CURVE, pending.ids, pending.curves)
    warehouse.replace_activity_rows(schema.ACTIVITY_STREAM_METRICS, pending.ids, pending.metrics)
    warehouse.replace_activity_rows(schema.ACTIVITY_STREAMS, pending.ids, pending.streams)  # last: marks done
    pending.clear()
