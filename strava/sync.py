"""The sync policy: what to fetch from Strava, when to stop, what to store, what to delete.

- incremental (default): list activities started after the newest stored one minus a look-back
  window (edits and late uploads inside it are caught); an empty warehouse lists everything.
  Strava answers `after` queries oldest first, so a run stopped halfway resumes where it stopped.
- full: a reconciliation pass (strava/reconcile.py): list from the pass's cursor, upsert, and archive
  stored ids that complete ranges of the listing lack once Strava confirms them deleted; resumable.
Pages are upserted in bounded batches as they arrive: memory follows the batch, not the history,
and a stop keeps everything fetched so far.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from strava import events
from strava.client import StravaClient
from strava.details import sync_details
from strava.errors import (
    ConfigError,
    MassDeleteRefused,
    RateLimited,
    RefreshTokenInvalid,
    StravaError,
    SyncError,
    WarehouseError,
)
from strava.logs import event, log_context
from strava.ratelimit import RateBudget
from strava.reconcile import Reconciliation
from strava.schema import NotAnActivity, activity_row
from strava.secrets import Credentials, SecretStore, open_secret_store
from strava.settings import Settings
from strava.streams import sync_streams
from strava.warehouse import Warehouse, open_warehouse
from strava.weather import WeatherPass
from strava.webhook import Event

log = logging.getLogger("strava.sync")

BATCH_ROWS = 1000  # rows per warehouse transaction (5 full pages): Python memory stays bounded by it
MAX_LOGGED_PROBLEMS = 20


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


@dataclass
class RunSummary:
    """The run's outcome: printed as the CLI's last line, answered by the function, kept in sync_runs."""

    mode: str
    run_id: str = field(default_factory=new_run_id)
    status: str = "ok"
    api_calls: int = 0
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    skipped: int = 0
    token_rotated: bool = False
    error: dict[str, str] | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    after: int | None = None  # the listing's `after` bound
    needs_human: bool = False  # retrying cannot help: logged CRITICAL with what to do
    batches: int = 0
    problems: int = 0
    weather_calls: int = 0  # Open-Meteo requests (api_calls counts Strava's only)
    reconciled_through: str | None = None  # ISO date the deletion pass has reached; None: none running
    resume_at: datetime | None = None  # stopped by a rate window: when it resets (continuations start then)
    # duration_s counts from here: reset once the store and warehouse are open, so it is the sync itself,
    # not Python importing their drivers (DuckDB, the Google clients); process figures are the benchmark's.
    clock_from: float = field(default_factory=time.monotonic)
    events: int = 0  # webhook events applied (each confirmed by one read)
    streams: int = 0  # activities whose streams were stored
    streams_none: int = 0  # activities Strava has no streams for (recorded, not asked again)
    streams_stopped: str | None = None  # why the streams pass stopped early (budget, Strava): next run continues
    details: int = 0  # activities whose detail was stored (STRAVA_DETAILS=on)
    details_stopped: str | None = None  # why the details pass stopped early: the next run continues

    def fail(self, exc: SyncError, status: str = "failed") -> None:
        self.status, self.error = status, {"kind": exc.kind, "message": str(exc)}
        self.needs_human = exc.needs_human

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for internal in ("started_at", "after", "needs_human", "batches", "problems", "resume_at", "clock_from"):
            out.pop(internal)
        out["duration_s"] = round(time.monotonic() - self.clock_from, 3)
        return out


@contextlib.contextmanager
def own_warehouse(spec: str) -> Iterator[Warehouse]:
    """The default lease on a warehouse: opened for the run, closed after it."""
    warehouse = open_warehouse(spec)
    try:
        yield warehouse
    finally:
        try:
            warehouse.close()
        except Exception as exc:  # noqa: BLE001 - the run is over and logged; a failed close must not hide it
            log.error("could not close %s: %s", warehouse.description, exc)


def run_sync(settings: Settings | None = None, *, full: bool = False, allow_mass_delete: bool = False,
             warehouse: Warehouse | None = None, secrets: SecretStore | None = None,
             client: StravaClient | None = None, run_id: str | None = None,
             progress: Callable[[int], None] | None = None,
             open_secrets: Callable[[str], SecretStore] = open_secret_store,
             lease_warehouse: Callable[[str], AbstractContextManager[Warehouse]] = own_warehouse,
             webhook_events: list[Event] | None = None) -> RunSummary:
    """Run one sync and return its summary. Never raises: however the run ends (settings that do not
    parse, a store or warehouse that will not open, Strava, the warehouse, a bug), it logs exactly one
    `sync_finished` line and, once a warehouse is open, records one `sync_runs` row.

    What is not passed comes from the environment: `settings`, then the secret store (`open_secrets`)
    and the warehouse (`lease_warehouse`: its context decides whether the warehouse is closed after).
    `webhook_events` (a Cloud Tasks task's): apply only those; otherwise spooled events are applied first.
    """
    mode = "webhook" if webhook_events is not None else "full" if full else "incremental"
    summary = RunSummary(mode=mode, run_id=run_id or new_run_id())
    with log_context(run_id=summary.run_id), contextlib.ExitStack() as held:
        try:
            settings = settings or Settings.from_env()
            secrets = secrets or open_secrets(settings.secrets)  # first: if it fails, no warehouse is held open
            warehouse = warehouse or held.enter_context(_warehouse_call(lease_warehouse, settings.warehouse))
            client = client or StravaClient(settings)
            summary.clock_from = time.monotonic()
            _warehouse_call(warehouse.setup)
            pending = events.Pending(webhook_events) if webhook_events is not None else events.spooled(settings)
            _sync(settings, client, warehouse, secrets, summary, allow_mass_delete, progress, pending)
        except BaseException as exc:  # noqa: BLE001 - every ending is summarised; interruptions re-raised
            _fail(summary, exc)
            if not isinstance(exc, Exception):  # Ctrl-C, SystemExit: logged and recorded, then let through
                _finish(summary, warehouse, client)
                raise
        _finish(summary, warehouse, client)
    return summary


def _fail(summary: RunSummary, exc: BaseException) -> None:
    if isinstance(exc, RateLimited):
        summary.fail(exc, status="partial")
        summary.resume_at = exc.resets_at
    elif isinstance(exc, SyncError):
        summary.fail(exc)
    elif isinstance(exc, Exception):  # a bug: still one summary, one sync_runs row, a traceback logged
        log.exception("unexpected error")
        summary.status, summary.error = "failed", {"kind": "internal", "message": f"{type(exc).__name__}: {exc}"}
    else:
        summary.status, summary.error = "failed", {"kind": "interrupted", "message": type(exc).__name__}


def _finish(summary: RunSummary, warehouse: Warehouse | None, client: StravaClient | None) -> None:
    summary.api_calls = client.api_calls if client else 0
    if warehouse is not None:
        _record(warehouse, summary, client)
    _log_outcome(summary)


def _sync(settings: Settings, client: StravaClient, warehouse: Warehouse, store: SecretStore,
          summary: RunSummary, allow_mass_delete: bool, progress: Callable[[int], None] | None,
          pending: events.Pending) -> None:
    access_token = events.get_token(pending, lambda: _access_token(client, store, summary, settings.rotation_wait),
                                    warehouse)
    events.apply_events(pending, client, warehouse, access_token, summary)
    if summary.mode == "webhook":  # a task's event: its activity's streams (the task waited for them), no listing
        if settings.streams and pending.activity_ids:
            sync_streams(settings, client, warehouse, access_token, summary, only=pending.activity_ids)
        return
    recon = None
    if summary.mode == "full":
        recon = _warehouse_call(Reconciliation, warehouse, summary,
                                lambda activity_id: client.get_activity(access_token, activity_id), allow_mass_delete)
    after = recon.after if recon else _after_epoch(warehouse, settings.lookback_days)
    summary.after = after
    event(log, logging.INFO, "listing activities", mode=summary.mode, after=after)
    batch: list[dict[str, Any]] = []
    try:
        for page in client.iter_activity_pages(access_token, after=after):
            rows = _rows(page, summary)
            if recon:
                recon.listed(rows)
            batch.extend(rows)
            if progress:
                progress(len(page))
            if len(batch) >= BATCH_ROWS:
                _store(warehouse, batch, summary, recon)
    except (StravaError, MassDeleteRefused):  # Strava stopped the listing (rate limit, outage, bad page) or
        _store(warehouse, batch, summary, recon)  # the guard stopped the pass: keep what was fetched
        raise
    _store(warehouse, batch, summary)
    if recon:
        _warehouse_call(recon.finish)
    if settings.streams:  # then what the budget leaves: streams (and details), newest first
        sync_streams(settings, client, warehouse, access_token, summary)
    if settings.details:
        sync_details(client, warehouse, access_token, summary)
    if settings.weather:  # after the listing is stored; Open-Meteo's failures end the weather part only
        weather = WeatherPass(settings, warehouse)
        try:
            weather.run()  # engines raise WarehouseError themselves; anything else is a bug, reported as one
        finally:
            summary.weather_calls = weather.calls


def athlete_access_token(settings: Settings, client: StravaClient, store: SecretStore) -> str:
    """An access token for commands other than sync (a rotated refresh token is saved first)."""
    return _access_token(client, store, RunSummary(mode="command"), settings.rotation_wait)


def _access_token(client: StravaClient, store: SecretStore, summary: RunSummary, rotation_wait: float) -> str:
    """Refresh the access token; persist a rotated refresh token before any other call."""
    creds = store.read()
    try:
        grant = client.refresh_access_token(creds.client_id, creds.client_secret, creds.refresh_token)
    except RefreshTokenInvalid:
        latest = _newer_stored_token(store, creds.refresh_token, rotation_wait)
        if latest is None:
            raise
        log.info("another run rotated the refresh token meanwhile: continuing with the one it saved")
        creds = latest
        grant = client.refresh_access_token(creds.client_id, creds.client_secret, creds.refresh_token)
    if grant.refresh_token and grant.refresh_token != creds.refresh_token:
        _save_rotated_token(store, grant.refresh_token)
        summary.token_rotated = True
        event(log, logging.INFO, "refresh token rotated and saved", store=store.description)
    return grant.access_token


def _newer_stored_token(store: SecretStore, refused: str, wait: float) -> Credentials | None:
    """A refused refresh token may have just been rotated by a concurrent run that has not saved the
    new one yet (Strava answers it first): watch the store for `wait` seconds before calling it dead."""
    deadline = time.monotonic() + wait
    while True:
        latest = store.read()
        if latest.refresh_token != refused:
            return latest
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        time.sleep(min(0.25, left))


def _save_rotated_token(store: SecretStore, token: str) -> None:
    save = retry(retry=retry_if_exception_type(ConfigError), stop=stop_after_attempt(3),
                 wait=wait_exponential(multiplier=0.2, max=1), reraise=True)(store.save_refresh_token)
    try:
        save(token)
    except ConfigError as exc:
        raise ConfigError(
            f"Strava rotated the refresh token but saving it to {store.description} failed 3 times ({exc}). "
            "The previous token no longer works: fix the store's permissions, then run "
            "`python -m strava auth` to authorize again") from None


def _after_epoch(warehouse: Warehouse, lookback_days: int) -> int:
    newest = _warehouse_call(warehouse.latest_start_date)
    if newest is None:
        return 0  # empty warehouse: everything, oldest first, so a stopped backfill resumes
    return max(0, int((newest - timedelta(days=lookback_days)).timestamp()))


def _rows(page: Iterable[Any], summary: RunSummary) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    rows = []
    for item in page:
        summary.fetched += 1
        try:
            row, problems = activity_row(item, now)
        except NotAnActivity as exc:
            summary.skipped += 1
            _warn(summary, f"skipped an item Strava sent: {exc}")
            continue
        for problem in problems:
            _warn(summary, f"stored with a NULL column: {problem} (raw JSON kept)")
        rows.append(row)
    return rows


def _warn(summary: RunSummary, message: str) -> None:
    summary.problems += 1
    if summary.problems <= MAX_LOGGED_PROBLEMS:
        log.warning(message)
    elif summary.problems == MAX_LOGGED_PROBLEMS + 1:
        log.warning("more data problems in this run; not logging each one")


def _store(warehouse: Warehouse, batch: list[dict[str, Any]], summary: RunSummary,
           recon: Reconciliation | None = None) -> None:
    """Upsert the batch; then the reconciliation pass may record how far it got (those rows are safe)."""
    if batch:
        summary.batches += 1
        result = _warehouse_call(warehouse.upsert_activities, batch, f"{summary.run_id}-{summary.batches}")
        summary.inserted += result.inserted
        summary.updated += result.updated
        batch.clear()
    if recon:
        _warehouse_call(recon.save)


def _warehouse_call(fn: Callable[..., Any], *args: Any) -> Any:
    """Warehouse engines raise WarehouseError; anything else from them is a bug we still report cleanly."""
    try:
        return fn(*args)
    except SyncError:
        raise
    except Exception as exc:  # noqa: BLE001 - reported as a warehouse failure, with its type
        raise WarehouseError(f"{type(exc).__name__}: {exc}") from exc


def _record(warehouse: Warehouse, summary: RunSummary, client: StravaClient | None) -> None:
    row = {k: v for k, v in summary.to_dict().items() if k not in ("error", "duration_s")}
    row["after_epoch"] = summary.after
    row.update(started_at=summary.started_at, finished_at=datetime.now(UTC),
               error_kind=(summary.error or {}).get("kind"), error_message=(summary.error or {}).get("message"),
               **(client.budget if client else RateBudget()).snapshot())
    try:
        warehouse.record_run(row)
    except Exception as exc:  # noqa: BLE001 - the data is stored; losing the audit row must not hide it
        log.error("could not record the run in sync_runs: %s", exc)


def _log_outcome(summary: RunSummary) -> None:
    level = logging.INFO
    if summary.status == "partial":
        level = logging.WARNING
    elif summary.status == "failed":
        level = logging.CRITICAL if summary.needs_human else logging.ERROR
    error = summary.error or {}
    message = f"sync {summary.status}" + (f": {error['message']}" if error else "")
    fields = {k: v for k, v in summary.to_dict().items() if k not in ("run_id", "error")}
    # Flat like the sync_runs columns: what the alert's e-mail and Logs Explorer queries name.
    event(log, level, message, event="sync_finished", **fields, error_kind=error.get("kind"),
          error_message=error.get("message"))
