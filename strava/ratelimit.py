"""Client-side view of Strava's rate limits, so a run stops (never sleeps) before Strava refuses it.

Strava reports usage in headers on every response ("15min,daily"). Between responses we add the
requests sent since, so the estimate stays right even when responses carry no headers or fail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from strava.errors import RateLimited

PERIODS = ("15min", "daily")
# (scope, header prefix): "read" covers every GET we make, "overall" every request.
SCOPES = (("read", "x-readratelimit"), ("overall", "x-ratelimit"))


def period_start(moment: datetime, period: str) -> datetime:
    """Start of the window holding `moment`: quarter hours (:00/:15/:30/:45) or UTC midnight."""
    if period == "daily":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(minute=moment.minute // 15 * 15, second=0, microsecond=0)


def next_reset(moment: datetime, period: str) -> datetime:
    return period_start(moment, period) + (timedelta(days=1) if period == "daily" else timedelta(minutes=15))


def _reset_text(moment: datetime, period: str) -> str:
    reset = next_reset(moment, period)
    if period == "daily":
        return f"the daily window resets at {reset:%Y-%m-%d %H:%M} UTC"
    return f"the 15-minute window resets at {reset:%H:%M} UTC"


def _pair(text: str | None) -> tuple[int, int] | None:
    """'37,412' -> (37, 412); anything garbled -> None (ignored, never fatal)."""
    if not text:
        return None
    parts = text.split(",")
    if len(parts) != 2:
        return None
    try:
        values = (int(parts[0].strip()), int(parts[1].strip()))
    except ValueError:
        return None
    return values if min(values) >= 0 else None


@dataclass
class _Window:
    """One limit as Strava last reported it, plus the requests we sent after that report."""

    usage: int | None = None
    limit: int | None = None
    seen_at: datetime | None = None
    pending: int = 0

    def used(self) -> int | None:
        return None if self.usage is None else self.usage + self.pending

    def roll(self, now: datetime, period: str) -> None:
        # Strava zeroes the count at each window boundary; a report from an earlier window is stale.
        if self.seen_at is not None and period_start(self.seen_at, period) < period_start(now, period):
            self.usage, self.pending, self.seen_at = 0, 0, now


class RateBudget:
    """Refuses a request that would leave fewer than `reserve` requests in any window."""

    def __init__(self, reserve: int = 3, *, clock: Callable[[], datetime] | None = None) -> None:
        self.reserve = reserve
        self._clock = clock or (lambda: datetime.now(UTC))
        self._windows = {(scope, period): _Window() for scope, _ in SCOPES for period in PERIODS}

    def observe(self, headers: Mapping[str, str]) -> None:
        """Record the usage/limits a response reports; missing or garbled headers are ignored."""
        lowered = {str(k).lower(): str(v) for k, v in headers.items()}
        now = self._clock()
        for scope, prefix in SCOPES:
            limits, usages = _pair(lowered.get(f"{prefix}-limit")), _pair(lowered.get(f"{prefix}-usage"))
            for index, period in enumerate(PERIODS):
                window = self._windows[scope, period]
                if limits:
                    window.limit = limits[index]
                if usages:
                    window.usage, window.pending, window.seen_at = usages[index], 0, now

    def check(self, is_read: bool) -> None:
        """Call before each request: raises RateLimited, or counts the request as sent."""
        now = self._clock()
        scopes = ("read", "overall") if is_read else ("overall",)
        for scope in scopes:
            for period in PERIODS:
                window = self._windows[scope, period]
                window.roll(now, period)
                used = window.used()
                if window.limit is not None and used is not None and window.limit - used - 1 < self.reserve:
                    raise RateLimited(self._refusal(scope, period, used, window.limit, now), next_reset(now, period))
        for scope in scopes:
            for period in PERIODS:
                self._windows[scope, period].pending += 1

    def exceeded(self, is_read: bool) -> RateLimited:
        """The error for a 429 from Strava, naming the exhausted window when the headers tell which."""
        now = self._clock()
        scopes = ("read", "overall") if is_read else ("overall",)
        for period in ("daily", "15min"):  # a full day outranks a full quarter hour: it is the longer wait
            for scope in scopes:
                window = self._windows[scope, period]
                if window.limit is not None and window.usage is not None and window.usage >= window.limit:
                    return RateLimited(
                        f"Strava refused the request (429 Rate Limit Exceeded): {_label(scope, period)} "
                        f"{window.usage} of {window.limit} requests used; {_reset_text(now, period)}. "
                        "The next run continues where this one stopped.", next_reset(now, period)
                    )
        return RateLimited(
            f"Strava refused the request (429 Rate Limit Exceeded); {_reset_text(now, '15min')} "
            f"and {_reset_text(now, 'daily')}. The next run continues where this one stopped.",
            next_reset(now, "15min"),
        )

    def snapshot(self) -> dict[str, int | None]:
        """Last read usage/limits Strava reported (None until a response carried them)."""
        snap: dict[str, int | None] = {}
        for period in PERIODS:
            window = self._windows["read", period]
            snap[f"read_usage_{period}"] = window.usage
            snap[f"read_limit_{period}"] = window.limit
        return snap

    def _refusal(self, scope: str, period: str, used: int, limit: int, now: datetime) -> str:
        return (
            f"Stopped before Strava's {_label(scope, period)}: {used} of {limit} requests used, "
            f"{self.reserve} kept in reserve; {_reset_text(now, period)}. "
            "The next run continues where this one stopped."
        )


def _label(scope: str, period: str) -> str:
    """e.g. '15-minute read rate limit'."""
    span = "15-minute" if period == "15min" else "daily"
    return f"{span} {'read' if scope == 'read' else 'overall'} rate limit"
