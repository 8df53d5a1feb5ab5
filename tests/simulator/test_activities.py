"""GET /athlete/activities and /athlete: ordering, paging, filters, scopes, inactive mode."""

from __future__ import annotations

import requests

from strava.simulator.data import parse_iso
from tests.simulator.helpers import access_token, errors, list_activities, refresh


def starts(items: list[dict]) -> list[int]:
    return [parse_iso(a["start_date"]) for a in items]


def test_without_after_newest_first_in_pages_of_30(simulator) -> None:
    token = access_token(simulator)
    truth = simulator.activities
    page1 = list_activities(simulator, token).json()
    page2 = list_activities(simulator, token, page=2).json()
    assert len(page1) == 30 and starts(page1) == sorted(starts(page1), reverse=True)
    assert [a["id"] for a in page1 + page2] == [a["id"] for a in reversed(truth)][:60]


def test_with_after_oldest_first(simulator) -> None:
    token = access_token(simulator)
    truth = simulator.activities
    after = parse_iso(truth[99]["start_date"])  # strictly after: activity 99 excluded
    items = list_activities(simulator, token, after=after, per_page=50).json()
    assert [a["id"] for a in items] == [a["id"] for a in truth[100:150]]


def test_per_page_is_capped_at_200_and_past_the_end_is_empty(simulator) -> None:
    token = access_token(simulator)
    assert len(list_activities(simulator, token, per_page=500).json()) == 200
    assert len(list_activities(simulator, token, per_page=500, page=2).json()) == 100
    past = list_activities(simulator, token, per_page=200, page=3)
    assert past.status_code == 200 and past.json() == []


def test_before_filter_and_both_bounds_newest_first(simulator) -> None:
    token = access_token(simulator)
    truth = simulator.activities
    before = parse_iso(truth[40]["start_date"])
    items = list_activities(simulator, token, before=before, per_page=200).json()
    assert [a["id"] for a in items] == [a["id"] for a in reversed(truth[:40])]
    after = parse_iso(truth[9]["start_date"])
    both = list_activities(simulator, token, before=before, after=after, per_page=200).json()
    assert [a["id"] for a in both] == [a["id"] for a in reversed(truth[10:40])]  # newest first, as recorded
    paged = [list_activities(simulator, token, before=before, after=after, per_page=12, page=p).json()
             for p in (1, 2, 3, 4)]
    assert [a["id"] for page in paged for a in page] == [a["id"] for a in both] and paged[-1] == []


def test_full_listing_with_after_zero_returns_everything_once(simulator) -> None:
    token = access_token(simulator)
    seen: list[int] = []
    for page in range(1, 10):
        items = list_activities(simulator, token, after=0, per_page=200, page=page).json()
        if not items:
            break
        seen += [a["id"] for a in items]
    assert seen == [a["id"] for a in simulator.activities]


def test_bad_parameter_is_400(simulator) -> None:
    response = list_activities(simulator, access_token(simulator), page="two")
    assert response.status_code == 400 and errors(response)[0]["field"] == "page"


def test_activity_read_hides_only_me_activities(simulator) -> None:
    hidden = {a["id"] for a in simulator.activities if a["visibility"] == "only_me"}
    assert hidden
    simulator.set_scope("read,activity:read")
    token = access_token(simulator)
    ids = {a["id"] for a in list_activities(simulator, token, per_page=200).json()}
    ids |= {a["id"] for a in list_activities(simulator, token, per_page=200, page=2).json()}
    assert not ids & hidden and len(ids) == 300 - len(hidden)


def test_read_scope_alone_is_refused_with_strava_fault(simulator) -> None:
    simulator.set_scope("read")
    token = access_token(simulator)
    response = list_activities(simulator, token)
    assert response.status_code == 401
    assert errors(response) == [{"resource": "AccessToken", "field": "activity:read_permission",
                                 "code": "missing"}]
    athlete = requests.get(simulator.api_url + "/athlete", headers={"Authorization": f"Bearer {token}"},
                           timeout=5)
    assert athlete.status_code == 200  # `read` is enough for the profile


def test_missing_or_unknown_token_is_401(simulator) -> None:
    missing = requests.get(simulator.api_url + "/athlete/activities", timeout=5)
    assert missing.status_code == 401
    assert errors(missing) == [{"resource": "Athlete", "field": "access_token", "code": "invalid"}]
    assert list_activities(simulator, "made-up").status_code == 401
    in_query = requests.get(simulator.api_url + "/athlete/activities",
                            params={"access_token": access_token(simulator)}, timeout=5)
    assert in_query.status_code == 401  # the header is the only place Strava will accept


def test_inactive_app_is_403_everywhere(simulator) -> None:
    token = access_token(simulator)
    simulator.set_inactive(True)
    inactive = [{"resource": "Application", "field": "Status", "code": "Inactive"}]
    for response in (list_activities(simulator, token), refresh(simulator),
                     requests.get(simulator.api_url + "/athlete", timeout=5)):
        assert response.status_code == 403
        assert response.json() == {"message": "Forbidden", "errors": inactive}
    simulator.set_inactive(False)
    assert list_activities(simulator, token).status_code == 200


def test_athlete_profile(simulator) -> None:
    token = access_token(simulator)
    athlete = requests.get(simulator.api_url + "/athlete", headers={"Authorization": f"Bearer {token}"},
                           timeout=5).json()
    assert athlete["id"] == simulator.activities[0]["athlete"]["id"]
    assert {"firstname", "lastname", "ftp", "weight", "bikes", "shoes"} <= set(athlete)
    gear = {g["id"] for g in athlete["bikes"] + athlete["shoes"]}
    assert {a["gear_id"] for a in simulator.activities if a.get("gear_id")} <= gear


def test_unknown_path_is_404_fault(simulator) -> None:
    response = requests.get(simulator.api_url + "/nothing/here", timeout=5)
    assert response.status_code == 404 and response.json()["message"] == "Record Not Found"


def test_request_log_and_calls(simulator) -> None:
    token = access_token(simulator)
    list_activities(simulator, token, page=2, per_page=10)
    assert simulator.calls == 2
    assert simulator.request_log[-1] == ("GET", "/api/v3/athlete/activities", {"page": "2", "per_page": "10"})


def test_list_of_activities_given_directly(make_simulator) -> None:
    own = [{"id": 5, "start_date": "2024-01-02T10:00:00Z", "name": "b", "athlete": {"id": 77}},
           {"id": 3, "start_date": "2024-01-01T10:00:00Z", "name": "a", "athlete": {"id": 77}}]
    sim = make_simulator(activities=own)
    items = list_activities(sim, access_token(sim)).json()
    assert [a["id"] for a in items] == [5, 3] and sim.athlete["id"] == 77


def test_answers_are_chunked_without_content_length_as_strava_sends_them(simulator) -> None:
    token = access_token(simulator)
    answers = [list_activities(simulator, token), list_activities(simulator, "bad-token"), refresh(simulator),
               requests.get(simulator.url + "/_sim/state", timeout=5)]
    for response in answers:
        assert response.headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in response.headers
        assert response.json()  # the chunked body decodes whole
    assert len(answers[0].json()) == 30
