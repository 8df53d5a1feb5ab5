"""Strava's rate limits: a 15-minute and a daily window, each for the overall and the read limits."""

from __future__ import annotations

from collections.abc import Iterable

from strava.simulator.data import DAY

QUARTER = 900  # 15-minute windows reset at :00/:15/:30/:45 UTC, daily ones at 00:00 UTC


def _csv(values: Iterable[int]) -> str:
    return ",".join(str(v) for v in values)


class RateLimits:
    """Usage and limits as [15min, daily] pairs; every request counts overall, GETs also as reads."""

    def __init__(self, read_limits: tuple[int, int], overall_limits: tuple[int, int]) -> None:
        self.read_limits, self.overall_limits = tuple(read_limits), tuple(overall_limits)
        self.read, self.overall = [0, 0], [0, 0]  # usage: [15min, daily]
        self._windows = (-1, -1)

    def roll(self, now: float) -> None:
        """Zero the usage of any window `now` has left."""
        quarter, day = int(now // QUARTER), int(now // DAY)
        if quarter != self._windows[0]:
            self.read[0] = self.overall[0] = 0
        if day != self._windows[1]:
            self.read[1] = self.overall[1] = 0
        self._windows = (quarter, day)

    def charge(self, now: float, is_read: bool) -> bool:
        """Count one request; False when it is refused. Refused ones still count for the day."""
        self.roll(now)
        over = any(u >= lim for u, lim in zip(self.overall, self.overall_limits, strict=True))
        if is_read:
            over = over or any(u >= lim for u, lim in zip(self.read, self.read_limits, strict=True))
        self.overall[1] += 1
        self.read[1] += is_read
        if not over:
            self.overall[0] += 1
            self.read[0] += is_read
        return not over

    def set_usage(self, now: float, read: tuple[int, int], overall: tuple[int, int]) -> None:
        self.roll(now)
        self.read, self.overall = list(read), list(overall)

    def headers(self) -> dict[str, str]:
        """Strava's headers, "15min,daily" each; sent with every API answer."""
        return {"X-RateLimit-Limit": _csv(self.overall_limits), "X-RateLimit-Usage": _csv(self.overall),
                "X-ReadRateLimit-Limit": _csv(self.read_limits), "X-ReadRateLimit-Usage": _csv(self.read)}

    def state(self) -> dict:
        return {"read_limits": list(self.read_limits), "overall_limits": list(self.overall_limits),
                "read_usage": list(self.read), "overall_usage": list(self.overall)}
