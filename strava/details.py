"""The details pass (STRAVA_DETAILS=on): GET /activities/{id} of each stored activity, newest first, within the
read budget, into activity_details (description, calories, device, gear and the whole DetailedActivity) and
activity_laps. It runs after the streams pass, with what the budget leaves: one more read per activity.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from strava import schema
from strava.client import StravaClient
from strava.schema import CONVERTERS, raw_json
from strava.streams import each_missing
from strava.warehouse import Warehouse

LAP_COLUMNS = schema.ACTIVITY_LAPS.columns[2:]  # after activity_id and lap_index: Strava's own field names


def sync_details(client: StravaClient, warehouse: Warehouse, access_token: str, summary: Any) -> None:
    """Fetch and store details until none is missing or Strava stops the pass (`summary.details_stopped`)."""
    ids: list[int] = []
    details: list[dict[str, Any]] = []
    laps: list[dict[str, Any]] = []

    def visit(activity: dict[str, Any]) -> None:
        body = client.get_activity(access_token, activity["id"])
        ids.append(activity["id"])
        details.append(detail_row(activity["id"], body, datetime.now(UTC)))
        laps.extend(lap_rows(activity["id"], body))
        summary.details += body is not None

    def flush() -> None:
        if ids:
            warehouse.replace_activity_rows(schema.ACTIVITY_LAPS, ids, laps)
            warehouse.replace_activity_rows(schema.ACTIVITY_DETAILS, ids, details)  # last: marks them done
        for pending in (ids, details, laps):
            pending.clear()

    summary.details_stopped = each_missing(warehouse, schema.ACTIVITY_DETAILS, ("id",), visit, flush)


def detail_row(activity_id: int, body: dict[str, Any] | None, fetched_at: datetime) -> dict[str, Any]:
    body = body or {}
    gear = body.get("gear")
    return {"activity_id": activity_id, "status": "ok" if body else "none", "fetched_at": fetched_at,
            "description": _typed(schema.STRING, body.get("description")),
            "calories": _typed(schema.FLOAT64, body.get("calories")),
            "device_name": _typed(schema.STRING, body.get("device_name")),
            "gear_name": _typed(schema.STRING, gear.get("name")) if isinstance(gear, dict) else None,
            "raw": raw_json(body) if body else None}


def lap_rows(activity_id: int, body: dict[str, Any] | None) -> list[dict[str, Any]]:
    laps = (body or {}).get("laps")
    if not isinstance(laps, list):
        return []
    return [{"activity_id": activity_id, "lap_index": i,
             **{c.name: _typed(c.type, lap.get(c.name)) for c in LAP_COLUMNS}}
            for i, lap in enumerate((lap for lap in laps if isinstance(lap, dict)), 1)]


def _typed(kind: str, value: Any) -> Any:
    """The value as the column's type, or None when absent or of another type (the raw JSON keeps it)."""
    try:
        return None if value is None else CONVERTERS[kind](value)
    except (TypeError, ValueError, OverflowError):
        return None
