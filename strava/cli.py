"""`python -m strava`: the command line. Thin: parse, configure, call the package, print."""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from strava.errors import SyncError
from strava.logs import setup_logging
from strava.settings import Settings

log = logging.getLogger("strava.cli")

# What `settings` accepts: from below a time-trial position's CdA to above sitting up on a city bike; from
# below any complete bike's mass to a loaded cargo bike's.
CDA_RANGE, BIKE_KG_RANGE = (0.1, 1.0), (3.0, 40.0)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    setup_logging()
    try:
        return args.handler(args)
    except SyncError as exc:
        log.error("%s", exc)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m strava", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    p = sub.add_parser("sync", help="sync activities from Strava into the warehouse")
    p.add_argument("--full", action="store_true", help="list everything and reconcile deletions")
    p.add_argument("--allow-mass-delete", action="store_true",
                   help="with --full: allow deleting more than half the stored activities")
    p.add_argument("--until-done", action="store_true",
                   help="when Strava's rate limit stops the run, wait for the window to reset (with a countdown) "
                        "and continue, until the backfill or the reconciliation is done")
    p.set_defaults(handler=_sync)

    p = sub.add_parser("auth", help="authorize this app in a browser once and store the refresh token")
    p.add_argument("--client-id", help="Strava app client ID (default: $STRAVA_CLIENT_ID, a prompt, or the stored one)")
    p.add_argument("--client-secret",
                   help="prefer $STRAVA_CLIENT_SECRET or the hidden prompt: arguments show in ps/shell history")
    p.add_argument("--port", type=int, default=0, help="local callback port on 127.0.0.1 (default: a free one)")
    p.add_argument("--no-browser", action="store_true", help="only print the URL, don't open a browser")
    p.add_argument("--timeout", type=float, default=300, help="seconds to wait for the browser (default 300)")
    p.set_defaults(handler=_auth)

    p = sub.add_parser("simulate", help="run the built-in Strava simulator (for demos and tests)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--activities", type=int, default=300)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rotate", action="store_true", help="rotate the refresh token on every refresh")
    p.add_argument("--latency-ms", type=float, default=0.0, help="added latency per request")
    p.add_argument("--read-limits", type=_limits, default=(100, 1000), metavar="15MIN,DAILY",
                   help="read rate limits (Strava's: 100,1000)")
    p.add_argument("--overall-limits", type=_limits, default=(200, 2000), metavar="15MIN,DAILY",
                   help="overall rate limits (Strava's: 200,2000)")
    p.add_argument("--secrets-out", type=Path, help="write a secrets file for this simulator here")
    p.set_defaults(handler=_simulate)

    p = sub.add_parser("demo", help="simulator -> sync -> DuckDB -> report, all local (what `make run` does)")
    p.add_argument("--activities", type=int, default=400)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--dir", type=Path, default=Path(".strava/demo"))
    p.set_defaults(handler=_demo)

    p = sub.add_parser("report", help="write the offline HTML report from the DuckDB warehouse")
    p.add_argument("--out", type=Path, default=Path(".strava/report.html"))
    p.set_defaults(handler=_report)

    p = sub.add_parser("athena-views", help="print the analytics views as Athena CREATE OR REPLACE VIEW statements")
    p.add_argument("--database", required=True, help="the Glue database holding the lake's tables")
    p.add_argument("--out", type=Path, help="instead write NAME.sql per view here (one statement a file, as Athena "
                                            "runs them)")
    p.set_defaults(handler=_athena_views)

    p = sub.add_parser("webhook", help="Strava's push subscription: new, edited, deleted activities within minutes")
    hook = p.add_subparsers(required=True, metavar="ACTION")
    h = hook.add_parser("subscribe", help="create the app's subscription (stores the verify token and its id)")
    h.add_argument("--callback-url", required=True, help="the webhook function's URL (terraform output)")
    h.set_defaults(handler=_webhook, action="subscribe")
    h = hook.add_parser("status", help="the subscription as Strava and the secret store know it")
    h.set_defaults(handler=_webhook, action="status")
    h = hook.add_parser("unsubscribe", help="delete the app's subscription")
    h.set_defaults(handler=_webhook, action="unsubscribe")

    p = sub.add_parser("settings", help="set the athlete's FTP, weight, CdA and/or bike mass from a date on")
    p.add_argument("--ftp", type=_positive, help="functional threshold power, W")
    p.add_argument("--weight", type=_positive, help="body weight, kg")
    p.add_argument("--cda", type=_within(*CDA_RANGE), metavar="M2", help="aerodynamic drag area CdA, m², "
                   f"{CDA_RANGE[0]:g}-{CDA_RANGE[1]:g} (the wind-adjusted effort)")
    p.add_argument("--bike-weight", type=_within(*BIKE_KG_RANGE), metavar="KG", help="bike mass, kg, "
                   f"{BIKE_KG_RANGE[0]:g}-{BIKE_KG_RANGE[1]:g} (the wind-adjusted effort)")
    p.add_argument("--since", type=date.fromisoformat, default=date.today(),
                   help="first day the values apply (YYYY-MM-DD, default today)")
    p.set_defaults(handler=_settings)
    return parser


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _within(low: float, high: float) -> Callable[[str], float]:
    def number(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not low <= value <= high:  # NaN too
            raise argparse.ArgumentTypeError(f"must be a number from {low:g} to {high:g}, got {text}")
        return value

    return number


def _limits(text: str) -> tuple[int, int]:
    try:
        short, daily = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected two integers like 100,1000, got {text!r}") from None
    return short, daily


def _print_summary(summary: dict) -> None:
    print(json.dumps(summary, default=str), flush=True)


def _sync(args: argparse.Namespace) -> int:
    from strava.continuation import continuation
    from strava.sync import run_sync

    while True:
        with _progress_bar() as progress:
            summary = run_sync(full=args.full, allow_mass_delete=args.allow_mass_delete, progress=progress)
        _print_summary(summary.to_dict())
        plan = continuation(summary.status, summary.mode, summary.resume_at) if args.until_done else None
        if plan is None:
            return 1 if summary.status == "failed" else 0
        _countdown(plan.at)


SLEEP: Callable[[float], None] = time.sleep  # module attributes, so a test can pass time without waiting
CLOCK: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def _countdown(until: datetime) -> None:
    """Wait for `until`, counting down on stderr: live on a terminal, one line a minute otherwise."""
    live, shown = sys.stderr.isatty(), None
    while (left := math.ceil((until - CLOCK()).total_seconds())) > 0:
        if live or left // 60 != shown:
            shown = left // 60
            text = f"Strava's rate window resets: continuing at {until:%H:%M:%S} UTC, in {shown:02d}:{left % 60:02d}"
            print("\r" + text if live else text, end="" if live else "\n", file=sys.stderr, flush=True)
        SLEEP(min(1.0, left))
    if live:
        print(file=sys.stderr)


class _progress_bar:
    """A tqdm bar on stderr when it is a terminal; nothing otherwise (logs stay machine-readable)."""

    def __enter__(self):
        if not sys.stderr.isatty():
            self.bar = None
            return None
        from tqdm import tqdm

        self.bar = tqdm(unit=" activities", desc="syncing", file=sys.stderr)
        return self.bar.update

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()


def _auth(args: argparse.Namespace) -> int:
    from strava.auth import run_auth

    return run_auth(Settings.from_env(), client_id=args.client_id, client_secret=args.client_secret,
                    port=args.port, open_browser=not args.no_browser, timeout=args.timeout)


def _simulate(args: argparse.Namespace) -> int:
    from strava.simulator import StravaSimulator
    from strava.simulator.openmeteo import OpenMeteoSimulator

    sim = StravaSimulator(args.activities, args.seed, rotate=args.rotate, latency=args.latency_ms / 1000,
                          read_limits=args.read_limits, overall_limits=args.overall_limits)
    sim.bind(host=args.host, port=args.port)
    meteo = OpenMeteoSimulator(args.seed).start(host=args.host)  # its companion: weather for the routes
    if args.secrets_out:
        from strava.secrets.base import Credentials
        from strava.secrets.file import FileSecretStore

        FileSecretStore(args.secrets_out).save(Credentials(**sim.secrets()))
    print(f"Strava simulator with {args.activities} activities on {sim.url}\n"
          f"  export STRAVA_API_URL={sim.api_url} STRAVA_OAUTH_URL={sim.oauth_url}"
          + (f" STRAVA_SECRETS=file:{args.secrets_out}" if args.secrets_out else "")
          + f" STRAVA_WEATHER_ARCHIVE_URL={meteo.archive_url} STRAVA_WEATHER_FORECAST_URL={meteo.forecast_url}",
          flush=True)
    try:
        sim.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
        meteo.stop()
    return 0


def _demo(args: argparse.Namespace) -> int:
    from strava.demo import run_demo

    return run_demo(args.dir, activities=args.activities, seed=args.seed)


def _report(args: argparse.Namespace) -> int:
    from strava.report import write_report
    from strava.warehouse.duckdb import connect_read_only

    with connect_read_only(_duckdb_path(Settings.from_env())) as conn:
        out = write_report(conn, args.out)
    print(f"report written to {out.resolve()}")
    return 0


def _athena_views(args: argparse.Namespace) -> int:
    from strava.analytics.athena_views import athena_views
    from strava.errors import ConfigError

    try:
        views = athena_views(args.database)
    except ValueError as exc:
        raise ConfigError(f"--database: {exc}") from None
    if args.out is None:
        print(";\n\n".join(statement for _, statement in views) + ";")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, statement in views:
        (args.out / f"{name}.sql").write_text(statement + "\n", encoding="utf-8")
    print(f"{len(views)} views written to {args.out.resolve()} (run them in this order: "
          f"{', '.join(name for name, _ in views)})")
    return 0


def _webhook(args: argparse.Namespace) -> int:
    from strava import subscription
    from strava.client import StravaClient
    from strava.secrets import open_secret_store

    settings = Settings.from_env()
    store, client = open_secret_store(settings.secrets), StravaClient(settings)
    if args.action == "subscribe":
        result = subscription.subscribe(settings, store, client, args.callback_url)
    else:
        result = getattr(subscription, args.action)(store, client)
    print(json.dumps(result, default=str), flush=True)
    return 0


def _settings(args: argparse.Namespace) -> int:
    from strava.warehouse import open_warehouse

    given = {"FTP W": args.ftp, "weight kg": args.weight, "CdA m²": args.cda, "bike kg": args.bike_weight}
    if all(v is None for v in given.values()):
        print("nothing to set: give --ftp, --weight, --cda and/or --bike-weight", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    warehouse = open_warehouse(settings.warehouse)
    try:
        warehouse.setup()
        warehouse.set_athlete_settings(args.since, args.ftp, args.weight, cda_m2=args.cda, bike_kg=args.bike_weight)
    finally:
        warehouse.close()
    print(f"from {args.since}: " + ", ".join(f"{k} {v:g}" for k, v in given.items() if v is not None)
          + f" (in {warehouse.description})")
    return 0


def _duckdb_path(settings: Settings) -> str:
    scheme, _, path = settings.warehouse.partition(":")
    if scheme != "duckdb":
        from strava.errors import ConfigError

        raise ConfigError("the local report reads a DuckDB warehouse; on BigQuery use the Looker Studio "
                          "dashboards (docs/dashboards.md)")
    return path
