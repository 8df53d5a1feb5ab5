"""Power and heart-rate metrics of one activity's streams: pure functions, no I/O, plain Python.

Everything starts from a 1 Hz series resampled on Strava's `time` stream (`resample`): a gap of up to
HOLD_GAP_S seconds (a device skipping a sample) holds the last value; a longer gap is a pause (auto-pause
or a stop), where power counts as 0 W and heart rate as unknown. Zero, not the last value, because the
rider really was not pedalling: holding would lift the power curve over a stop at the lights, and leaving
the pause out would join two efforts into one window that never happened.

Names are neutral: "weighted power", "intensity" and "training stress" are computed as the well-known
normalized power, intensity factor and training stress score, whose names are TrainingPeaks trademarks.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from itertools import accumulate, islice, repeat
from operator import sub
from typing import Any, TypeVar

P = TypeVar("P", float, None)  # what a pause holds: 0.0 for power, None for heart rate

HOLD_GAP_S = 5
# Standard durations of the power-duration curve, seconds: 1, 5, 10, 15, 30 s; 1 ... 120 min.
DURATIONS = (1, 5, 10, 15, 30, 60, 120, 180, 300, 480, 600, 720, 1200, 1800, 2700, 3600, 5400, 7200)
ROLLING_S = 30  # weighted power's rolling mean
MIN_WEIGHTED_S = 300  # weighted power needs at least 5 minutes of data
POWER_ZONE_BOUNDS = (0.55, 0.75, 0.90, 1.05, 1.20, 1.50)  # fractions of FTP between the 7 zones
TRIMP_K = 1.92  # Banister's weighting (men; 1.67 for women), applied to the heart-rate reserve fraction


def resample(time: Sequence[int], values: Sequence[float | None], pause: P) -> list[float | P]:
    """1 Hz series from the first to the last sample; see the module docstring for gaps and pauses.
    A missing value (a dropout) counts like a pause."""
    out: list[float | P] = []
    append, extend = out.append, out.extend
    following = [*time[1:], time[-1] + 1] if time else []
    for t, after, v in zip(time, following, values, strict=True):
        value = pause if v is None else v
        gap = after - t
        if gap == 1:  # the common case, kept cheap: a 4-hour ride has 14,400 samples
            append(value)
        elif gap <= HOLD_GAP_S:
            extend([value] * max(gap, 0))
        else:
            append(value)
            extend([pause] * (gap - 1))
    return out


def power_curve(watts: Sequence[float]) -> list[tuple[int, float]]:
    """(duration, best mean power over any window of that many seconds) for each standard duration that fits."""
    prefix = [0.0, *accumulate(watts)]
    return [(d, max(map(sub, islice(prefix, d, None), prefix)) / d) for d in DURATIONS if d <= len(watts)]


def weighted_power(watts: Sequence[float]) -> float | None:
    """4th root of the mean 4th power of the 30 s trailing rolling mean; None under MIN_WEIGHTED_S."""
    if len(watts) < MIN_WEIGHTED_S:
        return None
    prefix = [0.0, *accumulate(watts)]
    sums = list(map(sub, islice(prefix, ROLLING_S, None), prefix))
    return (sum(map(pow, sums, repeat(4))) / len(sums)) ** 0.25 / ROLLING_S


def decoupling_pct(watts: Sequence[float], heartrate: Sequence[float | None]) -> float | None:
    """100 * (r1 - r2) / r1 with r = mean power / mean heart rate in each half of the seconds with heart rate."""
    pairs = [(p, h) for p, h in zip(watts, heartrate, strict=True) if h]
    half = len(pairs) // 2
    if half < 1:
        return None
    first, second = _ratio(pairs[:half]), _ratio(pairs[half:])
    return 100 * (first - second) / first if first else None


def _ratio(pairs: list[tuple[float, float]]) -> float:
    return sum(p for p, _ in pairs) / sum(h for _, h in pairs)


def trimp(heartrate: Sequence[float | None], rest: float, maximum: float) -> float:
    """Banister's TRIMP from a 1 Hz heart rate: sum over minutes of HRr * e^(k * HRr), HRr = (HR - rest) /
    (max - rest) clamped to 0..1; seconds without a heart rate count for nothing."""
    total = 0.0
    for h in heartrate:
        if h:
            reserve = min(max((h - rest) / (maximum - rest), 0.0), 1.0)
            total += reserve * math.exp(TRIMP_K * reserve)
    return total / 60


def zone_seconds(values: Sequence[float | None], bounds: Sequence[float]) -> list[int]:
    """Seconds in each of len(bounds) + 1 zones; a value equal to a bound belongs to the zone above it."""
    zones = [bisect.bisect_right(bounds, v) for v in values if v is not None]
    return [zones.count(z) for z in range(len(bounds) + 1)]


def stream_metrics(streams: dict[str, list], ftp: float | None, hr_bounds: Sequence[float] | None,
                   hr_range: tuple[float, float] | None = None) -> tuple[dict[str, Any], list[tuple[int, float]]]:
    """The activity_stream_metrics values (without the keys) and the power curve, from Strava's streams
    (type -> data). `hr_bounds`: the 4 heart rates between the 5 zones, or None (zones left NULL);
    `hr_range`: (resting, maximum) heart rate for TRIMP, or None (no TRIMP)."""
    time = streams.get("time") or []
    watts = resample(time, streams["watts"], 0.0) if streams.get("watts") else None
    heart = resample(time, streams["heartrate"], None) if streams.get("heartrate") else None
    out: dict[str, Any] = {"seconds": len(watts or heart or [])}
    hr_values = [h for h in heart or [] if h]
    mean_hr = sum(hr_values) / len(hr_values) if hr_values else None
    out["mean_heartrate"] = mean_hr
    curve: list[tuple[int, float]] = []
    wp = None
    if watts:
        curve = power_curve(watts)
        wp = weighted_power(watts)
        mean = sum(watts) / len(watts)
        out.update(mean_watts=mean, variability_index=wp / mean if wp is not None and mean else None)
        out["decoupling_pct"] = decoupling_pct(watts, heart) if heart else None
        if ftp:
            zones = zone_seconds(watts, [b * ftp for b in POWER_ZONE_BOUNDS])
            out.update({f"power_z{i}_s": s for i, s in enumerate(zones, 1)})
    out["weighted_watts"] = wp
    out["ftp"] = ftp
    if wp is not None and ftp:
        intensity = wp / ftp
        out.update(intensity=intensity, stress=100 * len(watts or ()) / 3600 * intensity ** 2)
    out["efficiency_factor"] = wp / mean_hr if wp is not None and mean_hr else None
    if heart and hr_bounds:
        out.update({f"hr_z{i}_s": s for i, s in enumerate(zone_seconds(heart, hr_bounds), 1)})
    if heart and hr_range:
        out["trimp"] = trimp(heart, *hr_range)
    return out, curve
