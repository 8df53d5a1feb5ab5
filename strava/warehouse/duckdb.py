"""`duckdb:PATH`: the embedded default warehouse, one local file.

Batches are merged in one transaction each; unchanged rows are not rewritten. Rows reach DuckDB as one
list parameter per column. An Arrow table would hand a row over ≈ 35 µs quicker, but pyarrow and numpy
cost 0.13 s to import and ≈ 85 MB in a backfill (docs/benchmarks.md).
A schema upgrade re-derives stored rows from `raw` in batches of REDERIVE_ROWS, one transaction each.
A file that this code already set up is recognised by the comments setup() left on it (one query).
The file is opened once per run and held, so a second concurrent run waits (bounded) for the first to
finish instead of interleaving with it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Collection, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from strava import schema
from strava.analytics import VIEW_NAMES, create_views_duckdb
from strava.analytics.duckdb_views import digest
from strava.analytics.views import source
from strava.errors import WarehouseError
from strava.warehouse.base import (
    SETTINGS_VALUES,
    STREAMS_PER_READ,
    UpsertResult,
    settings_row,
    zones_history,
    zones_row,
)
from strava.warehouse.upgrade import DERIVED, derived_rows, needs_upgrade, version_row

# Always fetchall(): DuckDB 2 keeps a partly fetched result open and refuses the next statement.
DUCKDB_TYPES = {
    schema.INT64: "BIGINT", schema.FLOAT64: "DOUBLE", schema.BOOL: "BOOLEAN", schema.STRING: "VARCHAR",
    schema.TIMESTAMP: "TIMESTAMPTZ", schema.DATETIME: "TIMESTAMP", schema.DATE: "DATE", schema.JSON: "JSON",
}
_NAMES = schema.ACTIVITIES.column_names
MERGE_CHUNK_ROWS = 1000
# `{batch}` is where a statement reads the rows handed over (see DuckDBWarehouse._with_batch).
MERGE_ACTIVITIES = (
    "MERGE INTO activities t USING (SELECT * EXCLUDE (raw), raw::JSON AS raw FROM {batch}) s ON t.id = s.id"
    " WHEN MATCHED AND t.raw::VARCHAR IS DISTINCT FROM s.raw::VARCHAR THEN UPDATE SET "
    + ", ".join(f'"{n}" = s."{n}"' for n in _NAMES if n != "id")
    + " WHEN NOT MATCHED THEN INSERT (" + ", ".join(f'"{n}"' for n in _NAMES) + ")"
    + " VALUES (" + ", ".join(f's."{n}"' for n in _NAMES) + ") RETURNING merge_action"
)
KEYS = {"activities": "id", "sync_runs": "run_id", "athlete_settings": "effective_from",
        "athlete_zones": "effective_from", "schema_versions": "version", "sync_state": "name"}
CHECKPOINT_BYTES = 16_000_000  # per-activity rows (streams) written between checkpoints, see replace_activity_rows
REDERIVE_ROWS = 1000  # stored activities re-derived per transaction in a schema upgrade (bounded memory)
REDERIVE = (
    "UPDATE activities SET " + ", ".join(f'"{n}" = d."{n}"' for n in DERIVED.column_names if n != "id")
    + " FROM {batch} d WHERE activities.id = d.id"
)


def create_table_sql(table: schema.Table) -> str:
    cols = [f'"{c.name}" {_column_type(c)}{" NOT NULL" if c.required else ""}' for c in table.columns]
    if table.name in KEYS:
        cols.append(f'PRIMARY KEY ("{KEYS[table.name]}")')
    return f'CREATE TABLE IF NOT EXISTS "{table.name}" (\n  ' + ",\n  ".join(cols) + "\n)"


def _column_type(column: schema.Column) -> str:
    if column.fields:
        members = ", ".join(f'"{f.name}" {DUCKDB_TYPES[f.type]}' for f in column.fields)
        return f"STRUCT({members})" + ("[]" if column.repeated else "")
    if column.repeated:
        return DUCKDB_TYPES[column.type] + "[]"
    # JSON text compresses 2-3x better with zstd than with DuckDB's default, and checkpoints faster.
    return DUCKDB_TYPES[column.type] + (" USING COMPRESSION zstd" if column.type == schema.JSON else "")


def _list_type(column: schema.Column) -> str:
    """The DuckDB type of one row's value as handed over (JSON travels as text)."""
    if column.fields:
        return _column_type(column)
    scalar = "VARCHAR" if column.type == schema.JSON else DUCKDB_TYPES[column.type]
    return scalar + "[]" if column.repeated else scalar


def _approx_bytes(rows: Sequence[dict[str, Any]]) -> int:
    """What the rows hold, roughly: 8 bytes a value, arrays counted by their length (streams dominate)."""
    return sum(8 * (len(v) if isinstance(v, list) else 1) for row in rows for v in row.values())


def list_batch(table: schema.Table) -> str:
    """A subquery reading rows handed over as one list parameter per column ($1 = the first column's)."""
    return "(SELECT " + ", ".join(
        f'unnest(${i}::{_list_type(c)}[]) AS "{c.name}"'
        for i, c in enumerate(table.columns, 1)) + ")"


def setup_comments() -> dict[str, str]:
    """The comments `setup()` leaves, by table or view: on schema_versions (written last) a digest of the
    schema version and every table's DDL; on each view the digest of its source (create_views_duckdb)."""
    tables = [str(schema.SCHEMA_VERSION), *(create_table_sql(t) for t in (schema.SCHEMA_VERSIONS, *schema.TABLES))]
    made = "sha256:" + hashlib.sha256("\0".join(tables).encode()).hexdigest()
    return {schema.SCHEMA_VERSIONS.name: made, **{name: digest(source(name, None)) for name in VIEW_NAMES}}


def connect_read_only(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A reader's connection (the local report, the demo's totals): it never changes the file."""
    if not Path(path).is_file():
        raise WarehouseError(f"no DuckDB warehouse at {path}: run `python -m strava sync` first")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot read {path}: {exc}") from None


class DuckDBWarehouse:
    # 64 MB of buffer pool keeps a 50,000-activity backfill under 250 MB of process memory; a larger pool
    # bought ~10% speed, which Strava's own latency hides (docs/benchmarks.md).
    def __init__(self, path: str | Path, lock_timeout: float = 30.0, memory_limit: str = "64MB") -> None:
        self.path = Path(path)
        self.description = f"duckdb:{self.path}"
        self.conn = self._connect(lock_timeout, memory_limit)
        self._unsaved_bytes = 0  # per-activity rows written since the last checkpoint

    def _connect(self, lock_timeout: float, memory_limit: str) -> duckdb.DuckDBPyConnection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WarehouseError(f"cannot create folder for {self.path}: {exc.strerror}") from None
        deadline = time.monotonic() + lock_timeout
        while True:
            try:
                # One checkpoint when the run closes the file instead of one every few batches: each
                # rewrites the growing table, which made a long backfill quadratic. One thread: a run
                # merges one batch at a time, and a second one only added CPU (docs/benchmarks.md).
                conn = duckdb.connect(str(self.path), config={
                    "memory_limit": memory_limit, "checkpoint_threshold": "1GB", "threads": 1})
                conn.execute("SET TimeZone = 'UTC'")
                return conn
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise WarehouseError(f"cannot open {self.path}: {exc}") from None
                if time.monotonic() >= deadline:
                    raise WarehouseError(
                        f"{self.path} is in use by another process (another sync?) and stayed locked for "
                        f"{lock_timeout:.0f} s; try again when it has finished") from None
                time.sleep(0.2)
            except duckdb.Error as exc:
                raise WarehouseError(f"cannot open {self.path}: {exc}") from None

    def _run(self, what: str, fn, *args):
        try:
            return fn(*args)
        except duckdb.Error as exc:
            try:
                self.conn.rollback()
            except duckdb.Error:
                pass
            raise WarehouseError(f"DuckDB {what} failed in {self.path}: {exc}") from None

    def setup(self) -> None:
        self._run("setup", self._setup)

    def _setup(self) -> None:
        made = setup_comments()
        if made.items() <= self._comments().items():  # set up by this very code: no DDL, no view to write
            return
        self.conn.execute(create_table_sql(schema.SCHEMA_VERSIONS))
        stored = self.conn.execute("SELECT max(version) FROM schema_versions").fetchall()[0][0]
        upgrade = needs_upgrade(stored, self.description)  # before any DDL: a newer file stays untouched
        for table in schema.TABLES:
            self.conn.execute(create_table_sql(table))
            present = {r[0] for r in self.conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table.name]).fetchall()}
            for col in table.columns:
                if col.name not in present:  # the schema grew: add the column (NULL for old rows)
                    self.conn.execute(f'ALTER TABLE "{table.name}" ADD COLUMN "{col.name}" {DUCKDB_TYPES[col.type]}')
        if upgrade:
            self._replace_row(schema.SCHEMA_VERSIONS, version_row(self._rederive()))
        create_views_duckdb(self.conn)
        self.conn.execute(f"COMMENT ON TABLE schema_versions IS '{made[schema.SCHEMA_VERSIONS.name]}'")

    def _comments(self) -> dict[str, str]:
        here = "database_name = current_database() AND schema_name = current_schema()"
        return dict(self.conn.execute(
            f"SELECT table_name, comment FROM duckdb_tables() WHERE table_name = 'schema_versions' AND {here} "
            f"UNION ALL SELECT view_name, comment FROM duckdb_views() WHERE NOT internal AND NOT temporary "
            f"AND {here}").fetchall())

    def _rederive(self) -> int:
        """Rewrite the typed columns of every stored activity from its raw JSON, in id order, one
        transaction per batch. Returns how many rows were rewritten."""
        done, after = 0, None
        while True:
            where, params = ("", ()) if after is None else ("WHERE id > ?", (after,))
            stored = self.conn.execute(f"SELECT id, raw::VARCHAR FROM activities {where} ORDER BY id "
                                       f"LIMIT {REDERIVE_ROWS}", params).fetchall()
            if not stored:
                return done
            rows = derived_rows(stored)
            self.conn.begin()
            self._with_batch(REDERIVE, rows, DERIVED)
            self.conn.commit()
            done, after = done + len(rows), stored[-1][0]

    def latest_start_date(self) -> datetime | None:
        return self._run("read", lambda: self.conn.execute("SELECT max(start_date) FROM activities").fetchall()[0][0])

    def upsert_activities(self, rows: Sequence[dict[str, Any]], batch_key: str) -> UpsertResult:
        latest = list({row["id"]: row for row in rows}.values())  # duplicate ids: the last one wins
        if not latest:
            return UpsertResult(0, 0)
        return self._run("upsert", self._upsert, latest)

    def _upsert(self, rows: list[dict[str, Any]]) -> UpsertResult:
        """One transaction; MERGE in chunks, as its memory grows with the rows merged at once."""
        inserted = updated = 0
        self.conn.begin()
        for start in range(0, len(rows), MERGE_CHUNK_ROWS):
            # unchanged rows are not rewritten
            actions = self._with_batch(MERGE_ACTIVITIES, rows[start:start + MERGE_CHUNK_ROWS], schema.ACTIVITIES)
            chunk_inserted = sum(1 for (action,) in actions if action == "INSERT")
            inserted, updated = inserted + chunk_inserted, updated + len(actions) - chunk_inserted
        self.conn.commit()
        return UpsertResult(inserted, updated)

    def _with_batch(self, sql: str, rows: Sequence[dict[str, Any]], table: schema.Table) -> list[tuple]:
        """Run `sql`, its `{batch}` reading `rows` of `table`."""
        columns = [[row.get(name) for row in rows] for name in table.column_names]
        return self.conn.execute(sql.format(batch=list_batch(table)), columns).fetchall()

    def activity_ids(self) -> set[int]:
        return self._run("read", lambda: {r[0] for r in self.conn.execute("SELECT id FROM activities").fetchall()})

    def activity_starts(self, after: datetime) -> dict[int, datetime | None]:
        return self._run("read", lambda: dict(self.conn.execute(
            "SELECT id, start_date FROM activities WHERE start_date > ? OR start_date IS NULL", [after]).fetchall()))

    def read_state(self, name: str) -> dict[str, Any] | None:
        names = schema.SYNC_STATE.column_names
        rows = self._run("read", lambda: self.conn.execute(
            f"SELECT {', '.join(names)} FROM sync_state WHERE name = ?", [name]).fetchall())
        return dict(zip(names, rows[0], strict=True)) if rows else None

    def write_state(self, row: dict[str, Any]) -> None:
        self._replace_row(schema.SYNC_STATE, row)

    def archive_activities(self, ids: Collection[int], run_id: str, deleted_at: datetime) -> int:
        if not ids:
            return 0
        return self._run("archive", self._archive, list(ids), run_id, deleted_at)

    def _archive(self, ids: list[int], run_id: str, deleted_at: datetime) -> int:
        self.conn.begin()
        self.conn.execute("CREATE OR REPLACE TEMP TABLE gone AS SELECT unnest(?::BIGINT[]) AS id", [ids])
        self.conn.execute(
            "INSERT INTO deleted_activities (id, deleted_at, run_id, start_date, raw) "
            "SELECT id, ?, ?, start_date, raw FROM activities WHERE id IN (SELECT id FROM gone)",
            [deleted_at, run_id])
        removed = self.conn.execute(
            "DELETE FROM activities WHERE id IN (SELECT id FROM gone) RETURNING id").fetchall()
        for table in schema.ACTIVITY_TABLES:  # an activity's streams, metrics... go with it
            self.conn.execute(f'DELETE FROM "{table.name}" WHERE activity_id IN (SELECT id FROM gone)')
        self.conn.execute("DROP TABLE gone")
        self.conn.commit()
        return len(removed)

    def delete_strava_data(self) -> int:
        return self._run("delete Strava data", self._delete_strava_data)

    def _delete_strava_data(self) -> int:
        self.conn.begin()
        deleted = sum(self.conn.execute(f'DELETE FROM "{table.name}"').fetchall()[0][0]
                      for table in schema.STRAVA_DATA)
        self.conn.commit()
        return deleted

    def replace_activity_rows(self, table: schema.Table, activity_ids: Collection[int],
                              rows: Sequence[dict[str, Any]]) -> None:
        if activity_ids:
            self._run(f"write to {table.name}", self._replace_activity_rows, table, list(activity_ids), rows)

    def _replace_activity_rows(self, table: schema.Table, ids: list[int], rows: Sequence[dict[str, Any]]) -> None:
        self.conn.begin()
        self.conn.execute(f'DELETE FROM "{table.name}" WHERE activity_id IN (SELECT unnest(?::BIGINT[]))', [ids])
        if rows:
            names = ", ".join(f'"{n}"' for n in table.column_names)
            self._with_batch(f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM {{batch}}', rows, table)
        self.conn.commit()
        # Streams add megabytes per batch, and written data stays in the buffer pool until a checkpoint: past
        # the memory_limit commits fail. A checkpoint costs about the table's size, so one per few MB written.
        self._unsaved_bytes += _approx_bytes(rows)
        if self._unsaved_bytes > CHECKPOINT_BYTES:
            self.conn.execute("CHECKPOINT")
            self._unsaved_bytes = 0

    def activities_without(self, table: schema.Table, columns: Sequence[str], limit: int,
                           where: str | None = None, matching: Sequence[str] = ()) -> list[dict[str, Any]]:
        names = ", ".join(f'a."{c}"' for c in columns)
        same = "".join(f' AND t."{c}" IS NOT DISTINCT FROM a."{c}"' for c in matching)
        sql = (f'SELECT {names} FROM activities a WHERE NOT EXISTS (SELECT 1 FROM "{table.name}" t '
               f"WHERE t.activity_id = a.id{same}){f' AND ({where})' if where else ''} "
               f"ORDER BY a.start_date DESC NULLS LAST, a.id DESC LIMIT {int(limit)}")
        return self._run(f"read {table.name}", lambda: [dict(zip(columns, r, strict=True))
                                                       for r in self.conn.execute(sql).fetchall()])

    def read_streams(self, activity_ids: Collection[int], columns: Sequence[str]) -> Iterator[dict[str, Any]]:
        """STREAMS_PER_READ activities a query (each fetched whole: see fetchall above)."""
        names = ["activity_id", *columns]
        quoted = ", ".join(f'"{n}"' for n in names)
        sql = f"SELECT {quoted} FROM activity_streams WHERE activity_id IN (SELECT unnest(?::BIGINT[]))"
        ordered = sorted({int(i) for i in activity_ids})
        for ids in (ordered[at:at + STREAMS_PER_READ] for at in range(0, len(ordered), STREAMS_PER_READ)):
            yield from (dict(zip(names, r, strict=True)) for r in self._run(  # (freed before the next read)
                "read activity_streams", lambda ids=ids: self.conn.execute(sql, [ids]).fetchall()))

    def record_run(self, run: dict[str, Any]) -> None:
        self._replace_row(schema.SYNC_RUNS, run)

    def set_athlete_settings(self, effective_from: date, ftp: float | None, weight_kg: float | None,
                             cda_m2: float | None = None, bike_kg: float | None = None) -> None:
        current = self._run("read", lambda: self.conn.execute(
            f"SELECT {', '.join(SETTINGS_VALUES)} FROM athlete_settings WHERE effective_from = ?",
            [effective_from]).fetchall())
        kept = dict(zip(SETTINGS_VALUES, current[0], strict=True)) if current else {}
        self._replace_row(schema.ATHLETE_SETTINGS, settings_row(
            effective_from, (ftp, weight_kg, cda_m2, bike_kg), kept, datetime.now().astimezone()))

    def ftp_history(self) -> list[tuple[date, float]]:
        return self._run("read athlete_settings", lambda: self.conn.execute(
            "SELECT effective_from, ftp FROM athlete_settings WHERE ftp IS NOT NULL ORDER BY 1").fetchall())

    def set_athlete_zones(self, effective_from: date, hr_zones: Sequence[float] | None) -> None:
        self._replace_row(schema.ATHLETE_ZONES, zones_row(effective_from, hr_zones))

    def zones_history(self) -> list[tuple[date, tuple[float, ...] | None]]:
        rows = self._run("read athlete_zones", lambda: self.conn.execute(
            "SELECT effective_from, status, hr_zones FROM athlete_zones ORDER BY 1").fetchall())
        return zones_history(rows)

    def _replace_row(self, table: schema.Table, row: dict[str, Any]) -> None:
        key = KEYS[table.name]
        names = table.column_names
        sql = (f'INSERT OR REPLACE INTO "{table.name}" ({", ".join(names)}) '
               f'VALUES ({", ".join("?" for _ in names)})')
        self._run(f"write to {table.name} ({key}={row.get(key)})",
                  lambda: self.conn.execute(sql, [row.get(n) for n in names]))

    def close(self) -> None:
        self.conn.close()  # safe twice; a closed connection's calls raise duckdb.ConnectionException
