"""`s3://BUCKET/PREFIX`: a lake of JSON-lines objects that Athena reads directly (Hive partitions).

    PREFIX/activities/year=YYYY/month=MM/data.json          by start_date (UTC)
    PREFIX/deleted_activities/year=YYYY/month=MM/data.json  by deleted_at
    PREFIX/sync_runs/year=YYYY/month=MM/data.json           by started_at
    PREFIX/athlete_settings/data.json, PREFIX/schema_versions/data.json
    PREFIX/_state/index.json  (activities: month -> ETag, ids, newest start)   PREFIX/_state/lock.json

Rows are the other engines' rows (strava.schema), one JSON object a line, every column present; `raw` is
the activity's JSON text; timestamps are `YYYY-MM-DD HH:MM:SS[.ffffff]` in UTC (what Athena's JSON SerDe
reads as TIMESTAMP). A change rewrites the whole month object (read, merge by key, write): S3 replaces an
object atomically, so a crash leaves the old or the new month, never half of one. A month without a
start_date lands in year=0000/month=00.

The index spares reading every month for `latest_start_date`, `activity_ids` and moves (an edit that
changes an activity's month). It is written after the data, and `setup()` checks it against one LIST of
the month objects' ETags: a month written by a run that died before its index write is re-read, and an
activity left in two months by such a run is kept in the newer copy only. So the index is a cache that
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
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from strava import schema
from strava.aws import aws_errors, describe, error_code, make_client
from strava.errors import ConfigError, SyncError, WarehouseError
from strava.warehouse.base import UpsertResult
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


def lake_row(row: dict[str, Any], table: schema.Table) -> dict[str, Any]:
    """A warehouse row as the lake stores it: every column, JSON-ready, in schema order."""
    return {c.name: _cell(row.get(c.name), c.type) for c in table.columns}


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

    def _read_rows(self, table: str, month: str | None = None) -> tuple[Rows, str | None]:
        """One table object as {key: row} and its ETag (({}, None) when absent)."""
        key = self._table_key(table, month)
        found = self._get(key)
        if found is None:
            return {}, None
        body, etag = found
        column = _KEYS[table]
        try:
            rows = [json.loads(line) for line in body.decode("utf-8").splitlines() if line.strip()]
            return {row[column]: row for row in rows}, etag
        except (ValueError, KeyError, TypeError) as exc:
            raise WarehouseError(f"s3://{self.bucket}/{key} is not JSON lines with {column!r} in each row "
                                 f"({type(exc).__name__}); left as it is, fix or remove it") from None

    def _write_rows(self, table: str, month: str | None, rows: Rows, etag: str | None) -> str | None:
        """Replace the object with `rows` (sorted by key, so equal content gives an equal ETag); an empty
        month is deleted. Returns the new ETag (None when deleted)."""
        self._hold_lock()
        key = self._table_key(table, month)
        if not rows:
            if etag:
                with self._errors("delete", key):
                    self.client.delete_object(Bucket=self.bucket, Key=key)
            return None
        lines = (json.dumps(rows[k], ensure_ascii=False, separators=(",", ":")) for k in sorted(rows, key=str))
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
        saved = json.loads(found[0]).get("activities", {}) if found else {}
        months = {m: Month(e["etag"], set(e["ids"]), e["latest"]) for m, e in saved.items()}
        listed = self._list_etags("activities")
        stale = [m for m, etag in listed.items() if m not in months or months[m].etag != etag]
        self._months = {m: months[m] for m in listed if m not in stale}
        for month in stale:
            rows, etag = self._read_rows("activities", month)
            if etag:
                self._months[month] = Month.of(etag, rows)
        self._where = {i: m for m, entry in sorted(self._months.items()) for i in entry.ids}
        if stale or set(months) != set(listed):
            log.info("%s: index refreshed from %d month object(s)", self.description, len(stale))
            self._drop_duplicates()
            self._save_index()

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

    def _store_month(self, month: str, rows: Rows, etag: str | None) -> None:
        new_etag = self._write_rows("activities", month, rows, etag)
        if new_etag is None:
            self._months.pop(month, None)
        else:
            self._months[month] = Month.of(new_etag, rows)

    def _save_index(self) -> None:
        self._hold_lock()
        months = {m: {"etag": e.etag, "ids": sorted(e.ids), "latest": e.latest}
                  for m, e in sorted(self._months.items())}
        key = self._key("_state", "index.json")
        with self._errors("write", key):  # unconditional: the lock makes this run the only writer
            self.client.put_object(Bucket=self.bucket, Key=key, ContentType="application/json",
                                   Body=json.dumps({"activities": months}, separators=(",", ":")).encode())

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
        self._save_index()
        return len(removed)

    def record_run(self, run: dict[str, Any]) -> None:
        row = lake_row(run, schema.SYNC_RUNS)
        self._merge("sync_runs", month_of(row, "sync_runs"), {row["run_id"]: row})

    def set_athlete_settings(self, effective_from: date, ftp: float | None, weight_kg: float | None) -> None:
        rows, etag = self._read_rows("athlete_settings")
        current = rows.get(effective_from.isoformat(), {})
        row = lake_row({"effective_from": effective_from, "updated_at": datetime.now(UTC),
                        "ftp": current.get("ftp") if ftp is None else ftp,
                        "weight_kg": current.get("weight_kg") if weight_kg is None else weight_kg},
                       schema.ATHLETE_SETTINGS)
        self._write_rows("athlete_settings", None, rows | {row["effective_from"]: row}, etag)

    def close(self) -> None:
        self._release_lock()


_KEYS = {"activities": "id", "deleted_activities": "id", "sync_runs": "run_id",
         "athlete_settings": "effective_from", "schema_versions": "version"}
