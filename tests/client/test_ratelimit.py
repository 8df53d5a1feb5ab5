"""RateBudget: refuses before a window runs out, counts requests between responses, never sleeps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from strava.errors import RateLimited
from strava.ratelimit import RateBudget
from tests.client.support import rate_headers


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.now = moment

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 7, 1, 10, 7, 12, tzinfo=UTC))


def test_allows_everything_before_any_header(clock: Clock) -> None:
    budget = RateBudget(reserve=3, clock=clock)
    for _ in range(5000):
        budget.check(is_read=True)
    assert budget.snapshot() == {"read_usage_15min": None, "read_limit_15min": None,
                                 "read_usage_daily": None, "read_limit_daily": None}


def test_refuses_when_the_next_request_would_eat_into_the_reserve(clock: Clock) -> None:
    budget = RateBudget(reserve=3, clock=clock)
    budget.observe(rate_headers("96,412"))
    budget.check(is_read=True)  # 96 used + 1 leaves 3: allowed
    budget.observe(rate_headers("97,413"))
    with pytest.raises(RateLimited) as caught:
        budget.check(is_read=True)
    message = str(caught.value)
    assert "15-minute read rate limit" in message
    assert "97 of 100" in message
    assert "10:15 UTC" in message  # 10:07 -> next quarter hour
    assert "next run continues" in message


def test_daily_window_names_utc_midnight(clock: Clock) -> None:
    budget = RateBudget(reserve=3, clock=clock)
    budget.observe(rate_headers("10,997"))
    with pytest.raises(RateLimited, match=r"daily read rate limit: 997 of 1000.*2026-07-02 00:00 UTC"):
        budget.check(is_read=True)


def test_requests_sent_since_the_last_response_are_counted(clock: Clock) -> None:
    budget = RateBudget(reserve=3, clock=clock)
    budget.observe(rate_headers("90,400"))
    for _ in range(7):  # 90..96 used before each: each leaves >= 3
        budget.check(is_read=True)
    with pytest.raises(RateLimited, match="97 of 100"):
        budget.check(is_read=True)
    budget.observe(rate_headers("50,420"))  # a fresh report replaces the estimate
    budget.check(is_read=True)


def test_writes_use_the_overall_limit_only(clock: Clock) -> None:
    budget = RateBudget(reserve=3, clock=clock)
    budget.observe(rate_headers("100,500", usage="150,600"))
    budget.check(is_read=False)  # read window full, overall has room: a POST may go
    with pytest.raises(RateLimited):
        budget.check(is_read=True)
    budget.observe(rate_headers("10,500", usage="197,600"))
    with pytest.raises(RateLimited, match="15-minute overall rate limit: 197 of 200"):
        budget.check(is_read=False)


def test_usage_from_a_past_window_is_stale(clock: Clock) -> None:
    budget = RateBudget(reserve=3, clock=clock)
    budget.observe(rate_headers("99,412"))
    clock.now = datetime(2026, 7, 1, 10, 15, 1, tzinfo=UTC)
    budget.check(is_read=True)  # Strava zeroed the quarter hour at 10:15
    budget.observe(rate_headers("10,999"))
    clock.now = datetime(2026, 7, 2, 0, 0, 5, tzinfo=UTC)
    budget.check(is_read=True)  # and the day at midnight UTC


@pytest.mark.parametrize("headers", [
    {},
    {"X-ReadRateLimit-Usage": "garbage", "X-ReadRateLimit-Limit": "100"},
    {"X-ReadRateLimit-Usage": "1,2,3", "X-ReadRateLimit-Limit": "-1,1000"},
    {"X-ReadRateLimit-Usage": "", "X-RateLimit-Limit": "a,b"},
])
def test_garbled_headers_are_ignored(clock: Clock, headers: dict[str, str]) -> None:
    budget = RateBudget(reserve=3, clock=clock)
    budget.observe(headers)
    budget.check(is_read=True)
    assert set(budget.snapshot().values()) == {None}


def test_snapshot_reports_last_seen_read_usage_case_insensitively(clock: Clock) -> None:
    budget = RateBudget(clock=clock)
    budget.observe({"x-readratelimit-usage": "37,412", "X-READRATELIMIT-LIMIT": "100,1000"})
    budget.check(is_read=True)  # pending requests are not "seen" usage
    assert budget.snapshot() == {"read_usage_15min": 37, "read_limit_15min": 100,
                                 "read_usage_daily": 412, "read_limit_daily": 1000}


def test_exceeded_names_the_full_window(clock: Clock) -> None:
    budget = RateBudget(clock=clock)
    budget.observe(rate_headers("40,1000"))
    assert "daily read rate limit 1000 of 1000" in str(budget.exceeded(is_read=True))
    fresh = RateBudget(clock=clock)
    message = str(fresh.exceeded(is_read=True))
    assert "10:15 UTC" in message and "2026-07-02 00:00 UTC" in message
