"""Schema upgrades, the same on every engine: compare the stored version with the code's, and re-derive
the typed columns of stored activities from their `raw` JSON with the sync's own row model.

An engine's `setup()` reads the highest version in `schema_versions`, calls `needs_upgrade()` before any
DDL, adds the missing columns, then (when needed) rewrites the rows in bounded batches of `derived_rows()`
and records the new version last: an interrupted pass leaves the warehouse usable and runs again next time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from strava import schema
from strava.errors import ConfigError

log = logging.getLogger("strava.warehouse.upgrade")

# The columns a pass rewrites, keyed by id: an engine stages these and updates the stored rows from them.
DERIVED = schema.Table("derived", (schema.ACTIVITIES.column("id"), *schema.DERIVED_COLUMNS))
_UNUSED = datetime(1970, 1, 1, tzinfo=UTC)  # activity_row() wants a synced_at; the pass keeps the stored one


def needs_upgrade(stored: int | None, where: str) -> bool:
    """True when the warehouse predates the code's schema (None: no version recorded yet, i.e. built
    before versions were kept, or brand new). A newer warehouse than the code is a configuration error:
    old code must not rewrite rows or views that newer code shaped."""
    stored = stored or 0
    if stored > schema.SCHEMA_VERSION:
        raise ConfigError(
            f"{where} has schema version {stored} but this code knows only up to {schema.SCHEMA_VERSION}: "
            "a newer release wrote it. Upgrade the code (or deploy the newer release) and run again")
    if stored < schema.SCHEMA_VERSION:
        log.info("%s: schema version %s -> %s, re-deriving stored activities from raw",
                 where, stored, schema.SCHEMA_VERSION)
    return stored < schema.SCHEMA_VERSION


def derived_rows(stored: Iterable[tuple[int, str]]) -> list[dict[str, Any]]:
    """(id, raw JSON text) of stored activities -> rows of DERIVED. Type problems become None, as in a
    sync; a raw that no longer maps to a row is left alone (logged), never lost."""
    rows = []
    for activity_id, raw in stored:
        try:
            row, _ = schema.activity_row(json.loads(raw), _UNUSED)
        except ValueError as exc:  # bad JSON, or NotAnActivity
            log.warning("activity %s: raw JSON not re-derived (%s); its columns keep their values",
                        activity_id, exc)
            continue
        rows.append({c: row[c] for c in DERIVED.column_names} | {"id": activity_id})
    return rows


def version_row(backfilled: int) -> dict[str, Any]:
    """The row of schema_versions that closes a finished upgrade."""
    return {"version": schema.SCHEMA_VERSION, "applied_at": datetime.now(UTC), "backfilled": backfilled}
