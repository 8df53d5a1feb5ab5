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
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from strava import schema
from strava.client import StravaClient
from strava.errors import RateLimited, StravaError
from strava.logs import event
from strava.power import stream_metrics
from strava.settings import Settings
from strava.warehouse import Warehouse

log = logging.getLogger("strava.streams")

CHUNK = 20  # activities asked of the warehouse at a time (newest first)
FLUSH_SAMPLES = 200_000  # write once the pending streams hold this many samples: memory stays bounded
TODO_COLUMNS = ("id", "start_date", "start_date_local", "manual")


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
                 summary: Any) -> None:
    """Fetch and store streams until none is missing or Strava's budget stops the pass.
    `summary` (sync.RunSummary) gains `streams`, `streams_none` and, when stopped early, `streams_stopped`."""
    ftp = _FtpCalendar(warehouse.ftp_history())
    pending = _Pending()

    def visit(activity: dict[str, Any]) -> None:
        body = None if activity["manual"] else client.get_activity_streams(access_token, activity["id"])
        _add(pending, activity, body, ftp, settings)
        summary.streams += body is not None
        summary.streams_none += body is None
        if pending.samples >= FLUSH_SAMPLES:
            _flush(warehouse, pending)

    summary.streams_stopped = each_missing(warehouse, schema.ACTIVITY_STREAMS, TODO_COLUMNS, visit,
                                           lambda: _flush(warehouse, pending))


def each_missing(warehouse: Warehouse, table: schema.Table, columns: Sequence[str],
                 visit: Callable[[dict[str, Any]], None], flush: Callable[[], None]) -> str | None:
    """Visit the stored activities without a row in `table`, newest first, and `flush` after each chunk, until
    none is left (None) or Strava stops the pass: then flush what was fetched and return why."""
    try:
        while todo := warehouse.activities_without(table, columns, CHUNK):
            for activity in todo:
                visit(activity)
            flush()
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


class _FtpCalendar:
    """The FTP in force on a date: the latest athlete_settings row effective on or before it."""

    def __init__(self, history: list[tuple[date, float]]) -> None:
        self.dates = [d for d, _ in history]
        self.values = [v for _, v in history]

    def __call__(self, day: date | None) -> float | None:
        i = bisect.bisect_right(self.dates, day) if day else 0
        return self.values[i - 1] if i else None


def _add(pending: _Pending, activity: dict[str, Any], body: dict[str, dict] | None, ftp: _FtpCalendar,
         settings: Settings) -> None:
    activity_id = activity["id"]
    pending.ids.append(activity_id)
    pending.streams.append(streams_row(activity_id, activity["start_date"], body, datetime.now(UTC)))
    data: dict[str, list] = {key: value.get("data") or [] for key, value in (body or {}).items()}
    if not data.get("time"):
        return
    pending.samples += len(data["time"]) * len(data)
    local = activity["start_date_local"]
    local_date = local.date() if isinstance(local, datetime) else None
    metrics, curve = stream_metrics(data, ftp(local_date), settings.hr_zones, settings.hr_range)
    pending.metrics.append({"activity_id": activity_id, "local_date": local_date, **metrics})
    pending.curves.extend({"activity_id": activity_id, "duration_s": d, "watts": w} for d, w in curve)


def _flush(warehouse: Warehouse, pending: _Pending) -> None:
    if not pending.ids:
        return
    warehouse.replace_activity_rows(schema.ACTIVITY_POWER_CURVE, pending.ids, pending.curves)
    warehouse.replace_activity_rows(schema.ACTIVITY_STREAM_METRICS, pending.ids, pending.metrics)
    warehouse.replace_activity_rows(schema.ACTIVITY_STREAMS, pending.ids, pending.streams)  # last: marks done
    pending.clear()
