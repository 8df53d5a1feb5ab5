"""The simulator's truth: one athlete's activities, ordered by start date, as each scope may see them."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from strava.simulator.data import iso_z, parse_iso

MAX_PER_PAGE = 200
Entry = tuple[int, int, dict]  # (start epoch, id, activity)


def copy_json(value: Any) -> Any:
    """Deep copy of a JSON value (several times faster than copy.deepcopy)."""
    if isinstance(value, dict):
        return {k: copy_json(v) if isinstance(v, (dict, list)) else v for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) if isinstance(v, (dict, list)) else v for v in value]
    return value


def epoch(value: Any) -> int:
    """A start date given as ISO text, datetime or epoch seconds."""
    if isinstance(value, datetime):
        return int(value.timestamp()) if value.tzinfo else parse_iso(value.isoformat())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    return parse_iso(str(value))


def apply_fields(activity: dict, fields: dict, drop_keys: Iterable[str]) -> dict:
    """`activity` with `fields` set and `drop_keys` removed; a new start_date moves start_date_local along."""
    fields = dict(fields)
    if "start_date" in fields:
        start = epoch(fields.pop("start_date"))
        activity["start_date"] = iso_z(start)
        if "start_date_local" not in fields:
            activity["start_date_local"] = iso_z(start + int(activity.get("utc_offset") or 0))
    if isinstance(fields.get("start_date_local"), datetime):
        fields["start_date_local"] = fields["start_date_local"].strftime("%Y-%m-%dT%H:%M:%SZ")
    activity.update(fields)
    for key in drop_keys:
        activity.pop(key, None)
    if not isinstance(activity.get("id"), int):
        raise ValueError("an activity needs an integer id")
    return activity


def _order(entry: Entry) -> tuple[int, int]:
    return entry[0], entry[1]


class ActivityStore:
    """Activities sorted by (start, id) and indexed by id. Not locked: the simulator holds its lock.

    An edit replaces an activity's dict instead of changing it, so a page being sent stays consistent.
    """

    def __init__(self, activities: Iterable[dict]) -> None:
        self._entries: list[Entry] = sorted(((epoch(a["start_date"]), a["id"], a) for a in activities), key=_order)
        self._by_id = {e[1]: e for e in self._entries}
        self._views: dict[bool, tuple[list[int], list[dict]]] = {}  # show_private -> (starts, items)

    def __len__(self) -> int:
        return len(self._entries)

    def items(self) -> list[dict]:
        """Oldest first; the stored dicts themselves (copy them before handing them out)."""
        return [e[2] for e in self._entries]

    def get(self, activity_id: int) -> dict:
        return copy_json(self._by_id[activity_id][2])

    def find(self, activity_id: int) -> dict | None:
        """The stored dict itself (never changed in place: an edit replaces it), or None."""
        entry = self._by_id.get(activity_id)
        return entry[2] if entry else None

    def max_id(self) -> int:
        return max(self._by_id, default=0)

    def add(self, activity: dict) -> dict:
        self._insert(activity)
        return copy_json(activity)

    def edit(self, activity_id: int, fields: dict, drop_keys: Iterable[str]) -> dict:
        old = self._by_id[activity_id][2]
        activity = apply_fields(dict(old), fields, drop_keys)
        if activity["id"] != old["id"] and activity["id"] in self._by_id:
            raise ValueError(f"activity {activity['id']} exists")  # before removing the old one
        self._remove(activity_id)
        self._insert(activity)
        return copy_json(activity)

    def delete(self, activity_id: int) -> None:
        if activity_id not in self._by_id:
            raise KeyError(activity_id)
        self._remove(activity_id)

    def _insert(self, activity: dict) -> None:
        if activity["id"] in self._by_id:
            raise ValueError(f"activity {activity['id']} exists")
        entry = (epoch(activity["start_date"]), activity["id"], activity)
        bisect.insort(self._entries, entry, key=_order)
        self._by_id[activity["id"]] = entry
        self._views.clear()

    def _remove(self, activity_id: int) -> None:
        entry = self._by_id.pop(activity_id)
        del self._entries[bisect.bisect_left(self._entries, _order(entry), key=_order)]
        self._views.clear()

    def _view(self, show_private: bool) -> tuple[list[int], list[dict]]:
        """Start epochs and activities, ascending, as one scope sees them (cached until an edit)."""
        if show_private not in self._views:
            entries = [e for e in self._entries if visible(e[2], show_private)]
            self._views[show_private] = ([e[0] for e in entries], [e[2] for e in entries])
        return self._views[show_private]

    def page(self, show_private: bool, before: int | None, after: int | None, page: int | None,
             per_page: int | None) -> list[dict]:
        """GET /athlete/activities: newest first, oldest first when only `after` is given (bounds strict)."""
        starts, items = self._view(show_private)
        lo = bisect.bisect_right(starts, after) if after is not None else 0
        hi = bisect.bisect_left(starts, before) if before is not None else len(starts)
        size = min(per_page, MAX_PER_PAGE) if per_page and per_page > 0 else 30
        skip = (max(page or 1, 1) - 1) * size
        if after is not None and before is None:  # oldest first (with both bounds Strava goes newest first)
            return items[lo + skip:max(lo + skip, min(hi, lo + skip + size))]
        top = hi - skip  # newest first
        return items[max(lo, top - size):max(lo, top)][::-1]


def visible(activity: dict, show_private: bool) -> bool:
    """Whether a token sees it: "Only You" activities need activity:read_all."""
    return show_private or (activity.get("visibility") != "only_me" and not activity.get("private"))
