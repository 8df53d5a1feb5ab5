"""StravaClient: token grants (rotation), the authorize URL, activity paging and the athlete call."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from responses import matchers

from strava.client import StravaClient, TokenGrant
from strava.errors import AppInactive, BadResponse, RateLimited
from strava.http import StravaHTTP
from strava.ratelimit import RateBudget
from strava.settings import Settings
from tests.client.support import (
    ACCESS_TOKEN,
    ACTIVITIES,
    API,
    CLIENT_SECRET,
    OAUTH,
    REFRESH_TOKEN,
    TOKEN_URL,
    rate_headers,
)

GRANT = {"token_type": "Bearer", "access_token": "AT-new-0123456789", "expires_at": 1782900000,
         "expires_in": 21600, "refresh_token": "RT-rotated-987654"}


def page_is(number: int) -> Callable[..., tuple[bool, str]]:
    return matchers.query_param_matcher({"page": str(number)}, strict_match=False)


def query(call: responses.Call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def test_refresh_sends_form_fields_and_parses_rotation(client: StravaClient,
                                                       strava_mock: responses.RequestsMock) -> None:
    strava_mock.post(TOKEN_URL, json=GRANT, match=[matchers.urlencoded_params_matcher({
        "client_id": "4242", "client_secret": CLIENT_SECRET, "grant_type": "refresh_token",
        "refresh_token": REFRESH_TOKEN})])
    grant = client.refresh_access_token(4242, CLIENT_SECRET, REFRESH_TOKEN)
    assert grant == TokenGrant(access_token="AT-new-0123456789", refresh_token="RT-rotated-987654",
                               expires_at=1782900000)
    assert "Authorization" not in strava_mock.calls[0].request.headers
    assert "RT-rotated" not in repr(grant) and "AT-new" not in repr(grant)
    assert client.api_calls == 1


def test_exchange_code_keeps_athlete_and_scope(client: StravaClient, strava_mock: responses.RequestsMock) -> None:
    body = {**GRANT, "athlete": {"id": 134815, "firstname": "John"}, "scope": "read,activity:read_all"}
    strava_mock.post(TOKEN_URL, json=body, match=[matchers.urlencoded_params_matcher({
        "client_id": "4242", "client_secret": CLIENT_SECRET, "grant_type": "authorization_code",
        "code": "c0de"})])
    grant = client.exchange_code("4242", CLIENT_SECRET, "c0de")
    assert grant.athlete == {"id": 134815, "firstname": "John"}
    assert grant.scope == "read,activity:read_all"


@pytest.mark.parametrize("body", [
    {k: v for k, v in GRANT.items() if k != "access_token"},
    {**GRANT, "refresh_token": ""},
    {**GRANT, "expires_at": "soon"},
    ["not", "an", "object"],
])
def test_token_answer_shape_is_validated(client: StravaClient, strava_mock: responses.RequestsMock,
                                         body: object) -> None:
    strava_mock.post(TOKEN_URL, json=body)
    with pytest.raises(BadResponse) as caught:
        client.refresh_access_token(1, CLIENT_SECRET, REFRESH_TOKEN)
    assert "AT-new" not in str(caught.value) and "RT-rotated" not in str(caught.value)


def test_authorize_url(client: StravaClient) -> None:
    url = client.authorize_url(4242, "http://localhost:8765/callback", state="xyz")
    assert url.startswith(f"{OAUTH}/authorize?client_id=4242&")
    assert "scope=read,activity:read_all,profile:read_all" in url
    assert parse_qs(urlsplit(url).query) == {
        "client_id": ["4242"], "redirect_uri": ["http://localhost:8765/callback"], "response_type": ["code"],
        "approval_prompt": ["force"], "scope": ["read,activity:read_all,profile:read_all"], "state": ["xyz"]}
    assert "state=" not in client.authorize_url(1, "http://localhost/cb")


def test_pages_until_an_empty_page_even_after_a_short_one(client: StravaClient,
                                                          strava_mock: responses.RequestsMock) -> None:
    pages = [[{"id": i} for i in range(200)], [{"id": 900}], [{"id": 901}, "odd item"], []]
    for number, page in enumerate(pages, start=1):
        strava_mock.get(ACTIVITIES, json=page, match=[matchers.query_param_matcher(
            {"page": str(number), "per_page": "200"})])
    got = list(client.iter_activity_pages(ACCESS_TOKEN))
    assert got == pages[:3]  # the short page 2 was not taken as the end; items pass through as-is
    assert client.api_calls == 4
    for call in strava_mock.calls:
        assert call.request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
        assert ACCESS_TOKEN not in call.request.url


def test_after_and_before_are_sent(client: StravaClient, strava_mock: responses.RequestsMock) -> None:
    strava_mock.get(ACTIVITIES, json=[])
    assert list(client.iter_activity_pages(ACCESS_TOKEN, after=1700000000, before=1800000000, per_page=50)) == []
    assert query(strava_mock.calls[0]) == {"after": ["1700000000"], "before": ["1800000000"], "page": ["1"],
                                           "per_page": ["50"]}
    with pytest.raises(ValueError):
        next(client.iter_activity_pages(ACCESS_TOKEN, per_page=201))


@pytest.mark.parametrize("body", ['{"message": "odd"}', '"a string"', "null"])
def test_a_page_that_is_not_a_list_is_bad(client: StravaClient, strava_mock: responses.RequestsMock,
                                          body: str) -> None:
    strava_mock.get(ACTIVITIES, json=[{"id": 1}], match=[page_is(1)])
    strava_mock.get(ACTIVITIES, body=body, content_type="application/json", match=[page_is(2)])
    pages = client.iter_activity_pages(ACCESS_TOKEN)
    assert next(pages) == [{"id": 1}]
    with pytest.raises(BadResponse, match="page 2"):
        next(pages)


def test_budget_stops_paging_before_the_limit(api_settings: Settings, strava_mock: responses.RequestsMock) -> None:
    client = StravaClient(api_settings, budget=RateBudget(reserve=3))
    for number, usage in ((1, "95,400"), (2, "96,401"), (3, "97,402")):
        strava_mock.get(ACTIVITIES, json=[{"id": number}], headers=rate_headers(usage),
                        match=[page_is(number)])
    received = []
    with pytest.raises(RateLimited, match="97 of 100"):
        for page in client.iter_activity_pages(ACCESS_TOKEN):
            received.extend(page)
    assert received == [{"id": 1}, {"id": 2}, {"id": 3}]  # pages before the stop were delivered
    assert client.api_calls == 3 == len(strava_mock.calls)
    assert client.budget.snapshot()["read_usage_daily"] == 402


def test_get_athlete(client: StravaClient, strava_mock: responses.RequestsMock) -> None:
    strava_mock.get(f"{API}/athlete", json={"id": 134815, "ftp": None})
    assert client.get_athlete(ACCESS_TOKEN) == {"id": 134815, "ftp": None}
    strava_mock.replace(responses.GET, f"{API}/athlete", json=[1])
    with pytest.raises(BadResponse):
        client.get_athlete(ACCESS_TOKEN)


def test_client_wiring(api_settings: Settings) -> None:
    budget = RateBudget()
    http = StravaHTTP(api_settings, budget)
    assert StravaClient(api_settings, http).budget is budget
    assert StravaClient(api_settings, budget=budget).http.budget is budget
    assert StravaClient(api_settings).budget.reserve == api_settings.rate_reserve
    with pytest.raises(ValueError):
        StravaClient(api_settings, http, RateBudget())


def test_get_activity_answers_the_detail_or_none_when_deleted(client: StravaClient,
                                                              strava_mock: responses.RequestsMock) -> None:
    strava_mock.get(f"{API}/activities/42", json={"id": 42, "name": "Moved", "resource_state": 3})
    strava_mock.get(f"{API}/activities/43", status=404,
                    json={"message": "Record Not Found", "errors": [{"resource": "Activity", "field": "id",
                                                                     "code": "not found"}]})
    strava_mock.get(f"{API}/activities/44", json=[])
    assert client.get_activity(ACCESS_TOKEN, 42) == {"id": 42, "name": "Moved", "resource_state": 3}
    assert client.get_activity(ACCESS_TOKEN, 43) is None  # deleted: an answer, not an error
    with pytest.raises(BadResponse, match="not an activity"):
        client.get_activity(ACCESS_TOKEN, 44)
    assert client.api_calls == 3  # a 404 is final: never retried


ZONES = {"heart_rate": {"custom_zones": False, "zones": [{"min": 0, "max": 123}, {"min": 123, "max": 153},
                                                         {"min": 153, "max": 169}, {"min": 169, "max": 184},
                                                         {"min": 184, "max": -1}]},
         "power": {"zones": [{"min": 0, "max": 150}, {"min": 150, "max": -1}]}}
NO_PROFILE = {"message": "Authorization Error",
              "errors": [{"resource": "AccessToken", "field": "profile:read_all_permission", "code": "missing"}]}


def test_athlete_zones_are_the_heart_rates_between_the_five_zones(client: StravaClient,
                                                                   strava_mock: responses.RequestsMock) -> None:
    strava_mock.get(f"{API}/athlete/zones", json=ZONES,
                    match=[matchers.header_matcher({"Authorization": f"Bearer {ACCESS_TOKEN}"})])
    assert client.get_athlete_zones(ACCESS_TOKEN) == (123.0, 153.0, 169.0, 184.0)
    strava_mock.replace(responses.GET, f"{API}/athlete/zones", status=401, json=NO_PROFILE)
    assert client.get_athlete_zones(ACCESS_TOKEN) is None  # the athlete did not share profile:read_all
    strava_mock.replace(responses.GET, f"{API}/athlete/zones", status=404,
                        json={"message": "Record Not Found", "errors": []})
    assert client.get_athlete_zones(ACCESS_TOKEN) is None  # no such endpoint (a Strava stand-in): no zones
    assert client.api_calls == 3  # a refusal is final: never retried


@pytest.mark.parametrize("body", [
    {"power": ZONES["power"]},  # no heart-rate zones
    {"heart_rate": {"zones": ZONES["heart_rate"]["zones"][:4]}},  # 4 zones, not 5
    {"heart_rate": {"zones": [*ZONES["heart_rate"]["zones"][:3], {"min": 150, "max": 184}, {"min": 184}]}},
    {"heart_rate": {"zones": [{"min": 0}, {"min": "123"}, {"min": 153}, {"min": 169}, {"min": 184}]}},
    {"heart_rate": []}, [ZONES],
])
def test_athlete_zones_without_five_increasing_heart_rate_zones_are_none(
        client: StravaClient, strava_mock: responses.RequestsMock, body: object) -> None:
    strava_mock.get(f"{API}/athlete/zones", json=body)
    assert client.get_athlete_zones(ACCESS_TOKEN) is None


def test_athlete_zones_pass_on_what_stops_a_run(client: StravaClient, strava_mock: responses.RequestsMock) -> None:
    strava_mock.get(f"{API}/athlete/zones", status=403,
                    json={"message": "Forbidden", "errors": [{"resource": "Application", "field": "Status",
                                                              "code": "Inactive"}]})
    with pytest.raises(AppInactive):
        client.get_athlete_zones(ACCESS_TOKEN)
    strava_mock.replace(responses.GET, f"{API}/athlete/zones", status=429, headers=rate_headers("101,500"),
                        json={"message": "Rate Limit Exceeded", "errors": []})
    with pytest.raises(RateLimited):
        client.get_athlete_zones(ACCESS_TOKEN)
