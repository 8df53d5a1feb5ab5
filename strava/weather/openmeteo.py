"""Open-Meteo's historical weather over HTTP: several locations per request, hourly, JSON.

Archive API for days it already covers (it lags about 5 days), forecast API with `past_days` for recent
ones. Data: CC BY 4.0, https://open-meteo.com/ (the attribution is shown wherever weather is).
`calls` counts every request sent, retries included. No key, nothing secret in a request.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from strava.weather.hourly import HourlySeries

HOURLY = ("temperature_2m", "wind_speed_10m", "wind_direction_10m", "wind_gusts_10m", "precipitation")
USER_AGENT = "strava-warehouse-sync/1.0 (weather: open-meteo.com)"
ATTRIBUTION = "Weather data by Open-Meteo.com (CC BY 4.0)"
ATTRIBUTION_URL = "https://open-meteo.com/"
MAX_ATTEMPTS = 3
DAYS_PER_CALL = 14  # Open-Meteo counts a request as one call per location per 14 days (under 10 variables)


def call_units(locations: int, days: int) -> int:
    """What a request costs against Open-Meteo's free limits (600/minute, 5,000/hour, 10,000/day)."""
    return locations * max(1, math.ceil(days / DAYS_PER_CALL))


class WeatherError(Exception):
    """Open-Meteo failed or answered something unusable: the weather part of the run stops, the sync does not."""


class WeatherRateLimited(WeatherError):
    """Open-Meteo answered 429: its minute, hour or day limit is spent."""


class _Transient(Exception):
    pass


class OpenMeteo:
    def __init__(self, archive_url: str, forecast_url: str, timeout: tuple[float, float] = (5.0, 30.0),
                 session: requests.Session | None = None, retry_wait: float = 0.5) -> None:
        self.archive_url, self.forecast_url = archive_url, forecast_url
        self.timeout, self.retry_wait = timeout, retry_wait
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.calls = 0  # HTTP requests sent
        self.units = 0  # the same as Open-Meteo counts them (call_units)

    def archive(self, locations: Sequence[tuple[float, float]], start: date, end: date) -> list[HourlySeries]:
        """Hourly series for each location (same order), from `start` to `end` inclusive (UTC days)."""
        return self._hourly(self.archive_url, locations, (end - start).days + 1,
                            {"start_date": start.isoformat(), "end_date": end.isoformat()})

    def recent(self, locations: Sequence[tuple[float, float]], past_days: int) -> list[HourlySeries]:
        """Hourly series for each location over the last `past_days` days and today (forecast API)."""
        return self._hourly(self.forecast_url, locations, past_days + 1, {"past_days": past_days, "forecast_days": 1})

    def _hourly(self, url: str, locations: Sequence[tuple[float, float]], days: int,
                span: dict[str, Any]) -> list[HourlySeries]:
        params = {
            "latitude": ",".join(f"{lat:.4f}" for lat, _ in locations),
            "longitude": ",".join(f"{lng:.4f}" for _, lng in locations),
            "hourly": ",".join(HOURLY), "wind_speed_unit": "ms", "timeformat": "unixtime", "timezone": "GMT",
            **span,
        }
        body = self._get(url, params, call_units(len(locations), days))
        answers = body if isinstance(body, list) else [body]
        if len(answers) != len(locations):
            raise WeatherError(f"Open-Meteo answered {len(answers)} locations for {len(locations)} asked")
        return [_series(a) for a in answers]

    def _get(self, url: str, params: dict[str, Any], units: int) -> Any:
        retrying = Retrying(retry=retry_if_exception_type(_Transient), stop=stop_after_attempt(MAX_ATTEMPTS),
                            wait=wait_exponential(multiplier=self.retry_wait, max=5), reraise=True)
        try:
            return retrying(self._attempt, url, params, units)
        except _Transient as exc:
            raise WeatherError(f"Open-Meteo unavailable after {MAX_ATTEMPTS} attempts: {exc}") from None

    def _attempt(self, url: str, params: dict[str, Any], units: int) -> Any:
        self.calls += 1
        self.units += units
        try:
            response = self.session.get(url, params=params, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _Transient(type(exc).__name__) from None
        if response.status_code == 429:
            raise WeatherRateLimited(f"Open-Meteo rate limit: {_reason(response)}; the rest waits for the next run")
        if response.status_code >= 500:
            raise _Transient(f"HTTP {response.status_code}")
        if response.status_code != 200:
            raise WeatherError(f"Open-Meteo refused the request (HTTP {response.status_code}): {_reason(response)}")
        try:
            return response.json()
        except ValueError:
            raise WeatherError("Open-Meteo answered something that is not JSON") from None


def _reason(response: requests.Response) -> str:
    try:
        return str(response.json().get("reason", ""))[:200] or response.reason
    except (ValueError, AttributeError):
        return response.reason


def _series(answer: Any) -> HourlySeries:
    try:
        hourly = answer["hourly"]
        offset = float(answer.get("utc_offset_seconds") or 0)
        times = [_epoch(t, offset) for t in hourly["time"]]
        columns = [[_number(v) for v in hourly[name]] for name in HOURLY]
    except (KeyError, TypeError, ValueError) as exc:
        raise WeatherError(f"Open-Meteo's answer lacks hourly data ({type(exc).__name__}: {exc})") from None
    if any(len(c) != len(times) for c in columns) or times != sorted(times):
        raise WeatherError("Open-Meteo's hourly arrays are not aligned or not in time order")
    return HourlySeries(times, *columns)


def _epoch(time: Any, offset: float) -> float:
    """Unix seconds of an hourly time: a number (`timeformat=unixtime`, which we ask for: always UTC) or an
    ISO 8601 local time of the answer's `utc_offset_seconds` (a stand-in that ignores `timeformat`)."""
    if isinstance(time, str):
        return datetime.fromisoformat(time).replace(tzinfo=UTC).timestamp() - offset
    return float(time)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"not a number: {value!r:.20}")
    return float(value)
