"""`run_auth` end to end: the simulator's authorize page, a real local callback server, a secrets file."""

from __future__ import annotations

import io
import json
import os
import socket
import stat
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from strava.auth import resolve_app_credentials
from strava.client import StravaClient
from strava.errors import ConfigError
from strava.secrets.base import Credentials
from strava.secrets.file import FileSecretStore

PRIVATE_BOX = "View data about your private activities"


def secrets_path(settings) -> str:
    return settings.secrets.removeprefix("file:")


def assert_no_secrets(output: str, *values: str) -> None:
    for value in values:
        assert value and value not in output


def token_requests(sim) -> list:
    return [entry for entry in sim.request_log if entry[1].endswith("/oauth/token")]


def spy_on_exchanged_codes(monkeypatch) -> list[str]:
    """The authorization codes `run_auth` sends to Strava's token endpoint, in order."""
    codes: list[str] = []
    exchange = StravaClient.exchange_code

    def spy(self, client_id: str, client_secret: str, code: str):
        codes.append(code)
        return exchange(self, client_id, client_secret, code)

    monkeypatch.setattr(StravaClient, "exchange_code", spy)
    return codes


def code_from(response: requests.Response) -> str:
    """The authorization code Strava's 302 carried to the callback."""
    return parse_qs(urlsplit(response.history[0].headers["Location"]).query)["code"][0]


def test_authorizes_and_saves_a_working_refresh_token_to_the_file_store(start_auth, sim, settings):
    old_refresh = sim.secrets()["refresh_token"]
    run = start_auth()
    page = run.click()

    assert run.result() == 0
    assert page.status_code == 200 and "close this tab" in page.text
    path = secrets_path(settings)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    saved = json.loads(open(path, encoding="utf-8").read())
    assert saved["client_id"] == sim.client_id and saved["client_secret"] == sim.client_secret
    assert saved["refresh_token"] == sim.secrets()["refresh_token"] != old_refresh
    assert f"{sim.athlete['firstname']} {sim.athlete['lastname']}" in run.output
    assert "Heart-rate zones were not shared" not in run.output  # the simulator grants profile:read_all
    assert f"file:{path}" in run.output
    assert_no_secrets(run.output, sim.client_secret, saved["refresh_token"], code_from(page))
    # The saved token is the live one: a later sync can refresh with it.
    grant = StravaClient(settings).refresh_access_token(saved["client_id"], saved["client_secret"],
                                                        saved["refresh_token"])
    assert grant.access_token


def test_authorize_url_asks_for_private_activities_and_zones_with_a_fresh_state(start_auth):
    first, second = start_auth(timeout=0.3), start_auth(timeout=0.3)
    query = first.query()

    assert query["scope"] == "read,activity:read_all,profile:read_all"
    assert query["approval_prompt"] == "force" and query["response_type"] == "code"
    redirect = urlsplit(query["redirect_uri"])
    assert (redirect.scheme, redirect.hostname, redirect.path) == ("http", "127.0.0.1", "/callback")
    assert redirect.port and len(query["state"]) >= 20
    assert query["state"] != second.query()["state"]
    assert first.result() == second.result() == 1


def test_unticked_profile_still_saves_and_says_where_zones_come_from(start_auth, sim, settings):
    sim.set_authorize_scope("read,activity:read_all")  # the athlete unticked the profile box
    run = start_auth()
    run.click()

    assert run.result() == 0
    assert "Heart-rate zones were not shared (scope profile:read_all)" in run.output
    assert "STRAVA_HR_ZONES" in run.output
    assert json.loads(open(secrets_path(settings), encoding="utf-8").read())["refresh_token"] == \
        sim.secrets()["refresh_token"]


def test_unticked_private_activities_saves_nothing(start_auth, sim, settings):
    sim.set_authorize_scope("read,activity:read")
    run = start_auth()
    page = run.click()

    assert run.result() == 1
    assert f"keep '{PRIVATE_BOX}' ticked" in run.output
    assert "unticked" in page.text
    assert not token_requests(sim), "the code must not even be exchanged"
    assert not os.path.exists(secrets_path(settings))


def test_denied_access_saves_nothing(start_auth, sim, settings):
    sim.configure(deny_authorize=True)
    run = start_auth()
    page = run.click()

    assert run.result() == 1
    assert "access was denied" in run.output and "declined" in page.text
    assert not token_requests(sim)
    assert not os.path.exists(secrets_path(settings))


def test_redirect_with_a_wrong_state_is_refused_and_the_real_one_still_works(start_auth, monkeypatch):
    exchanged = spy_on_exchanged_codes(monkeypatch)
    run = start_auth()
    callback = run.query()["redirect_uri"]
    params = {"state": "forged", "code": "attacker", "scope": "read,activity:read_all"}
    forged = requests.get(callback, params=params, timeout=5)
    missing = requests.get(callback, params={"code": "attacker"}, timeout=5)
    assert forged.status_code == missing.status_code == 400
    assert not run.future.done()

    page = run.click()
    assert page.status_code == 200
    assert run.result() == 0
    assert exchanged == [code_from(page)]  # the forged code was never sent to Strava
    assert "does not match" in run.output


def test_only_a_forged_redirect_times_out_with_nothing_saved(start_auth, sim, settings):
    run = start_auth(timeout=0.5)
    forged = requests.get(run.query()["redirect_uri"], params={"state": "x" * 32, "code": "attacker",
                                                              "scope": "read,activity:read_all"}, timeout=5)
    assert forged.status_code == 400
    assert run.result() == 1
    assert not token_requests(sim)
    assert not os.path.exists(secrets_path(settings))


def test_a_silent_speculative_connection_does_not_stall_the_redirect(start_auth):
    run = start_auth()
    port = urlsplit(run.query()["redirect_uri"]).port
    with socket.create_connection(("127.0.0.1", port)):  # like a browser's preconnect: never sends a request
        # A server stalled on the silent connection would hold the click past its 5 s read timeout
        # (the handler waits 10 s for a request line), so the click itself fails.
        assert run.click().status_code == 200
        assert run.result() == 0


def test_times_out_cleanly_when_the_browser_never_comes_back(start_auth, settings):
    run = start_auth(timeout=0.3)
    assert run.result() == 1
    assert "No answer from the browser within 0.3 s" in run.output
    assert not os.path.exists(secrets_path(settings))
    with pytest.raises(requests.ConnectionError):  # the callback server is gone
        requests.get(run.query()["redirect_uri"], timeout=2)


def test_uses_the_given_port_and_reports_a_busy_one(start_auth):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run = start_auth(port=port)
    assert urlsplit(run.query()["redirect_uri"]).port == port
    run.click()
    assert run.result() == 0

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        blocked = start_auth(port=busy.getsockname()[1])
        assert blocked.result() == 1
    assert "choose another --port" in blocked.output


def test_wrong_client_secret_saves_nothing_and_is_not_printed(start_auth, sim, settings):
    run = start_auth(client_secret="not-the-secret-42")
    run.click()
    assert run.result() == 1
    assert "Nothing was saved" in run.output and "client id or secret is wrong" in run.output
    assert_no_secrets(run.output, "not-the-secret-42", sim.client_secret)
    assert not os.path.exists(secrets_path(settings))


def test_credentials_from_the_environment(start_auth, sim, monkeypatch):
    monkeypatch.setenv("STRAVA_CLIENT_ID", sim.client_id)
    monkeypatch.setenv("STRAVA_CLIENT_SECRET", sim.client_secret)
    run = start_auth(client_id=None, client_secret=None)
    run.click()
    assert run.result() == 0
    assert_no_secrets(run.output, sim.client_secret)


def test_reauthorizing_reuses_the_stored_app_credentials(start_auth, sim, settings):
    store = FileSecretStore(secrets_path(settings))
    store.save(Credentials(**sim.secrets()))
    run = start_auth(client_id=None, client_secret=None)
    run.click()
    assert run.result() == 0
    assert store.read() == Credentials(sim.client_id, sim.client_secret, sim.secrets()["refresh_token"])


def test_missing_credentials_stop_before_the_browser(start_auth, sim, settings):
    run = start_auth(client_id=None, client_secret=None)
    assert run.result() == 1
    assert "client ID and secret are needed" in run.output and "/authorize" not in run.output


def test_opens_the_browser_when_there_is_one(start_auth, monkeypatch):
    opened: list[str] = []

    def browser(url: str) -> bool:
        opened.append(url)
        threading.Thread(target=requests.get, args=(url,), kwargs={"timeout": 5}, daemon=True).start()
        return True

    monkeypatch.setattr("webbrowser.open", browser)
    monkeypatch.setenv("BROWSER", "firefox")
    run = start_auth(open_browser=True)
    assert run.result() == 0
    assert opened == [run.url()]
    assert "ssh -L" not in run.output  # the tip is for headless machines only


def test_no_browser_flag_and_headless_machines_only_print_the_url(start_auth, monkeypatch):
    monkeypatch.setenv("DISPLAY", ":0")  # the autouse fixture's webbrowser.open would fail the run
    run = start_auth(open_browser=False)
    run.click()
    assert run.result() == 0
    assert "ssh -L" in run.output


# --- resolving the app's credentials, without a browser round trip ----------------------------------

class Store:
    description = "memory"

    def __init__(self, credentials: Credentials | None) -> None:
        self.credentials = credentials

    def read(self) -> Credentials:
        if self.credentials is None:
            raise ConfigError("nothing stored")
        return self.credentials


STORED = Credentials("111", "stored-secret", "stored-refresh")


@pytest.fixture
def terminal(monkeypatch):
    """An interactive terminal: records prompts; the answers are popped from the lists."""
    asked: dict[str, list] = {"input": [], "getpass": []}

    def answer(kind: str, answers: list[str]):
        def ask(prompt: str = "") -> str:
            asked[kind].append(prompt)
            return answers.pop(0)
        return ask

    def setup(ids: list[str], secrets: list[str]) -> dict[str, list]:
        monkeypatch.setattr("strava.auth._interactive", lambda: True)
        monkeypatch.setattr("builtins.input", answer("input", ids))
        monkeypatch.setattr("getpass.getpass", answer("getpass", secrets))
        return asked

    return setup


def test_prompts_read_the_secret_without_echo(terminal):
    asked = terminal(["222"], ["typed-secret"])
    assert resolve_app_credentials(None, None, Store(None), io.StringIO()) == ("222", "typed-secret")
    assert asked["input"] == ["Strava client ID: "]
    assert asked["getpass"] == ["Strava client secret: "]


def test_enter_keeps_the_stored_values(terminal):
    asked = terminal([""], [""])
    assert resolve_app_credentials(None, None, Store(STORED), io.StringIO()) == ("111", "stored-secret")
    assert asked["input"] == ["Strava client ID [111]: "]
    assert "keeps the stored one" in asked["getpass"][0]


def test_a_stored_secret_is_never_paired_with_another_client_id(terminal):
    with pytest.raises(ConfigError, match="client ID and secret are needed"):
        resolve_app_credentials("999", None, Store(STORED), io.StringIO())  # not interactive
    asked = terminal(["333"], [""])
    with pytest.raises(ConfigError):
        resolve_app_credentials(None, None, Store(STORED), io.StringIO())
    assert "keeps the stored one" not in asked["getpass"][0]


def test_arguments_win_and_the_store_is_not_read(monkeypatch):
    monkeypatch.setenv("STRAVA_CLIENT_ID", "env-id")
    monkeypatch.setenv("STRAVA_CLIENT_SECRET", "env-secret")
    store = Store(None)
    store.read = lambda: pytest.fail("store read although nothing was missing")
    assert resolve_app_credentials(" 444 ", None, store, io.StringIO()) == ("444", "env-secret")

