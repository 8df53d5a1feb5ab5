"""`bigquery:PROJECT.DATASET`: the cloud warehouse.

How it writes:
- Batches go through a load job into a staging table, never streaming inserts (streamed rows cannot be
  MERGEd for ~30 min and are billed), then ONE `MERGE` keyed on id. Unchanged rows (same raw JSON) are
  not rewritten, so `updated` counts real changes.
- The MERGE and the query that counts new ids run under job ids derived from `batch_key`: a retry of
  the same batch finds the finished jobs and returns their counts instead of applying the batch twice.
- Every client call has an explicit timeout and a bounded retry (the library default retries 600 s).
- The dataset belongs to Terraform: `setup()` creates it only on the emulator or when asked to
  (`create_dataset=True`); otherwise a missing dataset is an error that says to run terraform apply.
  Tables are created when missing and gain the columns the schema gained (`ALTER TABLE ADD COLUMN`);
  after a schema version bump the stored rows are re-derived from `raw` (one query read page by page,
  each page staged and MERGEd); the analytics views are created or replaced when their SQL changed.
- Emulator (bqemulator) differences this code steers around, so the same statements run on both:
  no query parameters inside multi-statement scripts (archive stages its ids in a table first), one
  `ADD COLUMN` per ALTER, table metadata blind to ALTERed columns (hence `IF NOT EXISTS`), views'
  SQL not reported back (hence a digest label), load-job ids ignored (only query jobs are keyed).

Google libraries are imported inside the methods: importing this module stays cheap (function cold start).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import re
import uuid
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from strava import schema
from strava.errors import ConfigError, WarehouseError
from strava.gcp import emulator_endpoint, make_client
from strava.warehouse.base import (
    SETTINGS_VALUES,
    STREAMS_PER_READ,
    UpsertResult,
    settings_row,
    zones_history,
    zones_row,
)
from strava.warehouse.bigquery_schema import schema_fields
from strava.warehouse.upgrade import DERIVED, derived_rows, needs_upgrade, version_row

if TYPE_CHECKING:
    from google.cloud import bigquery

log = logging.getLogger("strava.warehouse.bigquery")

EMULATOR_ENV = "BIGQUERY_EMULATOR_HOST"
CALL_TIMEOUT = 30.0  # seconds for one HTTP request
RETRY_SECONDS = 30.0  # total time spent retrying one failing request
JOB_TIMEOUT = 300.0  # seconds to wait for one job (load, query, DML)
TMP_PREFIX = "_tmp_"  # staging tables; setup() removes ones a crashed run left behind
TMP_MAX_AGE = timedelta(hours=1)
VIEW_LABEL = "strava_sql_digest"
# Stored activities re-derived per batch in a schema upgrade. Each batch costs a load job and a MERGE, so
# larger than DuckDB's; a page of raw JSON is still a few tens of MB at most.
REDERIVE_ROWS = 5000
NO_RANGE = datetime(1970, 1, 1, tzinfo=UTC)  # ON-clause bound when no stored row has a start_date
_DATASET = re.compile(r"^\w{1,1024}$")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _job_id(kind: str, batch_key: str) -> str:
    """Deterministic, valid job id (letters, digits, _ and -; at most 1024 chars) for one batch step."""
    readable = re.sub(r"[^\w-]", "_", batch_key)[:200]
    return f"strava_{kind}_{readable}_{_digest(batch_key)}"


# --- rows -> newline-delimited JSON (the load job's input) ---------------------------------------

def _timestamp(value: Any) -> Any:
    if isinstance(value, datetime):  # naive means UTC, as everywhere in the schema
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def _datetime(value: Any) -> Any:
    return value.replace(tzinfo=None).isoformat() if isinstance(value, datetime) else value


def _json(value: Any) -> Any:
    # A JSON column takes the JSON value itself; a string would be stored as a JSON *string*.
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _float(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


NDJSON_CONVERTERS = {
    schema.TIMESTAMP: _timestamp, schema.DATETIME: _datetime, schema.JSON: _json, schema.FLOAT64: _float,
    schema.DATE: lambda v: v.isoformat() if isinstance(v, date) else v,
}


def _converter(column: schema.Column) -> Any:
    convert = NDJSON_CONVERTERS.get(column.type)
    if not column.repeated:
        return convert
    # BigQuery has no NULL array (an absent stream is an empty one) nor NULL elements in an array.
    return lambda values: [convert(v) if convert else v for v in values if v is not None]


def ndjson(rows: Sequence[dict[str, Any]], table: schema.Table) -> bytes:
    """One JSON object per row with the table's columns, plus `_seq` (the row's position: last wins)."""
    converters = [(c.name, _converter(c)) for c in table.columns]
    lines = []
    for seq, row in enumerate(rows):
        record = {name: (conv(row.get(name)) if conv and row.get(name) is not None else row.get(name))
                  for name, conv in converters}
        record["_seq"] = seq
        lines.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode()


def _q(name: str) -> str:
    return f"`{name}`"


class BigQueryWarehouse:
    def __init__(self, project: str, dataset: str, *, client: bigquery.Client | None = None,
                 create_dataset: bool | None = None, location: str | None = None,
                 job_timeout: float = JOB_TIMEOUT) -> None:
        from google.cloud import bigquery
        from google.cloud.bigquery.retry import DEFAULT_JOB_RETRY

        self._bq = bigquery
        self.project, self.dataset = project, dataset
        self.description = f"bigquery:{project}.{dataset}"
        emulated = emulator_endpoint(EMULATOR_ENV) is not None
        self.create_dataset = emulated if create_dataset is None else create_dataset
        self.location = location  # None: learned from the dataset in setup()
        self.job_timeout = job_timeout
        self._retry = bigquery.DEFAULT_RETRY.with_timeout(RETRY_SECONDS)
        self._job_retry = DEFAULT_JOB_RETRY.with_timeout(job_timeout)
        self.client = client or make_client(bigquery.Client, "BigQuery", EMULATOR_ENV, project=project)

    @classmethod
    def from_spec(cls, spec: str, **kwargs: Any) -> BigQueryWarehouse:
        """`PROJECT.DATASET` (a domain-scoped project such as `example.com:proj` keeps its dot)."""
        project, _, dataset = spec.rpartition(".")
        if not project or not _DATASET.match(dataset):
            raise ConfigError(f"BigQuery warehouse {spec!r} is not PROJECT.DATASET "
                              "(e.g. STRAVA_WAREHOUSE=bigquery:my-project.strava)")
        return cls(project, dataset, **kwargs)

    def _ref(self, table: str) -> str:
        return f"{self.project}.{self.dataset}.{table}"

    def _sql_ref(self, table: str) -> str:
        return f"`{self._ref(table)}`"

    @contextmanager
    def _errors(self, what: str, table: str | None = None) -> Iterator[None]:
        """Google errors -> WarehouseError naming the step and the table."""
        from concurrent.futures import TimeoutError as FutureTimeout

        from google.api_core import exceptions as gexc
        from google.auth.exceptions import GoogleAuthError

        where = self._ref(table) if table else f"{self.project}.{self.dataset}"
        try:
            yield
        except gexc.Forbidden as exc:
            raise WarehouseError(
                f"BigQuery {what} on {where} was refused: {exc.message}. The service account needs "
                f"roles/bigquery.dataEditor on dataset {self.dataset} and roles/bigquery.jobUser on "
                f"project {self.project}") from None
        except (gexc.GoogleAPIError, GoogleAuthError) as exc:
            raise WarehouseError(f"BigQuery {what} on {where} failed: {getattr(exc, 'message', exc)}") from None
        except (FutureTimeout, TimeoutError):
            raise WarehouseError(f"BigQuery {what} on {where} did not finish within "
                                 f"{self.job_timeout:.0f} s") from None
        except OSError as exc:  # connection refused, DNS...: requests' errors are OSErrors
            raise WarehouseError(f"BigQuery {what} on {where} failed: cannot reach BigQuery ({exc})") from None

    # --- jobs ------------------------------------------------------------------------------------------

    def _start_job(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Start one query job (a new id each time; BigQuery's own job retry on transient failures)."""
        return self.client.query(sql, job_config=self._bq.QueryJobConfig(query_parameters=list(params)),
                                 job_id_prefix="strava_", job_retry=self._job_retry, location=self.location,
                                 timeout=CALL_TIMEOUT, retry=self._retry)

    def _query(self, sql: str, params: Sequence[Any] = (), job_id: str | None = None) -> tuple[Any, list[Any]]:
        """Run one query job, wait, return it with its rows. With `job_id`, a job that already exists (an
        earlier attempt of the same batch) is reused, finished or not, instead of running the statement
        again."""
        from google.api_core.exceptions import Conflict

        if job_id is None:
            job = self._start_job(sql, params)
        else:
            job = self._existing_job(job_id)
            if job is None:
                config = self._bq.QueryJobConfig(query_parameters=list(params))
                try:
                    job = self.client.query(sql, job_config=config, job_id=job_id, job_retry=None,
                                            location=self.location, timeout=CALL_TIMEOUT, retry=self._retry)
                except Conflict:  # created by a concurrent attempt between our get and insert
                    job = self._existing_job(job_id)
        return self._wait(job, self._job_retry if job_id is None else None)

    def _existing_job(self, job_id: str) -> Any:
        from google.api_core.exceptions import NotFound

        try:
            return self.client.get_job(job_id, location=self.location, timeout=CALL_TIMEOUT, retry=self._retry)
        except NotFound:
            return None

    def _wait(self, job: Any, job_retry: Any = None) -> tuple[Any, list[Any]]:
        """Wait for the job and read its rows; raises its error if it failed. A keyed job is never re-run
        (job_retry None): its id cannot be reused, so a failed batch key is spent (the next run has new keys)."""
        return job, list(job.result(timeout=self.job_timeout, retry=self._retry, job_retry=job_retry))

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._query(sql, params)[1]

    def _param(self, name: str, type_: str, value: Any, repeated: bool = False) -> Any:
        if repeated:  # BigQuery has no NULL array: None is an empty one
            return self._bq.ArrayQueryParameter(name, type_, list(value or ()))
        return self._bq.ScalarQueryParameter(name, type_, value)

    def _load(self, table_id: str, rows: Sequence[dict[str, Any]], table: schema.Table) -> None:
        fields = [*schema_fields(table), {"name": "_seq", "type": schema.INT64, "mode": "NULLABLE"}]
        config = self._bq.LoadJobConfig(
            schema=[self._bq.SchemaField.from_api_repr(f) for f in fields],
            source_format=self._bq.SourceFormat.NEWLINE_DELIMITED_JSON,
            write_disposition=self._bq.WriteDisposition.WRITE_TRUNCATE,
        )
        # A stream without `size` takes the resumable upload, the path the emulator accepts too.
        job = self.client.load_table_from_file(io.BytesIO(ndjson(rows, table)), table_id, job_config=config,
                                               job_id_prefix="strava_load_", location=self.location,
                                               num_retries=3, timeout=CALL_TIMEOUT)
        job.result(timeout=self.job_timeout, retry=self._retry)

    def _drop(self, table_id: str) -> None:
        self.client.delete_table(table_id, not_found_ok=True, timeout=CALL_TIMEOUT, retry=self._retry)

    # --- setup -----------------------------------------------------------------------------------------

    def setup(self) -> None:
        with self._errors("setup"):
            self._ensure_dataset()
            existing = {t.table_id: t for t in self.client.list_tables(
                f"{self.project}.{self.dataset}", timeout=CALL_TIMEOUT, retry=self._retry)}
        versions = schema.SCHEMA_VERSIONS
        with self._errors("setup", versions.name):
            self._ensure_table(versions, versions.name in existing)
            stored = self._rows(f"SELECT MAX(`version`) AS v FROM {self._sql_ref(versions.name)}")[0]["v"]
        upgrade = needs_upgrade(stored, self.description)  # before any DDL: a newer dataset stays untouched
        for table in schema.TABLES:
            with self._errors("setup", table.name):
                self._ensure_table(table, table.name in existing)
        if upgrade:
            with self._errors("schema upgrade", "activities"):
                self._merge_row(versions, "version", version_row(self._rederive()))
        self._remove_stale_tmp(existing.values())
        self._ensure_views(existing)

    def _ensure_dataset(self) -> None:
        from google.api_core.exceptions import NotFound

        ref = f"{self.project}.{self.dataset}"
        try:
            dataset = self.client.get_dataset(ref, timeout=CALL_TIMEOUT, retry=self._retry)
        except NotFound:
            if not self.create_dataset:
                raise WarehouseError(f"BigQuery dataset {ref} does not exist: create it with `terraform apply` "
                                     "(see terraform/)") from None
            dataset = self.client.create_dataset(self._bq.Dataset(ref), exists_ok=True, timeout=CALL_TIMEOUT,
                                                 retry=self._retry)
        self.location = self.location or dataset.location

    def _ensure_table(self, table: schema.Table, exists: bool) -> None:
        if not exists:
            self._create_table(table)
            return
        present = {f.name for f in self.client.get_table(self._ref(table.name), timeout=CALL_TIMEOUT,
                                                           retry=self._retry).schema}
        for col in table.columns:
            if col.name not in present:
                self._add_column(table, col)

    def _create_table(self, table: schema.Table) -> None:
        bq_table = self._bq.Table(self._ref(table.name),
                                  schema=[self._bq.SchemaField.from_api_repr(f) for f in schema_fields(table)])
        bq_table.description = table.description
        if table.partition_field:
            bq_table.time_partitioning = self._bq.TimePartitioning(
                type_=getattr(self._bq.TimePartitioningType, table.partition_type), field=table.partition_field)
        if table.clustering:
            bq_table.clustering_fields = list(table.clustering)
        self.client.create_table(bq_table, exists_ok=True, timeout=CALL_TIMEOUT, retry=self._retry)
        log.info("created BigQuery table %s", self._ref(table.name))

    def _add_column(self, table: schema.Table, col: schema.Column) -> None:
        # One column per statement (the emulator parses no more); always NULLABLE: BigQuery cannot add a
        # REQUIRED column to a table that has rows. IF NOT EXISTS: the emulator's table metadata does not
        # see columns added by ALTER, so on it this runs again on every setup, harmlessly.
        description = json.dumps(col.description)
        self._query(f"ALTER TABLE {self._sql_ref(table.name)} ADD COLUMN IF NOT EXISTS {_q(col.name)} "
                    f"{col.type} OPTIONS(description={description})")
        log.info("added column %s to BigQuery table %s", col.name, self._ref(table.name))

    def _rederive(self) -> int:
        """Rewrite the typed columns of every stored activity from its raw JSON: one query, read page by
        page (bounded memory), each page staged and MERGEd by id. Returns how many rows were rewritten."""
        job = self.client.query(f"SELECT `id`, TO_JSON_STRING(`raw`) AS raw FROM {self._sql_ref('activities')}",
                                location=self.location, timeout=CALL_TIMEOUT, retry=self._retry,
                                job_retry=self._job_retry)
        pages = job.result(page_size=REDERIVE_ROWS, timeout=self.job_timeout, retry=self._retry).pages
        done = 0
        for page in pages:
            rows = derived_rows((r["id"], r["raw"]) for r in page)
            if not rows:
                continue
            staging = self._ref(f"{TMP_PREFIX}derived_{uuid.uuid4().hex}")
            try:
                self._load(staging, rows, DERIVED)
                sets = ", ".join(f"{_q(n)} = S.{_q(n)}" for n in DERIVED.column_names if n != "id")
                self._query(f"MERGE {self._sql_ref('activities')} T USING `{staging}` S ON T.`id` = S.`id`\n"
                            f"WHEN MATCHED THEN UPDATE SET {sets}")
            finally:
                self._drop(staging)
            done += len(rows)
        return done

    def _remove_stale_tmp(self, tables: Collection[Any]) -> None:
        cutoff = datetime.now(UTC) - TMP_MAX_AGE
        for t in tables:
            if t.table_id.startswith(TMP_PREFIX) and t.created and t.created < cutoff:
                with self._errors("cleanup", t.table_id):
                    self._drop(self._ref(t.table_id))

    def _ensure_views(self, existing: dict[str, Any]) -> None:
        """The analytics views (Terraform deploys the same SQL in the cloud), created or replaced only when
        their SQL differs: a run spends no DDL when nothing changed. The emulator does not report a view's
        query, so a label with the SQL's digest tells too."""
        try:
            from strava.analytics import VIEW_NAMES, sql_path, view_sql
        except ImportError:  # built without the analytics package
            return
        for name in VIEW_NAMES:
            if not sql_path(name).exists():
                log.warning("no BigQuery SQL for view %s; not created", name)
                continue
            with self._errors("create view", name):
                self._ensure_view(name, view_sql("bigquery", name, project=self.project, dataset=self.dataset),
                                  name in existing)

    def _ensure_view(self, name: str, sql: str, exists: bool) -> None:
        digest = _digest(sql)
        if exists:
            view = self.client.get_table(self._ref(name), timeout=CALL_TIMEOUT, retry=self._retry)
            if (view.view_query or "").strip() == sql.strip() or view.labels.get(VIEW_LABEL) == digest:
                return
            view.view_query, view.labels = sql, {**view.labels, VIEW_LABEL: digest}
            self.client.update_table(view, ["view_query", "labels"], timeout=CALL_TIMEOUT, retry=self._retry)
        else:
            from google.api_core.exceptions import Conflict

            view = self._bq.Table(self._ref(name))
            view.view_query, view.view_use_legacy_sql, view.labels = sql, False, {VIEW_LABEL: digest}
            try:
                self.client.create_table(view, timeout=CALL_TIMEOUT, retry=self._retry)
            except Conflict:  # a concurrent first run created it between our listing and now
                return self._ensure_view(name, sql, exists=True)
        log.info("created or replaced BigQuery view %s", self._ref(name))

    # --- reads -----------------------------------------------------------------------------------------

    def latest_start_date(self) -> datetime | None:
        with self._errors("read", "activities"):
            rows = self._rows(f"SELECT MAX(`start_date`) AS latest FROM {self._sql_ref('activities')}")
        return rows[0]["latest"] if rows else None

    def activity_ids(self) -> set[int]:
        with self._errors("read", "activities"):
            return {r["id"] for r in self._rows(f"SELECT `id` FROM {self._sql_ref('activities')}")}

    def activity_starts(self, after: datetime) -> dict[int, datetime | None]:
        with self._errors("read", "activities"):
            rows = self._rows(f"SELECT `id`, `start_date` FROM {self._sql_ref('activities')} "
                              "WHERE `start_date` > @after OR `start_date` IS NULL",
                              [self._param("after", schema.TIMESTAMP, after)])
        return {r["id"]: r["start_date"] for r in rows}

    def read_state(self, name: str) -> dict[str, Any] | None:
        with self._errors("read", "sync_state"):
            rows = self._rows(f"SELECT * FROM {self._sql_ref('sync_state')} WHERE `name` = @name",
                              [self._param("name", schema.STRING, name)])
        return dict(rows[0].items()) if rows else None

    def write_state(self, row: dict[str, Any]) -> None:
        with self._errors(f"write state {row.get('name')}", "sync_state"):
            self._merge_row(schema.SYNC_STATE, "name", row)

    # --- upsert ----------------------------------------------------------------------------------------

    def upsert_activities(self, rows: Sequence[dict[str, Any]], batch_key: str) -> UpsertResult:
        if not rows:
            return UpsertResult(0, 0)
        scoped = f"{self.project}.{self.dataset}/{batch_key}"  # the same key on another dataset is another batch
        count_id, merge_id = _job_id("count", scoped), _job_id("merge", scoped)
        with self._errors(f"upsert (batch {batch_key})", "activities"):
            merged = self._existing_job(merge_id)
            if merged is not None:  # an earlier attempt applied this batch: report its counts, apply nothing
                self._wait(merged)
                counted = self._wait(self._existing_job(count_id))[1][0]  # the merge ran after it: it exists
            else:
                staging = self._ref(f"{TMP_PREFIX}activities_{_digest(batch_key)}")
                try:
                    self._load(staging, rows, schema.ACTIVITIES)
                    counted = self._query(self._count_sql(staging), job_id=count_id)[1][0]
                    merged = self._merge(staging, counted["lo"], counted["hi"], merge_id)
                finally:
                    self._drop(staging)
        inserted = counted["inserted"]
        return UpsertResult(inserted=inserted, updated=(merged.num_dml_affected_rows or 0) - inserted)

    def _source_sql(self, staging: str) -> str:
        """The batch without duplicate ids: for each id the row that came last."""
        cols = ", ".join(_q(n) for n in schema.ACTIVITIES.column_names)
        return (f"SELECT {cols} FROM `{staging}` WHERE TRUE "
                "QUALIFY ROW_NUMBER() OVER (PARTITION BY `id` ORDER BY `_seq` DESC) = 1")

    def _count_sql(self, staging: str) -> str:
        """New ids, and the start_date range of the stored copies of the batch's ids (only `id` and
        `start_date` are read, the cheap columns). The MERGE prunes partitions with that range: it must cover
        the stored rows, whose start_date can differ from the batch's (an edited activity)."""
        return (f"SELECT COUNTIF(T.`id` IS NULL) AS inserted, MIN(T.`start_date`) AS lo, "
                f"MAX(T.`start_date`) AS hi FROM (SELECT DISTINCT `id` FROM `{staging}`) S "
                f"LEFT JOIN (SELECT `id`, `start_date` FROM {self._sql_ref('activities')}) T ON T.`id` = S.`id`")

    def _merge(self, staging: str, lo: datetime | None, hi: datetime | None, merge_id: str) -> Any:
        names = schema.ACTIVITIES.column_names
        sets = ", ".join(f"{_q(n)} = S.{_q(n)}" for n in names if n != "id")
        sql = (f"MERGE {self._sql_ref('activities')} T USING ({self._source_sql(staging)}) S\n"
               "ON T.`id` = S.`id` AND (T.`start_date` IS NULL OR T.`start_date` BETWEEN @lo AND @hi)\n"
               "WHEN MATCHED AND TO_JSON_STRING(T.`raw`) != TO_JSON_STRING(S.`raw`) THEN UPDATE SET " + sets +
               f"\nWHEN NOT MATCHED THEN INSERT ({', '.join(_q(n) for n in names)}) "
               f"VALUES ({', '.join(f'S.{_q(n)}' for n in names)})")
        bounds = [self._param("lo", "TIMESTAMP", lo or NO_RANGE), self._param("hi", "TIMESTAMP", hi or NO_RANGE)]
        return self._query(sql, bounds, job_id=merge_id)[0]

    # --- archive ---------------------------------------------------------------------------------------

    def archive_activities(self, ids: Collection[int], run_id: str, deleted_at: datetime) -> int:
        """Copy to deleted_activities and delete, in one transaction.

        The ids travel as a query-parameter array into a small table first, and the transaction reads that
        table: the emulator refuses query parameters inside multi-statement scripts (real BigQuery accepts
        them), and this way the same statements run on both.
        """
        if not ids:
            return 0
        gone = self._ref(f"{TMP_PREFIX}archive_{uuid.uuid4().hex[:12]}")
        with self._errors(f"archive (run {run_id})", "activities"):
            try:
                self._query(
                    f"CREATE TABLE `{gone}` AS SELECT id, @deleted_at AS deleted_at, @run_id AS run_id "
                    "FROM UNNEST(@ids) AS id",
                    [self._bq.ArrayQueryParameter("ids", "INT64", sorted({int(i) for i in ids})),
                     self._param("deleted_at", "TIMESTAMP", deleted_at), self._param("run_id", "STRING", run_id)])
                rows = self._rows(self._archive_sql(gone))
            finally:
                self._drop(gone)
        return int(rows[0]["removed"]) if rows else 0

    def _archive_sql(self, gone: str) -> str:
        activities, deleted = self._sql_ref("activities"), self._sql_ref("deleted_activities")
        cascade = "".join(f"DELETE FROM {self._sql_ref(t.name)} WHERE `activity_id` IN (SELECT `id` FROM `{gone}`);\n"
                          for t in schema.ACTIVITY_TABLES)  # an activity's streams, metrics... go with it
        return f"""DECLARE removed INT64;
BEGIN TRANSACTION;
SET removed = (SELECT COUNT(*) FROM {activities} WHERE `id` IN (SELECT `id` FROM `{gone}`));
INSERT INTO {deleted} (`id`, `deleted_at`, `run_id`, `start_date`, `raw`)
  SELECT A.`id`, G.`deleted_at`, G.`run_id`, A.`start_date`, A.`raw`
  FROM {activities} A JOIN `{gone}` G ON A.`id` = G.`id`;
DELETE FROM {activities} WHERE `id` IN (SELECT `id` FROM `{gone}`);
{cascade}COMMIT TRANSACTION;
SELECT removed AS removed;"""

    def delete_strava_data(self) -> int:
        tables = [self._sql_ref(t.name) for t in schema.STRAVA_DATA]
        counts = " + ".join(f"(SELECT COUNT(*) FROM {t})" for t in tables)
        deletes = "".join(f"DELETE FROM {t} WHERE TRUE;\n" for t in tables)
        sql = (f"DECLARE removed INT64;\nBEGIN TRANSACTION;\nSET removed = {counts};\n{deletes}"
               "COMMIT TRANSACTION;\nSELECT removed AS removed;")
        with self._errors("delete Strava data", "activities"):
            rows = self._rows(sql)
        return int(rows[0]["removed"]) if rows else 0

    # --- per-activity tables ---------------------------------------------------------------------------

    def replace_activity_rows(self, table: schema.Table, activity_ids: Collection[int],
                              rows: Sequence[dict[str, Any]]) -> None:
        """Staged like an upsert (load job), then one transaction deletes the activities' old rows and
        inserts the new ones; the ids travel in a table of their own (see archive_activities)."""
        if not activity_ids:
            return
        tag = uuid.uuid4().hex[:12]
        ids, staging = self._ref(f"{TMP_PREFIX}ids_{tag}"), self._ref(f"{TMP_PREFIX}{table.name}_{tag}")
        names = ", ".join(_q(n) for n in table.column_names)
        target = self._sql_ref(table.name)
        with self._errors(f"replace rows of {len(activity_ids)} activities", table.name):
            try:
                self._query(f"CREATE TABLE `{ids}` AS SELECT id FROM UNNEST(@ids) AS id",
                            [self._bq.ArrayQueryParameter("ids", "INT64", sorted({int(i) for i in activity_ids}))])
                insert = ""
                if rows:
                    self._load(staging, rows, table)
                    insert = f"INSERT INTO {target} ({names}) SELECT {names} FROM `{staging}`;\n"
                self._query(f"BEGIN TRANSACTION;\nDELETE FROM {target} WHERE `activity_id` IN "
                            f"(SELECT `id` FROM `{ids}`);\n{insert}COMMIT TRANSACTION;")
            finally:
                self._drop(ids)
                self._drop(staging)

    def activities_without(self, table: schema.Table, columns: Sequence[str], limit: int,
                           where: str | None = None, matching: Sequence[str] = ()) -> list[dict[str, Any]]:
        names = ", ".join(f"A.{_q(c)}" for c in columns)
        same = "".join(f" AND T.{_q(c)} IS NOT DISTINCT FROM A.{_q(c)}" for c in matching)
        sql = (f"SELECT {names} FROM {self._sql_ref('activities')} A WHERE NOT EXISTS (SELECT 1 FROM "
               f"{self._sql_ref(table.name)} T WHERE T.`activity_id` = A.`id`{same})"
               f"{f' AND ({where})' if where else ''} "
               f"ORDER BY A.`start_date` DESC, A.`id` DESC LIMIT {int(limit)}")
        with self._errors(f"read {table.name}", table.name):
            return [{c: r[c] for c in columns} for r in self._rows(sql)]

    def read_streams(self, activity_ids: Collection[int], columns: Sequence[str]) -> Iterator[dict[str, Any]]:
        """One query, filtered on activity_id (the clustering column: BigQuery reads only those activities'
        blocks), its rows fetched STREAMS_PER_READ at a time."""
        if not activity_ids:
            return
        names = ["activity_id", *columns]
        sql = (f"SELECT {', '.join(_q(n) for n in names)} FROM {self._sql_ref('activity_streams')} "
               "WHERE `activity_id` IN UNNEST(@ids)")
        ids = self._bq.ArrayQueryParameter("ids", "INT64", sorted({int(i) for i in activity_ids}))
        with self._errors("read streams", "activity_streams"):
            job = self._start_job(sql, [ids])
            for row in job.result(page_size=STREAMS_PER_READ, timeout=self.job_timeout, retry=self._retry,
                                  job_retry=self._job_retry):
                yield {n: row[n] for n in names}

    # --- one-row tables --------------------------------------------------------------------------------

    def record_run(self, run: dict[str, Any]) -> None:
        with self._errors(f"record run {run.get('run_id')}", "sync_runs"):
            self._merge_row(schema.SYNC_RUNS, "run_id", run)

    def set_athlete_settings(self, effective_from: date, ftp: float | None, weight_kg: float | None,
                             cda_m2: float | None = None, bike_kg: float | None = None) -> None:
        """None keeps the value already set for that date (as the DuckDB engine does)."""
        row = settings_row(effective_from, (ftp, weight_kg, cda_m2, bike_kg), {}, datetime.now(UTC))
        with self._errors(f"set athlete settings from {effective_from}", "athlete_settings"):
            self._merge_row(schema.ATHLETE_SETTINGS, "effective_from", row, keep_when_null=SETTINGS_VALUES)

    def ftp_history(self) -> list[tuple[date, float]]:
        sql = (f"SELECT `effective_from`, `ftp` FROM {self._sql_ref('athlete_settings')} WHERE `ftp` IS NOT NULL "
               "ORDER BY 1")
        with self._errors("read athlete settings", "athlete_settings"):
            return [(r["effective_from"], r["ftp"]) for r in self._rows(sql)]

    def set_athlete_zones(self, effective_from: date, hr_zones: Sequence[float] | None) -> None:
        with self._errors(f"set athlete zones from {effective_from}", "athlete_zones"):
            self._merge_row(schema.ATHLETE_ZONES, "effective_from", zones_row(effective_from, hr_zones))

    def zones_history(self) -> list[tuple[date, tuple[float, ...] | None]]:
        sql = f"SELECT `effective_from`, `status`, `hr_zones` FROM {self._sql_ref('athlete_zones')} ORDER BY 1"
        with self._errors("read athlete zones", "athlete_zones"):
            return zones_history((r["effective_from"], r["status"], r["hr_zones"]) for r in self._rows(sql))

    def _merge_row(self, table: schema.Table, key: str, row: dict[str, Any],
                   keep_when_null: Collection[str] = ()) -> None:
        """Insert or replace one row, by `key`, with one DML MERGE (not streaming: the row stays mutable)."""
        cols = table.columns
        params = [self._param(f"v_{c.name}", c.type, row.get(c.name), c.repeated) for c in cols]
        source = ", ".join(f"@v_{c.name} AS {_q(c.name)}" for c in cols)

        def value(name: str) -> str:
            return f"COALESCE(S.{_q(name)}, T.{_q(name)})" if name in keep_when_null else f"S.{_q(name)}"

        sets = ", ".join(f"{_q(c.name)} = {value(c.name)}" for c in cols if c.name != key)
        names = ", ".join(_q(c.name) for c in cols)
        self._query(f"MERGE {self._sql_ref(table.name)} T USING (SELECT {source}) S ON T.{_q(key)} = S.{_q(key)}\n"
                    f"WHEN MATCHED THEN UPDATE SET {sets}\n"
                    f"WHEN NOT MATCHED THEN INSERT ({names}) VALUES ({', '.join(f'S.{_q(c.name)}' for c in cols)})",
                    params)

    def close(self) -> None:
        self.client.close()
