"""A wrong client id or secret: Strava answers the token request 400 Application/client_id/invalid.

That is a configuration error a person must fix (kind "config"), not a bad answer from Strava.
"""

from __future__ import annotations

import json

import pytest
import responses

from strava.client import StravaClient
from strava.errors import ConfigError
from tests.client.support import CLIENT_SECRET, REFRESH_TOKEN, TOKEN_URL

# Recorded from Strava (a token request with an unknown client id).
BAD_CLIENT = {"message": "Bad Request",
              "errors": [{"resource": "Application", "field": "client_id", "code": "invalid"}]}
ADVICE = "the app's client id or secret is wrong: check them at https://www.strava.com/settings/api"


@pytest.mark.parametrize("grant", ["refresh", "code"])
def test_token_request_with_a_wrong_client_is_a_config_error(client: StravaClient, grant: str,
                                                             strava_mock: responses.RequestsMock) -> None:
    strava_mock.post(TOKEN_URL, status=400, json=BAD_CLIENT)
    with pytest.raises(ConfigError) as caught:
        if grant == "refresh":
            client.refresh_access_token(4242, CLIENT_SECRET, REFRESH_TOKEN)
        else:
            client.exchange_code(4242, CLIENT_SECRET, "c0de")
    error = caught.value
    assert error.kind == "config" and error.needs_human
    assert ADVICE in str(error) and "python -m strava auth" in str(error)
    assert CLIENT_SECRET not in str(error) and REFRESH_TOKEN not in str(error)
    assert len(strava_mock.calls) == 1  # a 4xx is not retried


@pytest.mark.sim(activities=50)
def test_sync_with_a_wrong_client_secret_fails_as_config_and_keeps_the_refresh_token(project) -> None:
    stored = json.loads(project.secrets.read_text())
    wrong = {**stored, "client_secret": "wrong-secret-7f3a"}
    project.secrets.write_text(json.dumps(wrong))
    result = project.sync()
    assert result.code == 1
    assert result.summary["status"] == "failed" and result.kind == "config"
    assert ADVICE in result.summary["error"]["message"]
    assert result.finished()["severity"] == "CRITICAL"  # a person must act: retrying cannot help
    assert project.sim.calls == 1  # the token request only, not retried
    assert json.loads(project.secrets.read_text()) == wrong  # nothing rewritten, the refresh token kept
    assert "wrong-secret-7f3a" not in result.stdout + result.stderr
    assert project.runs()[-1]["error_kind"] == "config"
