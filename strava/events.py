"""Webhook events applied by the sync. Every event is only a hint, confirmed by reading Strava back.

An activity event costs one read, `GET /activities/{id}` with our token, whatever it claims: 200 and our
athlete's -> upsert, 404 -> archive as deleted. Several events for one activity are one read. A
deauthorization is believed only when Strava refuses our refresh token; then every activity-derived row
of the athlete is deleted (sync_runs keeps its audit rows). Events come from the local spool (the embedded
default: the next run applies them first) or from one Cloud Tasks task (the function's `webhook_event`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from strava.client import StravaClient
from strava.errors import BadResponse, Deauthorized, RefreshTokenInvalid
from strava.logs import event as log_event
from strava.queues.spool import SpoolQueue, spool_path
from strava.schema import NotAnActivity, activity_row
from strava.settings import Settings
from strava.warehouse import Warehouse
from strava.webhook import Event, event_from, problem

if TYPE_CHECKING:
    from strava.sync import RunSummary

log = logging.getLogger("strava.events")

MAX_ACTIVITIES_PER_RUN = 100  # a flood of events waits for later runs instead of eating the listing's budget
# DetailedActivity keys a listing never has: kept out of `raw` (stored in the listing's summary form,
# resource_state 2; the map without its full `polyline`), so the next listing does not see a change.
DETAIL_ONLY = ("description", "calories", "laps", "splits_metric", "splits_standard", "segment_efforts",
               "best_efforts", "photos", "similar_activities", "stats_visibility", "available_zones",
               "hide_from_home", "device_name", "embed_token", "partner_brand_tag", "highlighted_kudosers",
               "perceived_exertion", "prefer_perceived_exertion", "segment_leaderboard_opt_out",
               "leaderboard_opt_out", "gear", "private_note")


@dataclass
class Pending:
    """Events to apply in this run, and the spool they came from (removed from it once applied)."""

    events: list[Event] = field(default_factory=list)
    spool: SpoolQueue | None = None
    names: dict[str, Event] = field(default_factory=dict)  # spool task name -> its event

    @property
    def activity_ids(self) -> set[int]:
        return {e.object_id for e in self.events if e.object_type == "activity"}

    @property
    def deauthorization(self) -> bool:
        return any(e.deauthorization for e in self.events)

    def done(self, events: list[Event]) -> None:
        if self.spool is not None:
            self.spool.remove({name for name, e in self.names.items() if e in events})


def spooled(settings: Settings) -> Pending:
    """The events the webhook spooled locally (none when there is no local spool)."""
    path = spool_path(settings)
    if path is None or not path.exists():
        return Pending()
    spool = SpoolQueue(path)
    pending, bad = Pending(spool=spool), []
    for task in spool.tasks():
        body = task.get("body")
        data = body.get("webhook_event") if isinstance(body, dict) else None
        if not isinstance(data, dict) or problem(data) is not None:  # by hand, or another version: dropped
            log.warning("spooled task %s is not a webhook event; dropped", task["name"])
            bad.append(task["name"])
            continue
        pending.events.append(event_from(data))
        pending.names[task["name"]] = pending.events[-1]
    spool.remove(bad)
    return pending


def get_token(pending: Pending, refresh: Callable[[], str], warehouse: Warehouse) -> str:
    """The run's access token. A refused refresh with a deauthorization pending confirms it: the
    athlete's data is deleted and Deauthorized raised. A refresh that works makes it a forgery."""
    try:
        token = refresh()
    except RefreshTokenInvalid:
        if not pending.deauthorization:
            raise
        deleted = warehouse.delete_strava_data()
        pending.done(pending.events)
        message = (f"the athlete revoked this app's access on Strava (webhook event confirmed by a refused "
                   f"token refresh): {deleted} rows of their Strava data were deleted from the warehouse, as "
                   "Strava's API Agreement requires. To sync again, the athlete must authorize anew: "
                   "`python -m strava auth`")
        raise Deauthorized(message) from None
    if pending.deauthorization:
        log.warning("a deauthorization event arrived but Strava still accepts our refresh token: ignored "
                    "(forged, or the athlete authorized again since)")
        pending.done([e for e in pending.events if e.deauthorization])
        pending.events = [e for e in pending.events if not e.deauthorization]
    return token


def apply_events(pending: Pending, client: StravaClient, warehouse: Warehouse, token: str,
                 summary: RunSummary) -> None:
    """Confirm each activity's events with one read; upsert or archive. Stops (raising) when the budget
    does: events not yet applied stay spooled for the next run."""
    by_activity: dict[int, list[Event]] = {}
    for ev in pending.events:
        if ev.object_type == "activity":
            by_activity.setdefault(ev.object_id, []).append(ev)
    applied = [e for e in pending.events if e.object_type != "activity"]  # athlete updates: nothing we store
    try:
        for activity_id, events in list(by_activity.items())[:MAX_ACTIVITIES_PER_RUN]:
            deletes_only = all(e.aspect_type == "delete" for e in events)
            _apply_one(activity_id, events[0].owner_id, deletes_only, client, warehouse, token, summary)
            summary.events += len(events)
            applied += events
    finally:  # one rewrite of the spool, whatever stopped the loop
        pending.done(applied)
    if len(by_activity) > MAX_ACTIVITIES_PER_RUN:
        log.warning("%d activities have events; %d applied, the rest wait for the next run",
                    len(by_activity), MAX_ACTIVITIES_PER_RUN)


def _apply_one(activity_id: int, owner_id: int, deletes_only: bool, client: StravaClient, warehouse: Warehouse,
               token: str, summary: RunSummary) -> None:
    activity = client.get_activity(token, activity_id)
    now = datetime.now(UTC)
    if activity is None:
        deleted = warehouse.archive_activities([activity_id], summary.run_id, now)
        summary.deleted += deleted
        log_event(log, logging.INFO, "webhook: activity gone on Strava", activity_id=activity_id, archived=deleted)
        return
    if (activity.get("athlete") or {}).get("id") != owner_id:
        log.warning("webhook: activity %s belongs to another athlete; ignored", activity_id)
        return
    if deletes_only:  # "deleted", yet Strava still has it: a forged or mistaken event changes nothing
        log.warning("webhook: a delete event for activity %s, which Strava still has; ignored", activity_id)
        return
    try:
        row, _ = activity_row(summary_form(activity), now)
    except NotAnActivity as exc:
        raise BadResponse(f"Strava's answer for activity {activity_id} is not an activity: {exc}") from None
    result = warehouse.upsert_activities([row], f"{summary.run_id}-event-{activity_id}")
    summary.inserted += result.inserted
    summary.updated += result.updated
    log_event(log, logging.INFO, "webhook: activity stored", activity_id=activity_id,
              inserted=result.inserted, updated=result.updated)


def summary_form(detail: dict[str, Any]) -> dict[str, Any]:
    """A DetailedActivity in the listing's SummaryActivity form, as `raw` stores every activity."""
    form = {k: v for k, v in detail.items() if k not in DETAIL_ONLY} | {"resource_state": 2}
    if isinstance(form.get("map"), dict) and form["map"].get("resource_state") == 3:  # the detailed map
        form["map"] = {k: v for k, v in form["map"].items() if k != "polyline"} | {"resource_state": 2}
    return form
