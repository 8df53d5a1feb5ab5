"""Hourly weather at one grid cell, read between the hours, and a ride's weather summarised over its samples.

Wind is interpolated in time on its u/v components, never on the angle (350 deg and 10 deg average to north,
not south). Temperature and gusts are interpolated linearly; precipitation is an hourly total, taken from the
hour that contains the moment.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from strava.weather.route import HEADWIND_SHARE_MS, Sample, headwind, wind_components, wind_from


@dataclass(frozen=True)
class Conditions:
    temperature_c: float | None
    wind_u: float
    wind_v: float
    gust_ms: float | None
    precipitation_mm_h: float | None

    @property
    def wind(self) -> tuple[float, float]:
        """(speed m/s, from degrees)."""
        return wind_from(self.wind_u, self.wind_v)


@dataclass(frozen=True)
class HourlySeries:
    """Open-Meteo's hourly answer for one location: times in UTC epoch seconds, values may be None."""

    times: Sequence[float]
    temperature_c: Sequence[float | None]
    wind_speed_ms: Sequence[float | None]
    wind_from_deg: Sequence[float | None]
    gust_ms: Sequence[float | None]
    precipitation_mm: Sequence[float | None]

    def at(self, epoch: float) -> Conditions | None:
        """The conditions at `epoch` (clamped to the series' ends); None without wind data there."""
        if not self.times:
            return None
        i = bisect.bisect_right(self.times, epoch) - 1
        lo, hi = max(0, min(i, len(self.times) - 1)), max(0, min(i + 1, len(self.times) - 1))
        span = self.times[hi] - self.times[lo]
        w = 0.0 if span <= 0 else min(1.0, max(0.0, (epoch - self.times[lo]) / span))
        before, after = self._uv(lo), self._uv(hi)
        if before is None or after is None:
            return None
        (u0, v0), (u1, v1) = before, after
        # precipitation at time T is the total of the hour ending at T: the moment's hour ends at `hi`
        return Conditions(_lerp(self.temperature_c, lo, hi, w), u0 + w * (u1 - u0), v0 + w * (v1 - v0),
                          _lerp(self.gust_ms, lo, hi, w), self.precipitation_mm[hi])

    def _uv(self, k: int) -> tuple[float, float] | None:
        speed, direction = self.wind_speed_ms[k], self.wind_from_deg[k]
        return None if speed is None or direction is None else wind_components(speed, direction)


def _lerp(values: Sequence[float | None], lo: int, hi: int, w: float) -> float | None:
    a, b = values[lo], values[hi]
    if a is None or b is None:
        return a if b is None else b
    return a + w * (b - a)


def summarize(samples: Sequence[Sample], conditions: Sequence[Conditions | None]) -> dict[str, float | None] | None:
    """The activity_weather figures over the samples that have weather; None when none has.

    Means are over moving time (one sample = one minute). Crosswind is the mean magnitude (its side flips
    with every turn). `headwind_sq_ms2`, the mean of h^2, lets the views compute mean drag (v + h)^2 exactly.
    """
    pairs = [(s, c) for s, c in zip(samples, conditions, strict=True) if c is not None]
    if not pairs:
        return None
    heads, crosses, speeds = [], [], []
    for sample, cond in pairs:
        speed, direction = cond.wind
        h, x = headwind(speed, direction, sample.bearing)
        heads.append(h)
        crosses.append(abs(x))
        speeds.append(speed)
    n = len(pairs)
    temps = [c.temperature_c for _, c in pairs if c.temperature_c is not None]
    gusts = [c.gust_ms for _, c in pairs if c.gust_ms is not None]
    _, dominant = wind_from(sum(c.wind_u for _, c in pairs) / n, sum(c.wind_v for _, c in pairs) / n)
    rain = sum((c.precipitation_mm_h or 0.0) * s.seconds for s, c in pairs) / 3600.0
    return {
        "temperature_c": sum(temps) / len(temps) if temps else None,
        "wind_speed_ms": sum(speeds) / n,
        "wind_from_deg": dominant,
        "wind_gust_ms": max(gusts) if gusts else None,
        "precipitation_mm": rain,
        "headwind_ms": sum(heads) / n,
        "crosswind_ms": sum(crosses) / n,
        "headwind_share": sum(h > HEADWIND_SHARE_MS for h in heads) / n,
        "headwind_sq_ms2": sum(h * h for h in heads) / n,
        "samples": n,
    }
