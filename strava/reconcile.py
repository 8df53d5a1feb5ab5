"""The deletion pass of a `full` sync, range by range of start_date, resumable across runs.

Strava lists activities oldest first when only `after` is given, so once a page has arrived, every
activity starting strictly between the pass's cursor and the newest start listed so far has been listed:
that range is complete. After each page its range is closed: stored ids in it that Strava did not list
are confirmed one by one with GET /activities/{id}: 404 archives the activity as deleted, 200 means it
moved (its start time was edited) and it is stored as Strava has it now. Confirming right away, before the
next page, spends the rate budget in order, so every run moves the cursor forward. The cursor is kept in
the warehouse's `sync_state` table (written after each stored batch and when the run stops), so a run
stopped by the rate limit is continued by the next run, never restarted. The listing's empty page ends
the pass: the last range is open-ended.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from strava.errors import BadResponse, MassDeleteRefused, StravaError
from strava.logs import event
from strava.schema import activity_row
from strava.warehouse import Warehouse

log = logging.getLogger("strava.reconcile")

PASS = "reconcile"  # the pass's row in sync_state
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A range's own mass-delete guard needs more missing ids than this: a short last range may lose 2 of its 3.
RANGE_FLOOR = 50


class Progress(Protocol):
    """What the pass reports into: the run's summary (strava.sync.RunSummary)."""

    run_id: str
    deleted: int
    updated: int
    reconciled_through: str | None


class Reconciliation:
    """One run's share of the pass. `after` is where the listing starts; feed each page's rows to `listed`,
    call `save` after rows are stored and when the run stops, and `finish` after the listing's empty page."""

    def __init__(self, warehouse: Warehouse, progress: Progress, confirm: Callable[[int], dict | None],
                 allow_mass_delete: bool = False) -> None:
        self.warehouse, self.progress, self.confirm = warehouse, progress, confirm
        self.allow_mass_delete = allow_mass_delete
        state = warehouse.read_state(PASS)
        if state is None or state.get("reconciled_through") is None:  # no pass running: start one
            state = {"name": PASS, "pass_id": progress.run_id, "pass_started_at": datetime.now(UTC),
                     "reconciled_through": EPOCH, "examined": 0, "archived": 0}
            self._write(state)
        self.state = state
        self.after = _epoch(state["reconciled_through"])
        stored = warehouse.activity_starts(state["reconciled_through"])  # what is left to compare, by start
        self.entries = sorted((_epoch(start), i) for i, start in stored.items() if start is not None)
        self.starts = [start for start, _ in self.entries]
        self.undated = [(self.after + 1, i) for i, start in stored.items() if start is None]  # the last range's
        self.next = 0  # entries[next:] start after the cursor
        self.seen: dict[int, int | None] = {}  # id -> start, listed and not yet behind the cursor
        self.newest: int | None = None
        self._report()

    def listed(self, rows: Iterable[dict[str, Any]]) -> None:
        """Record one page; the range it completed is reconciled at once (GETs for the missing)."""
        for row in rows:
            start = _epoch(row["start_date"]) if row.get("start_date") else None
            if start is not None:
                if self.newest is not None and start < self.newest:
                    raise BadResponse("Strava's listing with `after` is not oldest first: the reconciliation "
                                      "cannot tell which ranges are complete, so it deletes nothing")
                self.newest = start
            self.seen[row["id"]] = start
        if self.newest is not None and self.newest - 1 > self.after:
            self._reconcile(self.newest)

    def save(self) -> None:
        """Persist the cursor (call once the listed rows are stored)."""
        self._write(self.state)

    def finish(self) -> None:
        """The listing reached its end: reconcile the open-ended last range; the pass is complete."""
        self._reconcile(None)
        event(log, logging.INFO, "reconciliation pass complete", pass_id=self.state["pass_id"],
              examined=self.state["examined"], archived=self.state["archived"])
        self.state.update(pass_id=None, reconciled_through=None)
        self.save()
        self._report()

    def _reconcile(self, before: int | None) -> None:
        """Compare stored activities starting after the cursor and before `before` (None: all the rest)."""
        end = len(self.entries) if before is None else bisect.bisect_left(self.starts, before, lo=self.next)
        window = self.entries[self.next:end] + (self.undated if before is None else [])
        missing = [(start, i) for start, i in window if i not in self.seen]
        self._guard(len(missing), len(window))
        gone: list[int] = []
        moved: list[dict[str, Any]] = []
        try:
            for _, activity_id in missing:
                detail = self.confirm(activity_id)
                if detail is None:
                    gone.append(activity_id)
                else:
                    moved.append(detail)
        except StravaError:  # stopped while confirming: the cursor moves up to the first unconfirmed one
            self._advance(missing[len(gone) + len(moved)][0], gone)
            raise
        finally:
            self._apply(gone, moved)
        self._advance(before, gone)

    def _advance(self, before: int | None, gone: list[int]) -> None:
        if before is None:
            self.state["examined"] += len(self.entries) - self.next + len(self.undated)
            self.next = len(self.entries)
        elif before - 1 > self.after:
            end = bisect.bisect_left(self.starts, before, lo=self.next)
            self.state["examined"] += end - self.next
            self.next, self.after = end, before - 1
            self.state["reconciled_through"] = _at(self.after)
            self.seen = {i: s for i, s in self.seen.items() if s is None or s >= before}
        self.state["archived"] += len(gone)
        self._report()

    def _guard(self, missing: int, stored: int) -> None:
        if self.allow_mass_delete or not missing:
            return
        examined, gone = self.state["examined"] + stored, self.state["archived"] + missing
        if gone * 2 > examined or (missing > RANGE_FLOOR and missing * 2 > stored):
            raise MassDeleteRefused(
                f"Strava's listing lacks {missing} of the {stored} stored activities starting after "
                f"{_at(self.after):%Y-%m-%d %H:%M:%S} UTC ({gone} of {examined} so far in this reconciliation "
                "pass); nothing was deleted. If that is really intended, re-run with --allow-mass-delete "
                "(or {\"full\": true, \"allow_mass_delete\": true})")

    def _apply(self, gone: list[int], moved: list[dict[str, Any]]) -> None:
        now = datetime.now(UTC)
        if gone:
            self.progress.deleted += self.warehouse.archive_activities(gone, self.progress.run_id, now)
            event(log, logging.INFO, "archived activities deleted on Strava", deleted=len(gone))
        if moved:
            rows = [activity_row(detail, now)[0] for detail in moved]
            result = self.warehouse.upsert_activities(rows, f"{self.progress.run_id}-moved-{self.after}")
            self.progress.updated += result.updated + result.inserted
            event(log, logging.INFO, "stored activities whose start time moved", moved=len(rows))

    def _write(self, state: dict[str, Any]) -> None:
        self.warehouse.write_state({**state, "updated_at": datetime.now(UTC)})

    def _report(self) -> None:
        through = self.state["reconciled_through"]
        self.progress.reconciled_through = None if through is None else through.date().isoformat()


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
