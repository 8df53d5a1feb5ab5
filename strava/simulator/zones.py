"""GET /athlete/zones: Strava's Zones for the simulated athlete (needs profile:read_all).

Heart-rate zones are Strava's defaults for a maximum heart rate, as fractions of it, unless a test sets
custom ones (`StravaSimulator.set_hr_zones`); the maximum is drawn per seed in the range the simulated
activities' heart rates reach (their averages are 105-165 bpm). Power zones follow the athlete's FTP.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

HR_FRACTIONS = (0.6, 0.7, 0.8, 0.9)  # of the maximum heart rate, between the 5 zones
POWER_FRACTIONS = (0.55, 0.75, 0.90, 1.05, 1.20, 1.50)  # of FTP, between the 7 zones


def default_hr_bounds(seed: int) -> tuple[int, ...]:
    """The 4 heart rates between the 5 zones for the seed's athlete (maximum 182-197 bpm)."""
    maximum = random.Random(f"zones-{seed}").randrange(182, 198)
    return tuple(round(maximum * f) for f in HR_FRACTIONS)


def zones_body(hr_bounds: Sequence[int], custom: bool, ftp: int | None) -> dict:
    """The Zones answer: `{"heart_rate": {"custom_zones", "zones"}, "power": {"zones"}}`; the last max is -1."""
    body: dict = {"heart_rate": {"custom_zones": custom, "zones": _ranges(list(hr_bounds))}}
    if ftp:
        body["power"] = {"zones": _ranges([round(ftp * f) for f in POWER_FRACTIONS])}
    return body


def _ranges(bounds: list[int]) -> list[dict[str, int]]:
    return [{"min": lo, "max": hi} for lo, hi in zip([0, *bounds], [*bounds, -1], strict=True)]
