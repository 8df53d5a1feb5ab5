"""`s3://BUCKET/PREFIX`: a lake of JSON-lines objects that Athena reads directly (Hive partitions).

    PREFIX/activities/year=YYYY/month=MM/data.json          by start_date (UTC)
    PREFIX/deleted_activities/year=YYYY/month=MM/data.json  by deleted_at
    PREFIX/sync_runs/year=YYYY/month=MM/data.json           by started_at
    PREFIX/<table>/year=YYYY/month=MM/data.json             schema.ACTIVITY_TABLES, by their activity's month
    PREFIX/athlete_settings/data.json, PREFIX/athlete_zones/data.json, PREFIX/schema_versions/data.json,
    PREFIX/sync_state/data.json
    PREFIX/_state/index.json  (per table: month -> ETag, activity ids[, newest start])   PREFIX/_state/lock.json

Rows are the other engines' rows (strava.schema), one JSON object a line, every column present; `raw` is
the activity's JSON text; timestamps are `YYYY-MM-DD HH:MM:SS[.ffffff]` in UTC (what Athena's JSON SerDe
reads as TIMESTAMP). A change rewrites the whole month object (read, merge by key, write): S3 replaces an
object atomically, so a crash leaves the old or the new month, never half of one. A month without a
start_date lands in year=0000/month=00.

Per-activity tables (streams, metrics...) are JSON lines too, not Parquet: the Lambda would otherwise ship
pyarrow, and Athena reads arrays in JSON lines as well. Their rows go into the month object of their
activity (where it is when they are written), so replacing one activity's rows rewrites one object and
every activity's rows are always all old or all new. The index records which activity ids have rows in
each month object: `activities_without` reads only the activities months holding an activity with none.
Archiving removes the rows after the archive and the activity; rows whose activity is no longer stored
(a run that died in between) are removed by the next `setup()`.

The index spares reading every month for `latest_start_date`, `activity_ids` and moves (an edit that
changes an activity's month). It is written after the data, and `setup()` checks it against one LIST per
table of the month objects' ETags: a month written by a run that died before its index write is re-read,
and an activity left in two months by such a run is kept in the newer copy only (its per-activity rows:
in its activity's month). So the index is a cache that
cannot go stale unseen, and a normal run costs one LIST and one GET before its first write.

One writer at a time: `setup()` creates the lock object with If-None-Match: *; a second run refuses with
a WarehouseError while the lock is unexpired, and takes over an expired one (a run that died) with
If-Match on its ETag. The holder renews it as it writes; every month is also written with If-Match on the
ETag it read, so a writer that lost its lock cannot overwrite another's data.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from strava import schema
from strava.aws import aws_errors, describe, error_code, make_client
from strava.errors import ConfigError, SyncError, WarehouseError
from strava.warehouse.base import UpsertResult, settings_row, zones_history, zones_row
from strava.warehouse.upgrade import DERIVED, derived_rows, needs_upgrade, version_row

log = logging.getLogger("strava.warehouse.s3")

DATA_FILE = "data.json"
LOCK_SECONDS = 900  # a run renews its lock while it writes; one that died frees it after this
PARTITIONED = {"activities": "start_date", "deleted_activities": "deleted_at", "sync_runs": "started_at"}
NO_MONTH = "0000-00"
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_CONFLICT = ("PreconditionFailed", "ConditionalRequestConflict")
PERMISSIONS = {"read": "s3:GetObject", "list": "s3:ListBucket", "write": "s3:PutObject", "delete": "s3:DeleteObject"}
Rows = dict[Any, dict[str, Any]]  # a month object: key column value -> row
Groups = dict[int, list[dict[str, Any]]]  # a per-activity table's month object: activity id -> its rows


def lake_row(row: dict[str, Any], table: schema.Table) -> dict[str, Any]:
    """A warehouse row as the lake stores it: every column, JSON-ready, in schema order."""
    return {c.name: [_cell(v, c.type) for v in row.get(c.name) or ()] if c.repeated else _cell(row.get(c.name), c.type)
            for c in table.columns}


def _cell(value: Any, type_: str) -> Any:
    if value is None:
        return None
    if type_ == schema.TIMESTAMP:
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    if type_ == schema.DATETIME:
        return value.isoformat(sep=" ")
    if type_ == schema.DATE:
        return value.isoformat()
    return value


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _python(value: Any, type_: str) -> Any:
    """A lake cell as the other engines return it (the inverse of _cell)."""
    if value is None:
        return None
    if type_ == schema.TIMESTAMP:
        return _instant(value)
    if type_ == schema.DATETIME:
        return datetime.fromisoformat(value)
    if type_ == schema.DATE:
        return date.fromisoformat(value)
    return value


def _stored(value: Any, column: schema.Column) -> Any:
    """A lake cell of `column` as the other engines return it."""
    return value if column.repeated else _python(value, column.type)


def _matching(rows: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
    """The activities rows for which the SQL predicate `where` holds, evaluated over the lake's cells by
    sqlglot's Python executor (imported here: only passes that filter need it)."""
    try:
        from sqlglot.errors import SqlglotError
        from sqlglot.executor import execute
    except ImportError:
        raise ConfigError("filtering activities on the S3 lake needs sqlglot (pinned in requirements.txt); add it "
                          "to the Lambda's layer (terraform/aws/requirements.txt)") from None
    if not rows:
        return []
    try:
        kept = {r[0] for r in execute(f"SELECT id FROM activities WHERE {where}", tables={"activities": rows}).rows}
    except SqlglotError as exc:
        raise WarehouseError(f"cannot evaluate the filter {where!r} over the lake's activities: {exc}") from None
    return [r for r in rows if r["id"] in kept]


def month_of(row: dict[str, Any], table: str) -> str:
    stamp = row.get(PARTITIONED[table])
    return f"{stamp[:4]}-{stamp[5:7]}" if stamp else NO_MONTH


@dataclass
class Month:
    """What the index knows of one activities month object."""

    etag: str
    ids: set[int] = field(default_factory=set)
    latest: str | None = None  # newest start_date in it

    @classmethod
    def of(cls, etag: str, rows: Rows) -> Month:
        starts = [r["start_date"] for r in rows.values() if r.get("start_date")]
        return cls(etag, set(rows), max(starts, key=_instant) if starts else None)


class S3Warehouse:
    def __init__(self, bucket: str, prefix: str = "", *, client: Any = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 lock_seconds: float = LOCK_SECONDS) -> None:
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.description = f"s3://{bucket}/{self.prefix}"
        self.client = client or make_client("s3")
        self._clock, self._lock_ttl = clock, timedelta(seconds=lock_seconds)
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._lock_etag: str | None = None
        self._lock_expires = datetime.min.replace(tzinfo=UTC)
        self._months: dict[str, Month] = {}
        self._where: dict[int, str] = {}  # activity id -> its month
        self._parts: dict[str, dict[str, Month]] = {}  # per-activity table -> month -> the ids with rows in it

    @classmethod
    def from_spec(cls, spec: str, **kwargs: Any) -> S3Warehouse:
        """`//BUCKET/PREFIX` (what follows `s3:`)."""
        bucket, _, prefix = spec.removeprefix("//").partition("/")
        if not spec.startswith("//") or not _BUCKET.match(bucket):
            raise ConfigError(f"STRAVA_WAREHOUSE=s3:{spec!r} is not s3://BUCKET/PREFIX (e.g. s3://my-lake/strava)")
        return cls(bucket, prefix, **kwargs)

    # --- S3 calls ----------------------------------------------------------------------------------------

    def _key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    def _table_key(self, table: str, month: str | None = None) -> str:
        if month is None:
            return self._key(table, DATA_FILE)
        return self._key(table, f"year={month[:4]}", f"month={month[5:]}", DATA_FILE)

    def _errors(self, action: str, key: str) -> AbstractContextManager[None]:
        where = f"s3://{self.bucket}/{key}"
        return aws_errors(lambda exc, code: self._explain(action, where, exc, code),
                          f"S3 could not {action} {where}", WarehouseError)

    def _explain(self, action: str, where: str, exc: Exception, code: str) -> SyncError:
        if code == "NoSuchBucket":
            return ConfigError(f"bucket {self.bucket} does not exist: run `terraform apply` (terraform/aws) "
                               "or create it")
        if code in ("AccessDenied", "403"):
            return ConfigError(f"permission denied to {action} {where}: the role needs {PERMISSIONS[action]} on "
                               f"s3://{self.bucket}/{self.prefix}")
        return WarehouseError(f"S3 could not {action} {where}: {describe(exc)}")

    def _get(self, key: str) -> tuple[bytes, str] | None:
        """(body, ETag), None when the object does not exist."""
        with self._errors("read", key):
            try:
                answer = self.client.get_object(Bucket=self.bucket, Key=key)
            except Exception as exc:
                if error_code(exc) in ("NoSuchKey", "404"):
                    return None
                raise
            return answer["Body"].read(), answer["ETag"]

    def _put(self, key: str, body: bytes, etag: str | None, content_type: str) -> str:
        """Write `body` only if the object is still the one read (ETag `etag`, None: still absent). Returns the
        new ETag; a conflict (another writer) is a WarehouseError, raised before anything is replaced."""
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        with self._errors("write", key):
            try:
                return self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type,
                                              **condition)["ETag"]
            except Exception as exc:
                if error_code(exc) in _CONFLICT:
                    raise WarehouseError(f"s3://{self.bucket}/{key} was changed by another writer meanwhile; "
                                         "nothing was overwritten. Run again") from None
                raise

    def _list_etags(self, table: str) -> dict[str, str]:
        """{month: ETag} of the table's month objects, one LIST request per 1000."""
        key = self._key(table) + "/"
        found = {}
        with self._errors("list", key):
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=key):
                for obj in page.get("Contents", []):
                    match = re.search(r"year=(\d{4})/month=(\d{2})/" + re.escape(DATA_FILE) + "$", obj["Key"])
                    if match:
                        found[f"{match[1]}-{match[2]}"] = obj["ETag"]
        return found

    # --- tables as keyed rows ----------------------------------------------------------------------------

    def _read_lines(self, table: str, month: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        """One table object's rows, each with its key column, and its ETag (([], None) when absent)."""
        key = self._table_key(table, month)
        found = self._get(key)
        if found is None:
            return [], None
        body, etag = found
        column = _KEYS.get(table, "activity_id")
        try:
            rows = [json.loads(line) for line in body.decode("utf-8").splitlines() if line.strip()]
            for row in rows:
                row[column]  # noqa: B018 - a row without its key is refused here, not later
            return rows, etag
        except (ValueError, KeyError, TypeError) as exc:
            raise WarehouseError(f"s3://{self.bucket}/{key} is not JSON lines with {column!r} in each row "
                                 f"({type(exc).__name__}); left as it is, fix or remove it") from None

    def _read_rows(self, table: str, month: str | None = None) -> tuple[Rows, str | None]:
        """One table object as {key: row} and its ETag (({}, None) when absent)."""
        rows, etag = self._read_lines(table, month)
        return {row[_KEYS[table]]: row for row in rows}, etag

    def _read_groups(self, table: str, month: str) -> tuple[Groups, str | None]:
        """One month of a per-activity table as {activity id: its rows} and its ETag."""
        rows, etag = self._read_lines(table, month)
        groups: Groups = {}
        for row in rows:
            groups.setdefault(row["activity_id"], []).append(row)
        return groups, etag

    def _write_rows(self, table: str, month: str | None, rows: Rows, etag: str | None) -> str | None:
        """Replace the object with `rows` sorted by key, so equal content gives an equal ETag."""
        return self._write_lines(table, month, [rows[k] for k in sorted(rows, key=str)], etag)

    def _write_lines(self, table: str, month: str | None, rows: list[dict[str, Any]], etag: str | None) -> str | None:
        """Replace the object with `rows`; an empty month is deleted. Returns the new ETag (None when deleted)."""
        self._hold_lock()
        key = self._table_key(table, month)
        if not rows:
            if etag:
                with self._errors("delete", key):
                    self.client.delete_object(Bucket=self.bucket, Key=key)
            return None
        lines = (json.dumps(row, ensure_ascii=False, separators=(",", ":")) for row in rows)
        return self._put(key, ("\n".join(lines) + "\n").encode("utf-8"), etag, "application/x-ndjson")

    def _merge(self, table: str, month: str | None, changes: Rows) -> None:
        rows, etag = self._read_rows(table, month)
        self._write_rows(table, month, rows | changes, etag)

    # --- the lock ----------------------------------------------------------------------------------------

    def _lock_body(self) -> bytes:
        expires = self._clock() + self._lock_ttl
        return json.dumps({"owner": self._owner, "expires_at": expires.isoformat()}).encode()

    def _acquire_lock(self) -> None:
        key = self._key("_state", "lock.json")
        try:
            self._lock_etag = self._put(key, self._lock_body(), None, "application/json")
        except WarehouseError:  # it exists: refuse unless it has expired
            found = self._get(key)
            held = json.loads(found[0]) if found else {}
            expires = datetime.fromisoformat(held.get("expires_at", "1970-01-01T00:00:00+00:00"))
            if expires > self._clock():
                raise WarehouseError(
                    f"{self.description} is locked by another sync run ({held.get('owner', '?')}) until "
                    f"{expires:%Y-%m-%d %H:%M:%S} UTC; this run refused to write beside it. Try again when that "
                    "run has finished (a lock left by a run that died expires by itself)") from None
            log.warning("taking over the expired lock of %s on %s (that run died)", held.get("owner"),
                        self.description)
            try:
                self._lock_etag = self._put(key, self._lock_body(), found[1] if found else None, "application/json")
            except WarehouseError:
                raise WarehouseError(f"{self.description}: another run took the expired lock first; this run "
                                     "refused to write beside it") from None
        self._lock_expires = self._clock() + self._lock_ttl

    def _hold_lock(self) -> None:
        """Before each write: the lock must be ours; renew it when half its time has passed."""
        if self._lock_etag is None:
            raise WarehouseError(f"{self.description}: setup() takes the writer's lock before any write")
        if self._clock() < self._lock_expires - self._lock_ttl / 2:
            return
        try:
            self._lock_etag = self._put(self._key("_state", "lock.json"), self._lock_body(), self._lock_etag,
                                        "application/json")
        except WarehouseError:
            self._lock_etag = None
            raise WarehouseError(f"{self.description}: this run's lock expired and another run took it; it "
                                 "stopped writing (what it wrote is complete, the next run goes on)") from None
        self._lock_expires = self._clock() + self._lock_ttl

    def _release_lock(self) -> None:
        if self._lock_etag is None:
            return
        key, etag, self._lock_etag = self._key("_state", "lock.json"), self._lock_etag, None
        try:  # only if it is still ours
            self.client.delete_object(Bucket=self.bucket, Key=key, IfMatch=etag)
        except Exception as exc:  # noqa: BLE001 - it expires anyway; a release never hides the run's outcome
            if error_code(exc) in _CONFLICT:
                return
            log.warning("conditional release of the lock on %s failed (%s); deleting it plainly",
                        self.description, describe(exc))
            with suppress(Exception):
                self.client.delete_object(Bucket=self.bucket, Key=key)

    # --- the activities index ----------------------------------------------------------------------------

    def _load_index(self) -> None:
        """The index, checked against the month objects' ETags; a month it does not know as listed is re-read."""
        found = self._get(self._key("_state", "index.json"))
        saved = json.loads(found[0]) if found else {}
        self._months, changed = self._checked("activities", saved.get("activities", {}))
        self._where = {i: m for m, entry in sorted(self._months.items()) for i in entry.ids}
        if changed:
            self._drop_duplicates()
        for table in (t.name for t in schema.ACTIVITY_TABLES):
            self._parts[table], stale = self._checked(table, saved.get(table, {}))
            if stale:
                self._drop_duplicate_groups(table)
            orphans = self._homes(table).keys() - self._where.keys()
            if orphans:  # a run died between archiving activities and removing their rows
                log.warning("%s: removing %s rows of %d activities no longer stored", self.description, table,
                            len(orphans))
                self._drop_groups(table, orphans)
            changed |= stale or bool(orphans)
        if changed:
            log.info("%s: index refreshed from the month objects", self.description)
            self._save_index()

    def _checked(self, table: str, saved: dict[str, Any]) -> tuple[dict[str, Month], bool]:
        """The table's index entries that match a listed object, months re-read where not; and whether
        anything differed."""
        known = {m: Month(e["etag"], set(e["ids"]), e.get("latest")) for m, e in saved.items()}
        listed = self._list_etags(table)
        stale = [m for m, etag in listed.items() if m not in known or known[m].etag != etag]
        months = {m: known[m] for m in listed if m not in stale}
        for month in stale:
            if table == "activities":
                rows, etag = self._read_rows(table, month)
                entry = Month.of(etag, rows) if etag else None
            else:
                groups, etag = self._read_groups(table, month)
                entry = Month(etag, set(groups)) if etag else None
            if entry:
                months[month] = entry
        return months, bool(stale) or set(known) != set(listed)

    def _drop_duplicates(self) -> None:
        """An activity in two months (a run died between writing its new month and its old one): keep the
        copy synced last."""
        seen: dict[int, list[str]] = {}
        for month, entry in self._months.items():
            for i in entry.ids:
                seen.setdefault(i, []).append(month)
        doubled = {i: months for i, months in seen.items() if len(months) > 1}
        copies = {m: self._read_rows("activities", m) for m in {m for ms in doubled.values() for m in ms}}
        for i, months in doubled.items():
            keep = max(months, key=lambda m: _instant(copies[m][0][i]["synced_at"]))
            self._where[i] = keep
            for month in months:
                if month != keep:
                    del copies[month][0][i]
        for month, (rows, etag) in copies.items():
            self._store_month(month, rows, etag)

    def _drop_duplicate_groups(self, table: str) -> None:
        """An activity's rows in two months (a run died between writing the new ones and removing the old):
        keep those in the activity's month."""
        seen: dict[int, list[str]] = {}
        for month, entry in self._parts[table].items():
            for i in entry.ids:
                seen.setdefault(i, []).append(month)
        drops: dict[str, set[int]] = {}
        for i, months in seen.items():
            keep = self._where[i] if self._where.get(i) in months else max(months)
            for month in months:
                if month != keep:
                    drops.setdefault(month, set()).add(i)
        for month, ids in sorted(drops.items()):
            self._rewrite_groups(table, month, drop=ids)

    def _homes(self, table: str) -> dict[int, str]:
        """Activity id -> the month object of the table holding its rows."""
        return {i: m for m, entry in sorted(self._parts.get(table, {}).items()) for i in entry.ids}

    def _rewrite_groups(self, table: str, month: str, drop: Collection[int], put: Groups | None = None) -> None:
        """Rewrite one month of a per-activity table without the rows of `drop`, with those of `put`."""
        groups, etag = self._read_groups(table, month)
        new = {i: rows for i, rows in groups.items() if i not in drop} | (put or {})
        if new != groups:
            etag = self._write_lines(table, month, [row for i in sorted(new) for row in new[i]], etag)
        parts = self._parts.setdefault(table, {})
        if etag is None:
            parts.pop(month, None)
        else:
            parts[month] = Month(etag, set(new))

    def _drop_groups(self, table: str, ids: Collection[int]) -> None:
        homes = self._homes(table)
        for month in sorted({homes[i] for i in ids if i in homes}):
            self._rewrite_groups(table, month, drop=set(ids))

    def _store_month(self, month: str, rows: Rows, etag: str | None) -> None:
        new_etag = self._write_rows("activities", month, rows, etag)
        if new_etag is None:
            self._months.pop(month, None)
        else:
            self._months[month] = Month.of(new_etag, rows)

    def _save_index(self) -> None:
        self._hold_lock()
        index = {table: {m: {"etag": e.etag, "ids": sorted(e.ids), "latest": e.latest}
                         for m, e in sorted(months.items())}
                 for table, months in (("activities", self._months), *sorted(self._parts.items()))}
        key = self._key("_state", "index.json")
        with self._errors("write", key):  # unconditional: the lock makes this run the only writer
            self.client.put_object(Bucket=self.bucket, Key=key, ContentType="application/json",
                                   Body=json.dumps(index, separators=(",", ":")).encode())

    # --- the Warehouse protocol --------------------------------------------------------------------------

    def setup(self) -> None:
        if self._lock_etag is None:
            self._acquire_lock()
        else:  # a warehouse kept open across runs already holds it
            self._hold_lock()
        versions, _ = self._read_rows("schema_versions")
        upgrade = needs_upgrade(max(versions, default=None), self.description)
        self._load_index()
        if upgrade:
            version = lake_row(version_row(self._rederive()), schema.SCHEMA_VERSIONS)
            self._merge("schema_versions", None, {version["version"]: version})

    def _rederive(self) -> int:
        """Rewrite the typed columns of every stored activity from its raw JSON, one month object at a time."""
        done = 0
        for month in sorted(self._months):
            rows, etag = self._read_rows("activities", month)
            derived = derived_rows((i, row["raw"]) for i, row in rows.items())
            for new in derived:
                rows[new["id"]] |= lake_row(new, DERIVED)
            self._store_month(month, rows, etag)
            done += len(derived)
        self._save_index()
        return done

    def latest_start_date(self) -> datetime | None:
        starts = [entry.latest for entry in self._months.values() if entry.latest]
        return max(map(_instant, starts)) if starts else None

    def activity_ids(self) -> set[int]:
        return set(self._where)

    def activity_starts(self, after: datetime) -> dict[int, datetime | None]:
        """Only the months that can hold a start after `after` (and the no-start month) are read."""
        since = after.astimezone(UTC).strftime("%Y-%m")
        starts: dict[int, datetime | None] = {}
        for month in sorted(self._months):
            if month != NO_MONTH and month < since:
                continue
            rows, _ = self._read_rows("activities", month)
            for activity_id, row in rows.items():
                start = _python(row.get("start_date"), schema.TIMESTAMP)
                if start is None or start > after:
                    starts[activity_id] = start
        return starts

    def read_state(self, name: str) -> dict[str, Any] | None:
        rows, _ = self._read_rows("sync_state")
        row = rows.get(name)
        return None if row is None else {c.name: _python(row.get(c.name), c.type) for c in schema.SYNC_STATE.columns}

    def write_state(self, row: dict[str, Any]) -> None:
        stored = lake_row(row, schema.SYNC_STATE)
        self._merge("sync_state", None, {stored["name"]: stored})

    def upsert_activities(self, rows: Sequence[dict[str, Any]], batch_key: str) -> UpsertResult:
        latest = {row["id"]: lake_row(row, schema.ACTIVITIES) for row in rows}  # duplicate ids: the last wins
        by_month: dict[str, Rows] = {}
        for i, row in latest.items():
            by_month.setdefault(month_of(row, "activities"), {})[i] = row
        inserted = updated = 0
        for month, changes in sorted(by_month.items()):  # new homes first: a crash duplicates, never loses
            stored, etag = self._read_rows("activities", month)
            fresh = {i: row for i, row in changes.items() if i not in stored or stored[i]["raw"] != row["raw"]}
            if fresh:
                self._store_month(month, stored | fresh, etag)
            inserted += sum(1 for i in fresh if i not in self._where)
            updated += sum(1 for i in fresh if i in self._where)
        moved = {i: self._where[i] for i, row in latest.items()
                 if i in self._where and self._where[i] != month_of(row, "activities")}
        self._remove(moved)
        self._where.update({i: month_of(row, "activities") for i, row in latest.items()})
        if by_month:
            self._save_index()
        return UpsertResult(inserted, updated)

    def _remove(self, where: dict[int, str]) -> list[dict[str, Any]]:
        """Take the activities out of the months given; returns the rows removed."""
        removed = []
        for month in sorted(set(where.values())):
            rows, etag = self._read_rows("activities", month)
            gone = [rows.pop(i) for i, m in where.items() if m == month and i in rows]
            if gone:
                self._store_month(month, rows, etag)
                removed += gone
        return removed

    def archive_activities(self, ids: Collection[int], run_id: str, deleted_at: datetime) -> int:
        where = {i: self._where[i] for i in ids if i in self._where}
        if not where:
            return 0
        stored = {i: row for m in set(where.values()) for i, row in self._read_rows("activities", m)[0].items()}
        archived = {i: lake_row({"id": i, "deleted_at": deleted_at, "run_id": run_id}, schema.DELETED_ACTIVITIES)
                    | {"start_date": stored[i]["start_date"], "raw": stored[i]["raw"]} for i in where if i in stored}
        self._merge("deleted_activities", month_of(next(iter(archived.values())), "deleted_activities"), archived)
        removed = self._remove(where)  # after the archive is durable: a crash archives twice, never loses
        for i in where:
            self._where.pop(i, None)
        for table in self._parts:  # then their rows (a crash before: setup() removes them)
            self._drop_groups(table, where)
        self._save_index()
        return len(removed)

    def delete_strava_data(self) -> int:
        """Not atomic on S3: activities go first, so a run that dies midway leaves no activity without
        its archive; setup() then removes per-activity rows whose activity is gone, and the next confirmed
        deauthorization deletes what is left."""
        deleted = 0
        for table in schema.STRAVA_DATA:
            if table.name not in PARTITIONED and table not in schema.ACTIVITY_TABLES:  # one object (athlete_zones)
                deleted += self._delete_object(table.name, None, None)
                continue
            for month, etag in sorted(self._list_etags(table.name).items()):
                deleted += self._delete_object(table.name, month, etag)
            if table is schema.ACTIVITIES:
                self._months, self._where = {}, {}
                self._save_index()
        self._parts = {}
        self._save_index()
        return deleted

    def _delete_object(self, table: str, month: str | None, etag: str | None) -> int:
        """Delete one table object, If-Match `etag` (None: the one read); returns how many rows it held."""
        rows, read = self._read_lines(table, month)
        if etag or read:
            key = self._table_key(table, month)
            with self._errors("delete", key):
                self.client.delete_object(Bucket=self.bucket, Key=key, IfMatch=etag or read)
        return len(rows)

    def replace_activity_rows(self, table: schema.Table, activity_ids: Collection[int],
                              rows: Sequence[dict[str, Any]]) -> None:
        """Each activity's rows go, whole, into its month's object (one conditional write per month)."""
        ids = set(activity_ids)
        stray = {row.get("activity_id") for row in rows} - ids
        if stray:
            raise WarehouseError(f"{table.name}: rows of activities {sorted(stray, key=str)} are not among those "
                                 "replaced; nothing was written")
        if not ids:
            return
        new: Groups = {}
        for row in rows:
            new.setdefault(row["activity_id"], []).append(lake_row(row, table))
        home = {i: self._where.get(i, NO_MONTH) for i in new}
        old = {m for i, m in self._homes(table.name).items() if i in ids} - set(home.values())
        for month in [*sorted(set(home.values())), *sorted(old)]:  # new homes first: a crash duplicates, never loses
            self._rewrite_groups(table.name, month, drop=ids,
                                 put={i: group for i, group in new.items() if home[i] == month})
        self._save_index()

    def activities_without(self, table: schema.Table, columns: Sequence[str], limit: int,
                           where: str | None = None, matching: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Newest months first, reading only those with an activity that has no row in `table`. `matching`
        names columns `table` copies from `activities`: an activity none of whose rows has the same values
        counts as missing too (then every month is read, until `limit` are found)."""
        homes = self._homes(table.name)
        found: list[dict[str, Any]] = []
        for month in sorted(self._months, reverse=True):  # year=0000 (no start_date) last, as NULLS LAST
            if len(found) >= limit:
                break
            if not matching and self._months[month].ids <= homes.keys():
                continue
            rows, _ = self._read_rows("activities", month)
            done = self._current(table.name, rows, homes, matching)
            todo = [row for i, row in rows.items() if i not in done]
            found += sorted(_matching(todo, where) if where else todo,
                            key=lambda r: (r["start_date"] or "", r["id"]), reverse=True)
        types = {c.name: c.type for c in schema.ACTIVITIES.columns}
        return [{c: _python(row[c], types[c]) for c in columns} for row in found[:max(limit, 0)]]

    def _current(self, table: str, rows: Rows, homes: dict[int, str], matching: Sequence[str]) -> set[int]:
        """The activities among `rows` that have rows in `table`, with `matching` columns equal to theirs."""
        have = {i for i in rows if i in homes}
        if not matching:
            return have
        copies: Groups = {}
        for month in sorted({homes[i] for i in have}):
            copies |= self._read_groups(table, month)[0]
        return {i for i in have if any(all(copy.get(c) == rows[i].get(c) for c in matching)
                                       for copy in copies.get(i, ()))}

    def read_streams(self, activity_ids: Collection[int], columns: Sequence[str]) -> Iterator[dict[str, Any]]:
        """A month object at a time (the lake cannot read less of it), keeping the rows asked for."""
        table = schema.ACTIVITY_STREAMS
        homes = self._homes(table.name)
        wanted = {int(i) for i in activity_ids} & homes.keys()
        for month in sorted({homes[i] for i in wanted}):
            groups, _ = self._read_groups(table.name, month)
            for i in sorted(wanted & groups.keys()):
                yield from ({"activity_id": i} | {c: _stored(row.get(c), table.column(c)) for c in columns}
                            for row in groups[i])
            del groups  # before the next month is read

    def record_run(self, run: dict[str, Any]) -> None:
        row = lake_row(run, schema.SYNC_RUNS)
        self._merge("sync_runs", month_of(row, "sync_runs"), {row["run_id"]: row})

    def set_athlete_settings(self, effective_from: date, ftp: float | None, weight_kg: float | None,
                             cda_m2: float | None = None, bike_kg: float | None = None) -> None:
        rows, etag = self._read_rows("athlete_settings")
        current = rows.get(effective_from.isoformat(), {})  # a row written before a column existed lacks it
        row = lake_row(settings_row(effective_from, (ftp, weight_kg, cda_m2, bike_kg), current, datetime.now(UTC)),
                       schema.ATHLETE_SETTINGS)
        self._write_rows("athlete_settings", None, rows | {row["effective_from"]: row}, etag)

    def ftp_history(self) -> list[tuple[date, float]]:
        rows, _ = self._read_rows("athlete_settings")
        return sorted((date.fromisoformat(row["effective_from"]), row["ftp"]) for row in rows.values()
                      if row.get("ftp") is not None)

    def set_athlete_zones(self, effective_from: date, hr_zones: Sequence[float] | None) -> None:
        row = lake_row(zones_row(effective_from, hr_zones), schema.ATHLETE_ZONES)
        self._merge("athlete_zones", None, {row["effective_from"]: row})

    def zones_history(self) -> list[tuple[date, tuple[float, ...] | None]]:
        rows, _ = self._read_rows("athlete_zones")
        return zones_history(sorted((date.fromisoformat(r["effective_from"]), r["status"], r["hr_zones"])
                                    for r in rows.values()))

    def close(self) -> None:
        self._release_lock()


_KEYS = {"activities": "id", "deleted_activities": "id", "sync_runs": "run_id",
         "athlete_settings": "effective_from", "athlete_zones": "effective_from", "schema_versions": "version",
         "sync_state": "name"}
