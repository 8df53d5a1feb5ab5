"""The full-reload approach, implemented faithfully as the reference the sync is compared with.

Every run: refresh the access token, page through the athlete's whole history, then replace the
table with all rows (`CREATE OR REPLACE TABLE ... AS SELECT`). It reuses the product's Strava client
and row mapping on purpose, so the comparison isolates the policy (what is fetched and rewritten),
not the plumbing.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import duckdb

from strava.client import StravaClient
from strava.schema import ACTIVITIES, activity_row
from strava.secrets import SecretStore
from strava.settings import Settings
from strava.warehouse.duckdb import list_batch

TABLE = "activities_full_reload"


def full_reload(settings: Settings, store: SecretStore, db_path: str, table: str = TABLE) -> dict[str, Any]:
    """One full-reload run; returns its calls, rows and wall time."""
    started = time.perf_counter()
    client = StravaClient(settings)
    creds = store.read()
    grant = client.refresh_access_token(creds.client_id, creds.client_secret, creds.refresh_token)
    if grant.refresh_token != creds.refresh_token:
        store.save_refresh_token(grant.refresh_token)
    items = [item for page in client.iter_activity_pages(grant.access_token) for item in page]
    now = datetime.now(UTC)
    rows = [activity_row(item, now)[0] for item in items]
    with duckdb.connect(db_path) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT * EXCLUDE (raw), raw::JSON AS raw FROM '
                     + list_batch(ACTIVITIES), [[row.get(name) for row in rows] for name in ACTIVITIES.column_names])
        stored = conn.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]
    return {"api_calls": client.api_calls, "fetched": len(items), "rows_rewritten": stored,
            "wall_s": time.perf_counter() - started}
