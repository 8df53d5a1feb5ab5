"""Rate-limit headers, 429 at the limit and window resets, driven by a fake clock."""

from __future__ import annotations

import requests

from tests.simulator.helpers import FakeClock, access_token, list_activities, refresh

RATE_LIMITED = {"message": "Rate Limit Exceeded",
                "errors": [{"resource": "Application", "field": "rate limit", "code": "exceeded"}]}


def usage(response) -> tuple[str, str]:
    return response.headers["X-RateLimit-Usage"], response.headers["X-ReadRateLimit-Usage"]


def test_api_responses_carry_the_headers_errors_included_token_answers_none(make_simulator) -> None:
    sim = make_simulator(activities=5, read_limits=(10, 50), overall_limits=(20, 100), clock=FakeClock())
    token = refresh(sim)
    assert not [name for name in token.headers if "ratelimit" in name.lower()]  # as Strava's token answers
    listed = list_activities(sim, token.json()["access_token"])
    assert listed.headers["X-RateLimit-Limit"] == "20,100"
    assert listed.headers["X-ReadRateLimit-Limit"] == "10,50"
    assert usage(listed) == ("2,2", "1,1")  # the token POST counted overall only
    refused = list_activities(sim, "bad-token")
    assert refused.status_code == 401 and usage(refused) == ("3,3", "2,2")


def test_429_at_the_read_limit_until_the_quarter_hour_then_daily_keeps_counting(make_simulator) -> None:
    clock = FakeClock()  # exactly at :30
    sim = make_simulator(activities=5, read_limits=(3, 10), clock=clock)
    token = access_token(sim)
    for _ in range(3):
        assert list_activities(sim, token).status_code == 200
    clock.now += 899  # still the same window
    over = list_activities(sim, token)
    assert over.status_code == 429 and over.json() == RATE_LIMITED
    assert usage(over)[1] == "3,4"  # refused: counts for the day only
    clock.now += 1  # :45, a new window
    again = list_activities(sim, token)
    assert again.status_code == 200 and usage(again)[1] == "1,5"


def test_daily_limit_resets_at_midnight_utc(make_simulator) -> None:
    clock = FakeClock()
    sim = make_simulator(activities=5, read_limits=(100, 2), clock=clock)
    token = access_token(sim)
    list_activities(sim, token)
    list_activities(sim, token)
    clock.now += 1800
    assert list_activities(sim, token).status_code == 429
    clock.now = (clock.now // 86400 + 1) * 86400  # 00:00 UTC
    assert list_activities(sim, token).status_code == 200


def test_overall_limit_counts_token_requests_too(make_simulator) -> None:
    sim = make_simulator(activities=5, overall_limits=(2, 100), clock=FakeClock())
    token = access_token(sim)
    assert list_activities(sim, token).status_code == 200
    assert refresh(sim).status_code == 429


def test_set_usage_near_the_limit(make_simulator) -> None:
    sim = make_simulator(activities=5, clock=FakeClock())
    token = access_token(sim)
    sim.set_usage(99, 500)
    assert list_activities(sim, token).status_code == 200
    assert list_activities(sim, token).status_code == 429


def test_control_endpoints_do_not_count(simulator) -> None:
    for _ in range(3):
        requests.get(simulator.url + "/_sim/state", timeout=5)
    assert simulator.state()["rate"]["overall_usage"] == [0, 0] and simulator.calls == 0
