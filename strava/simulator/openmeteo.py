"""A local stand-in for Open-Meteo's archive and forecast APIs (demo and tests): deterministic hourly weather
for any place and day, the JSON shapes Open-Meteo answers, its 400 and 429 errors.

  GET /v1/archive   latitude, longitude (comma-separated lists: a JSON list answers, one per location),
                    start_date, end_date (YYYY-MM-DD); hours later than `ARCHIVE_LAG_HOURS` ago are null
  GET /v1/forecast  the same with past_days (0-92) and forecast_days (default 7) instead of dates
  both:             hourly=<names>, wind_speed_unit=kmh (default) | ms, timeformat=iso8601 (default) | unixtime,
                    timezone GMT/UTC only
Errors are `{"error": true, "reason": ...}`: 400 for a bad parameter, 429 past `limit` requests.
`steady=(speed m/s, from degrees)` replaces the generated wind everywhere (golden tests).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

VARIABLES = ("temperature_2m", "wind_speed_10m", "wind_direction_10m", "wind_gusts_10m", "precipitation")
UNITS = {"temperature_2m": "°C", "wind_direction_10m": "°", "precipitation": "mm"}
SPEED_UNITS = {"kmh": ("km/h", 3.6), "ms": ("m/s", 1.0)}
ARCHIVE_LAG_HOURS = 5 * 24
MAX_PAST_DAYS = 92


class BadParameter(ValueError):
    pass


class OpenMeteoSimulator:
    def __init__(self, seed: int = 1, *, limit: int | None = None, steady: tuple[float, float] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.seed, self.limit, self.steady, self.clock = seed, limit, steady, clock
        self.requests: list[dict[str, str]] = []  # the query of every request, in order
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> OpenMeteoSimulator:
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.sim = self  # type: ignore[attr-defined]
        threading.Thread(target=self._server.serve_forever, daemon=True, name="open-meteo-sim").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> OpenMeteoSimulator:
        return self if self._server else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def archive_url(self) -> str:
        return f"{self.url}/v1/archive"

    @property
    def forecast_url(self) -> str:
        return f"{self.url}/v1/forecast"

    # --- answers ---------------------------------------------------------------------------------

    def handle(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        with self._lock:
            self.requests.append(query)
            if self.limit is not None and len(self.requests) > self.limit:
                return 429, {"error": True, "reason": "Minutely API request limit exceeded. Please try again "
                                                      "in one minute."}
        kind = path.rstrip("/").rsplit("/", 1)[-1]
        if kind not in ("archive", "forecast"):
            return 404, {"error": True, "reason": "Not Found"}
        try:
            return 200, self._answer(kind, query)
        except BadParameter as exc:
            return 400, {"error": True, "reason": str(exc)}

    def _answer(self, kind: str, query: dict[str, str]) -> Any:
        places = _places(query)
        first, last = self._days(kind, query)
        names = [n for n in query.get("hourly", "").split(",") if n]
        unknown = [n for n in names if n not in VARIABLES]
        if unknown:
            raise BadParameter(f"Cannot initialize WeatherVariable from invalid String value {unknown[0]}")
        unit = query.get("wind_speed_unit", "kmh")
        if unit not in SPEED_UNITS:
            raise BadParameter(f"Cannot initialize WindspeedUnit from invalid String value {unit}")
        timeformat = query.get("timeformat", "iso8601")
        if timeformat not in ("iso8601", "unixtime"):
            raise BadParameter(f"Cannot initialize Timeformat from invalid String value {timeformat}")
        if query.get("timezone", "GMT").upper() not in ("GMT", "UTC"):
            raise BadParameter("the simulator answers in GMT only")
        hours = [datetime(first.year, first.month, first.day, tzinfo=UTC) + timedelta(hours=h)
                 for h in range(((last - first).days + 1) * 24)]
        known_until = self.clock() - ARCHIVE_LAG_HOURS * 3600 if kind == "archive" else math.inf
        answers = [self._location(lat, lng, hours, names, unit, timeformat, known_until) for lat, lng in places]
        return answers[0] if len(answers) == 1 else answers

    def _days(self, kind: str, query: dict[str, str]) -> tuple[date, date]:
        if kind == "forecast" and "start_date" not in query:
            past, ahead = _int(query, "past_days", 0), _int(query, "forecast_days", 7)
            if not 0 <= past <= MAX_PAST_DAYS or not 0 <= ahead <= 16:
                raise BadParameter("Parameter 'past_days' must be between 0 and 92")
            today = datetime.fromtimestamp(self.clock(), UTC).date()
            return today - timedelta(days=past), today + timedelta(days=max(ahead, 1) - 1)
        try:
            first, last = date.fromisoformat(query["start_date"]), date.fromisoformat(query["end_date"])
        except (KeyError, ValueError):
            raise BadParameter("Parameter 'start_date' and 'end_date' must be set as YYYY-MM-DD") from None
        if last < first:
            raise BadParameter("End-date must be larger or equals than start-date")
        return first, last

    def _location(self, lat: float, lng: float, hours: list[datetime], names: list[str], unit: str,
                  timeformat: str, known_until: float) -> dict[str, Any]:
        label, factor = SPEED_UNITS[unit]
        hourly: dict[str, list[Any]] = {
            "time": [int(h.timestamp()) if timeformat == "unixtime" else h.strftime("%Y-%m-%dT%H:%M") for h in hours]}
        for name in names:
            hourly[name] = []
        for h in hours:
            values = self.weather(lat, lng, h.timestamp()) if h.timestamp() <= known_until else {}
            for name in names:
                value = values.get(name)
                if value is not None and name in ("wind_speed_10m", "wind_gusts_10m"):
                    value *= factor
                hourly[name].append(None if value is None else round(value, 2))
        return {"latitude": round(lat, 3), "longitude": round(lng, 3), "generationtime_ms": 0.1,
                "utc_offset_seconds": 0, "timezone": "GMT", "timezone_abbreviation": "GMT", "elevation": 50.0,
                "hourly_units": {"time": timeformat, **{n: UNITS.get(n, label) for n in names}}, "hourly": hourly}

    def weather(self, lat: float, lng: float, epoch: float) -> dict[str, float]:
        """The simulated hour at a place, in m/s: smooth in time and space, the same for a seed."""
        day, hour = epoch / 86400.0, (epoch / 3600.0) % 24
        phase = self.seed * 1.618 + lat * 0.7 + lng * 0.3
        season = math.cos(2 * math.pi * (day - 196) / 365.25)  # warmest mid-July (northern hemisphere)
        temperature = 11 + 9 * season - abs(lat - 45) * 0.3 + 5 * math.sin(2 * math.pi * (hour - 9) / 24)
        if self.steady is not None:
            speed, direction = self.steady
        else:
            speed = 1.5 + 3.5 * (1 + math.sin(day / 2.3 + phase)) / 2 + 1.5 * (1 + math.sin(day * 5.1)) / 2
            direction = (240 + 110 * math.sin(day / 3.7 + phase)) % 360
        rain = max(0.0, 3 * math.sin(day / 1.9 + phase) - 2.2)
        return {"temperature_2m": temperature, "wind_speed_10m": speed, "wind_direction_10m": direction,
                "wind_gusts_10m": speed * 1.6 + 1, "precipitation": rain}


def _places(query: dict[str, str]) -> list[tuple[float, float]]:
    try:
        lats = [float(x) for x in query["latitude"].split(",")]
        lngs = [float(x) for x in query["longitude"].split(",")]
    except (KeyError, ValueError):
        raise BadParameter("Parameter 'latitude' and 'longitude' must be numbers") from None
    if len(lats) != len(lngs):
        raise BadParameter("Parameter 'latitude' and 'longitude' must have the same number of elements")
    if not all(-90 <= a <= 90 for a in lats) or not all(-180 <= b <= 180 for b in lngs):
        raise BadParameter("Latitude must be in range of -90 to 90°. Longitude in range of -180 to 180°.")
    return list(zip(lats, lngs, strict=True))


def _int(query: dict[str, str], name: str, default: int) -> int:
    try:
        return int(query.get(name, default))
    except ValueError:
        raise BadParameter(f"Parameter '{name}' must be an integer") from None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        status, body = self.server.sim.handle(split.path, dict(parse_qsl(split.query)))  # type: ignore[attr-defined]
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)
