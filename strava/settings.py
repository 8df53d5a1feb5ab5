"""Runtime settings, read once from the environment (the contract names are fixed)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from strava.errors import ConfigError


@dataclass(frozen=True)
class Settings:
    api_url: str = "https://www.strava.com/api/v3"
    oauth_url: str = "https://www.strava.com/oauth"
    secrets: str = "file:.strava/secrets.json"
    warehouse: str = "duckdb:.strava/strava.duckdb"
    lookback_days: int = 7
    rate_reserve: int = 3  # requests kept free in each rate-limit window
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retry_seconds: float = 6.0  # total time spent on one failing request, every attempt and wait included
    rotation_wait: float = 5.0  # how long a refused refresh token waits for a concurrent run to save its rotation
    weather: bool = True  # weather along outdoor routes (Open-Meteo); STRAVA_WEATHER=off disables it
    weather_archive_url: str = "https://archive-api.open-meteo.com/v1/archive"
    weather_forecast_url: str = "https://api.open-meteo.com/v1/forecast"
    # Open-Meteo calls per run as it counts them (one per location per 14 days): under its 600 a minute
    weather_max_calls: int = 500
    tasks: str = ""  # STRAVA_TASKS: the queue a stopped run schedules its continuation in ("": none)
    tasks_target_url: str = ""  # what a continuation task POSTs to (the function's URL)
    tasks_service_account: str = ""  # whose OIDC token the task carries (the function's invoker)
    streams: bool = True  # fetch each activity's streams (one read each) with what the budget leaves
    hr_zones: tuple[float, ...] | None = None  # the 4 heart rates between 5 zones, bpm (None: no HR zones)
    details: bool = False  # fetch each activity's detail and laps (one more read each: doubles a backfill)
    hr_range: tuple[float, float] | None = None  # resting and maximum heart rate, bpm (TRIMP); None: no TRIMP

    @property
    def token_url(self) -> str:
        return f"{self.oauth_url.rstrip('/')}/token"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            api_url=_url(env, "STRAVA_API_URL", cls.api_url),
            oauth_url=_url(env, "STRAVA_OAUTH_URL", cls.oauth_url),
            secrets=env.get("STRAVA_SECRETS", cls.secrets),
            warehouse=env.get("STRAVA_WAREHOUSE", cls.warehouse),
            lookback_days=_number(env, "STRAVA_LOOKBACK_DAYS", cls.lookback_days, int),
            rate_reserve=_number(env, "STRAVA_RATE_RESERVE", cls.rate_reserve, int),
            connect_timeout=_number(env, "STRAVA_CONNECT_TIMEOUT", cls.connect_timeout, float),
            read_timeout=_number(env, "STRAVA_READ_TIMEOUT", cls.read_timeout, float),
            retry_seconds=_number(env, "STRAVA_RETRY_SECONDS", cls.retry_seconds, float),
            rotation_wait=_number(env, "STRAVA_ROTATION_WAIT_SECONDS", cls.rotation_wait, float),
            weather=_switch(env, "STRAVA_WEATHER", cls.weather),
            weather_archive_url=_url(env, "STRAVA_WEATHER_ARCHIVE_URL", cls.weather_archive_url),
            weather_forecast_url=_url(env, "STRAVA_WEATHER_FORECAST_URL", cls.weather_forecast_url),
            weather_max_calls=_number(env, "STRAVA_WEATHER_MAX_CALLS", cls.weather_max_calls, int),
            tasks=env.get("STRAVA_TASKS", cls.tasks).strip(),
            tasks_target_url=env.get("STRAVA_TASKS_TARGET_URL", cls.tasks_target_url).strip(),
            tasks_service_account=env.get("STRAVA_TASKS_SERVICE_ACCOUNT", cls.tasks_service_account).strip(),
            streams=_switch(env, "STRAVA_STREAMS", cls.streams),
            hr_zones=_zones(env, "STRAVA_HR_ZONES"),
            details=_switch(env, "STRAVA_DETAILS", cls.details),
            hr_range=_hr_range(env, "STRAVA_HR_RANGE"),
        )


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    url = (env.get(name) or default).strip().rstrip("/")
    if not url.startswith(("https://", "http://")) or url.endswith("//"):
        raise ConfigError(f"{name}={url!r} is not an http(s) URL")
    return url


def _switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    text = (env.get(name) or "").strip().lower()
    if not text:
        return default
    if text in ("on", "true", "1", "yes"):
        return True
    if text in ("off", "false", "0", "no"):
        return False
    raise ConfigError(f"{name}={text!r} is not understood: use on or off")


def _number(env: Mapping[str, str], name: str, default, kind):
    text = env.get(name)
    if text is None or text.strip() == "":
        return default
    try:
        value = kind(text)
    except ValueError:
        raise ConfigError(f"{name}={text!r} is not a valid {kind.__name__}") from None
    if value < 0:
        raise ConfigError(f"{name}={text!r} must not be negative")
    return value


def _zones(env: Mapping[str, str], name: str) -> tuple[float, ...] | None:
    text = (env.get(name) or "").strip()
    if not text:
        return None
    try:
        bounds = tuple(float(part) for part in text.split(","))
    except ValueError:
        bounds = ()
    if len(bounds) != 4 or list(bounds) != sorted(set(bounds)) or bounds[0] <= 0:
        raise ConfigError(f"{name}={text!r} must be the 4 increasing heart rates between 5 zones, "
                          "e.g. 130,150,165,178")
    return bounds


def _hr_range(env: Mapping[str, str], name: str) -> tuple[float, float] | None:
    text = (env.get(name) or "").strip()
    if not text:
        return None
    try:
        rest, maximum = (float(part) for part in text.split(","))
    except ValueError:
        rest = maximum = 0.0
    if not 0 < rest < maximum:
        raise ConfigError(f"{name}={text!r} must be the resting and the maximum heart rate, e.g. 50,190")
    return rest, maximum


def split_spec(spec: str, what: str, known: tuple[str, ...]) -> tuple[str, str]:
    """Split 'scheme:rest' (e.g. 'duckdb:path', 'secretmanager:project')."""
    scheme, sep, rest = spec.partition(":")
    if not sep or scheme not in known or not rest:
        raise ConfigError(f"{what} {spec!r} is not understood: use one of "
                          + ", ".join(f"'{k}:...'" for k in known))
    return scheme, rest
