"""Token refresh, rotation, the authorize redirect and the code exchange, over loopback HTTP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from strava.simulator import StravaSimulator
from tests.simulator.helpers import FakeClock, errors, list_activities, refresh

DEAD = [{"resource": "RefreshToken", "field": "refresh_token", "code": "invalid"}]
# Recorded from Strava for a token request with a wrong client id.
BAD_CLIENT = {"message": "Bad Request",
              "errors": [{"resource": "Application", "field": "client_id", "code": "invalid"}]}


def test_refresh_without_rotation_returns_the_same_refresh_token(simulator) -> None:
    first = refresh(simulator)
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"token_type", "access_token", "expires_at", "expires_in", "refresh_token"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 6 * 3600
    assert body["refresh_token"] == "sim-refresh-0"
    second = refresh(simulator).json()
    assert second["refresh_token"] == "sim-refresh-0"
    assert second["access_token"] == body["access_token"]  # more than 1 h left: same token back


def test_rotation_issues_a_new_refresh_token_and_kills_the_old_one(make_simulator) -> None:
    sim = make_simulator(activities=5, rotate=True)
    old = sim.secrets()["refresh_token"]
    new = refresh(sim).json()["refresh_token"]
    assert new != old and sim.secrets()["refresh_token"] == new
    dead = refresh(sim, old)
    assert dead.status_code == 400
    assert dead.json() == {"message": "Bad Request", "errors": DEAD}
    assert refresh(sim, new).status_code == 200


def test_rotation_can_be_switched_on_at_runtime(simulator) -> None:
    simulator.set_rotation(True)
    new = refresh(simulator).json()["refresh_token"]
    assert new != "sim-refresh-0" and refresh(simulator, "sim-refresh-0").status_code == 400


@pytest.mark.parametrize("wrong", [{"client_id": "99999"}, {"client_secret": "nope"}, {"client_id": ""}])
def test_wrong_client_id_or_secret_is_400_application_client_id(simulator, wrong: dict[str, str]) -> None:
    response = refresh(simulator, **wrong)
    assert response.status_code == 400  # as recorded from Strava, not 401
    assert response.json() == BAD_CLIENT
    assert simulator.secrets()["refresh_token"] == "sim-refresh-0"  # the refresh token is untouched


def test_token_endpoint_also_under_api_v3(simulator) -> None:
    form = {**simulator.secrets(), "grant_type": "refresh_token"}
    assert requests.post(simulator.api_url + "/oauth/token", data=form, timeout=5).status_code == 200


def test_revoked_refresh_token_is_dead(simulator) -> None:
    simulator.revoke_refresh_token()
    response = refresh(simulator)
    assert response.status_code == 400 and errors(response) == DEAD


def test_access_token_expires_after_six_hours_and_a_refresh_renews_it(make_simulator) -> None:
    clock = FakeClock()
    sim = make_simulator(activities=5, clock=clock)
    token = refresh(sim).json()["access_token"]
    clock.now += 5 * 3600 + 1  # under 1 h left: a new access token comes back
    renewed = refresh(sim).json()["access_token"]
    assert renewed != token
    clock.now += 3600
    expired = list_activities(sim, token)
    assert expired.status_code == 401
    assert errors(expired) == [{"resource": "Athlete", "field": "access_token", "code": "invalid"}]
    assert list_activities(sim, renewed).status_code == 200


def authorize(sim, **params: str) -> requests.Response:
    query = {"client_id": sim.client_id, "redirect_uri": "http://127.0.0.1:9/callback",
             "response_type": "code", "scope": "read,activity:read_all", "state": "xyz",
             "approval_prompt": "force"} | params
    return requests.get(sim.oauth_url + "/authorize", params=query, allow_redirects=False, timeout=5)


def exchange(sim, code: str) -> requests.Response:
    form = {"client_id": sim.client_id, "client_secret": sim.client_secret, "code": code,
            "grant_type": "authorization_code"}
    return requests.post(sim.oauth_url + "/token", data=form, timeout=5)


def redirect_params(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "http://127.0.0.1:9/callback"
    return {k: v[0] for k, v in parse_qs(location.query, keep_blank_values=True).items()}


def test_authorize_redirects_with_code_scope_and_state_and_the_code_works_once(simulator) -> None:
    params = redirect_params(authorize(simulator))
    assert params["state"] == "xyz" and params["scope"] == "read,activity:read_all"
    first = exchange(simulator, params["code"])
    assert first.status_code == 200
    body = first.json()
    assert body["athlete"]["id"] == simulator.athlete["id"]
    assert body["refresh_token"] == simulator.secrets()["refresh_token"]
    assert list_activities(simulator, body["access_token"]).status_code == 200
    again = exchange(simulator, params["code"])
    assert again.status_code == 400 and errors(again)[0]["field"] == "code"


def test_athlete_unticking_activity_scope_gives_a_read_only_token(simulator) -> None:
    simulator.set_authorize_scope("read")
    params = redirect_params(authorize(simulator))
    assert params["scope"] == "read"
    token = exchange(simulator, params["code"]).json()["access_token"]
    response = list_activities(simulator, token)
    assert response.status_code == 401
    assert response.json() == {"message": "Authorization Error", "errors": [
        {"resource": "AccessToken", "field": "activity:read_permission", "code": "missing"}]}


def test_authorize_denied_and_bad_client(simulator) -> None:
    simulator.configure(deny_authorize=True)
    assert redirect_params(authorize(simulator))["error"] == "access_denied"
    assert authorize(simulator, client_id="999").status_code == 400


def test_authorize_page_does_not_count_toward_rate_limits(simulator) -> None:
    authorize(simulator)
    assert simulator.state()["rate"]["overall_usage"] == [0, 0]


class Recording(StravaSimulator):
    """Overrides the `_token_answer(reuse)` hook as tests/reliability/harness.py does."""

    def __init__(self) -> None:
        super().__init__(activities=3)
        self.answers: list[tuple[bool, dict]] = []

    def _token_answer(self, reuse: bool) -> dict:
        answer = super()._token_answer(reuse) | {"recorded": True}
        self.answers.append((reuse, answer))
        return answer


def test_every_grant_goes_through_the_token_answer_hook() -> None:
    with Recording() as sim:
        refreshed = refresh(sim).json()
        exchanged = exchange(sim, redirect_params(authorize(sim))["code"]).json()
    assert refreshed["recorded"] and exchanged["recorded"] and "athlete" in exchanged
    assert [(reuse, answer["access_token"]) for reuse, answer in sim.answers] == [
        (True, refreshed["access_token"]), (False, exchanged["access_token"])]
