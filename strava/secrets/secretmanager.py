"""`secretmanager:PROJECT`: the app's OAuth secrets in Google Secret Manager, one secret each.

Terraform creates the three secret containers (never their values: those would sit in its state file).
Values arrive out of band (`python -m strava auth`, or gcloud). A rotated refresh token is written as a
new version only when it changed, read back, and then the versions it supersedes are destroyed: every
enabled or disabled version is billed, destroyed ones are free, and at most one stays enabled.

The REST transport is used (lighter than gRPC at cold start, and reachable by a local fake in tests).
Google libraries are imported lazily. No secret value ever appears in a message or a log line.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from strava.errors import ConfigError
from strava.gcp import emulator_endpoint, make_client
from strava.secrets.base import Credentials, WebhookConfig

if TYPE_CHECKING:
    from google.cloud import secretmanager

log = logging.getLogger("strava.secrets.secretmanager")

EMULATOR_ENV = "SECRET_MANAGER_EMULATOR_HOST"
CALL_TIMEOUT = 10.0  # seconds for one request
RETRY_SECONDS = 20.0  # total time spent retrying transient failures of one call
DEFAULT_IDS = {"client_id": "strava-client-id", "client_secret": "strava-client-secret",
               "refresh_token": "strava-refresh-token"}
ENV_IDS = {"client_id": "STRAVA_SECRET_ID_CLIENT_ID", "client_secret": "STRAVA_SECRET_ID_CLIENT_SECRET",
           "refresh_token": "STRAVA_SECRET_ID_REFRESH_TOKEN"}
WEBHOOK_ID, WEBHOOK_ENV = "strava-webhook", "STRAVA_SECRET_ID_WEBHOOK"  # one JSON: verify token, ids
ROLES = {"read": "roles/secretmanager.secretAccessor", "write": "roles/secretmanager.secretVersionManager",
         "retire": "roles/secretmanager.secretVersionManager"}
_PROJECT = re.compile(r"^[a-z0-9][a-z0-9.:-]{0,98}[a-z0-9]$")


class SecretManagerStore:
    def __init__(self, project: str, *, client_id: str | None = None, client_secret: str | None = None,
                 refresh_token: str | None = None, client: secretmanager.SecretManagerServiceClient | None = None,
                 retry_seconds: float = RETRY_SECONDS) -> None:
        from google.api_core import retry as retries
        from google.cloud import secretmanager

        args = {"client_id": client_id, "client_secret": client_secret, "refresh_token": refresh_token}
        self.project = project
        self.secret_ids = {k: args[k] or os.environ.get(ENV_IDS[k]) or DEFAULT_IDS[k] for k in DEFAULT_IDS}
        self.secret_ids["webhook"] = os.environ.get(WEBHOOK_ENV) or WEBHOOK_ID
        self.description = f"secretmanager:{project} ({', '.join(self.secret_ids[k] for k in DEFAULT_IDS)})"
        self._emulated = emulator_endpoint(EMULATOR_ENV) is not None
        self._retry = retries.Retry(predicate=retries.if_transient_error, initial=0.2, maximum=2.0,
                                    timeout=retry_seconds)
        self.client = client or make_client(secretmanager.SecretManagerServiceClient, "Secret Manager",
                                            EMULATOR_ENV, transport="rest")

    @classmethod
    def from_spec(cls, spec: str, **kwargs: Any) -> SecretManagerStore:
        if not _PROJECT.match(spec):
            raise ConfigError(f"Secret Manager project {spec!r} is not a project id "
                              "(e.g. STRAVA_SECRETS=secretmanager:my-project)")
        return cls(spec, **kwargs)

    def _call(self, method: str, **request: Any) -> Any:
        return getattr(self.client, method)(request=request, timeout=CALL_TIMEOUT, retry=self._retry)

    def _secret_name(self, key: str) -> str:
        return f"projects/{self.project}/secrets/{self.secret_ids[key]}"

    @contextmanager
    def _errors(self, action: str, key: str) -> Iterator[None]:
        """Google errors -> ConfigError saying what to do. Messages name secrets, never values."""
        from google.api_core import exceptions as gexc
        from google.auth.exceptions import GoogleAuthError

        secret = self.secret_ids[key]
        try:
            yield
        except gexc.NotFound:
            raise ConfigError(f"secret {secret} does not exist in project {self.project} (or has no enabled "
                              "version): run `terraform apply`, then `python -m strava auth` to store the "
                              "values") from None
        except gexc.Forbidden:  # 403 over REST (PermissionDenied is its gRPC-named subclass)
            raise ConfigError(f"permission denied to {action} secret {secret} in project {self.project}: the "
                              f"service account needs {ROLES[action]} on it") from None
        except (gexc.GoogleAPIError, GoogleAuthError) as exc:
            raise ConfigError(f"Secret Manager could not {action} secret {secret} in project {self.project}: "
                              f"{type(exc).__name__}: {getattr(exc, 'message', exc)}") from None
        except OSError as exc:
            raise ConfigError(f"Secret Manager could not {action} secret {secret}: cannot reach it "
                              f"({type(exc).__name__})") from None

    # --- reading -----------------------------------------------------------------------------------------

    def read(self) -> Credentials:
        return Credentials(*(self._read(key) for key in DEFAULT_IDS))

    def _read(self, key: str) -> str:
        with self._errors("read", key):
            value = self._access(f"{self._secret_name(key)}/versions/latest")
        if not value:
            raise ConfigError(f"secret {self.secret_ids[key]} in project {self.project} is empty: store the "
                              "value with `python -m strava auth`")
        return value

    def _access(self, version_name: str) -> str:
        import google_crc32c

        payload = self._call("access_secret_version", name=version_name).payload
        if payload.data_crc32c and google_crc32c.value(payload.data) != payload.data_crc32c:
            raise ConfigError(f"{version_name} arrived corrupted (CRC32C mismatch); try again")
        return payload.data.decode("utf-8").strip()  # a value pasted with a newline still works

    def _current(self, key: str) -> str | None:
        """The latest enabled value, None when the secret has none yet (a fresh container)."""
        from google.api_core.exceptions import NotFound

        try:
            return self._access(f"{self._secret_name(key)}/versions/latest")
        except NotFound:
            self._call("get_secret", name=self._secret_name(key))  # NotFound here: no container at all
            return None

    def read_webhook(self) -> WebhookConfig:
        """The webhook secret holds one JSON object; a container without a version: never subscribed."""
        with self._errors("read", "webhook"):
            text = self._current("webhook")
        try:
            data = json.loads(text) if text else {}
            return WebhookConfig(str(data.get("verify_token") or ""), _int(data.get("subscription_id")),
                                 _int(data.get("athlete_id")))
        except (ValueError, TypeError, AttributeError):
            raise ConfigError(f"secret {self.secret_ids['webhook']} in project {self.project} is not the JSON "
                              "`webhook subscribe` writes: run it again") from None

    # --- writing -----------------------------------------------------------------------------------------

    def save_refresh_token(self, token: str) -> None:
        self._save("refresh_token", token)

    def save(self, credentials: Credentials) -> None:
        for key in DEFAULT_IDS:
            self._save(key, getattr(credentials, key))

    def save_webhook(self, config: WebhookConfig) -> None:
        self._save("webhook", json.dumps(asdict(config), sort_keys=True))

    def _save(self, key: str, value: str) -> None:
        """Add a version when `value` differs from the current one, verify it, retire the older ones."""
        if not value:
            raise ConfigError(f"refusing to store an empty value in secret {self.secret_ids[key]}")
        with self._errors("read", key):
            if self._emulated:
                self._create_if_missing(key)
            if self._current(key) == value:
                return
        with self._errors("write", key):
            version = self._add_version(key, value)
            if self._access(version) != value:
                raise ConfigError(f"secret {self.secret_ids[key]}: the version just written ({version}) did "
                                  "not read back equal; the previous value stays in force")
        log.info("stored a new version of secret %s", self.secret_ids[key])
        self._retire_older(key, keep=version)

    def _add_version(self, key: str, value: str) -> str:
        import google_crc32c

        data = value.encode("utf-8")
        payload = {"data": data, "data_crc32c": google_crc32c.value(data)}
        return self._call("add_secret_version", parent=self._secret_name(key), payload=payload).name

    def _retire_older(self, key: str, keep: str) -> None:
        """Destroy superseded versions (disable them when destroying is not allowed). The new value is already
        durable, so a failure here is logged, not raised: it costs cents, not the token."""
        from google.api_core.exceptions import Forbidden, GoogleAPIError

        keep_number = keep.rsplit("/", 1)[-1]  # names carry the project number, ours the id: compare numbers
        try:
            versions = list(self._call("list_secret_versions", parent=self._secret_name(key),
                                       filter="state:ENABLED OR state:DISABLED"))
            for version in versions:
                if version.name.rsplit("/", 1)[-1] == keep_number:
                    continue
                name = f"{self._secret_name(key)}/versions/{version.name.rsplit('/', 1)[-1]}"
                try:
                    self._call("destroy_secret_version", name=name)
                except Forbidden:
                    if version.state.name == "ENABLED":
                        self._call("disable_secret_version", name=name)
        except GoogleAPIError as exc:
            log.warning("could not retire old versions of secret %s (%s: needs %s); they stay billed",
                        self.secret_ids[key], type(exc).__name__, ROLES["retire"])

    def _create_if_missing(self, key: str) -> None:
        """Emulator only: in the cloud the containers are Terraform's."""
        from google.api_core.exceptions import Conflict  # HTTP 409: AlreadyExists over REST

        try:
            self._call("create_secret", parent=f"projects/{self.project}", secret_id=self.secret_ids[key],
                       secret={"replication": {"automatic": {}}})
        except Conflict:
            pass


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
