"""`awssecrets:NAME`: the app's OAuth secrets in one AWS Secrets Manager secret, as one JSON object
{"client_id", "client_secret", "refresh_token"} (the AWS idiom: one secret, one JSON value).

A rotated refresh token is written with PutSecretValue (the new version becomes AWSCURRENT, the old one
AWSPREVIOUS; versions without a label are removed by Secrets Manager itself, so nothing accumulates),
then read back by its stage and compared before the caller goes on. Terraform creates the secret without
a value; `python -m strava auth` creates it when it does not exist yet. boto3 is imported lazily, and no
secret value ever appears in a message or a log line.
"""

from __future__ import annotations

import json
import logging
from contextlib import AbstractContextManager
from dataclasses import asdict
from typing import Any

from strava.aws import aws_errors, describe, error_code, make_client
from strava.errors import ConfigError
from strava.secrets.base import Credentials, WebhookConfig, webhook_from, with_webhook

log = logging.getLogger("strava.secrets.awssecrets")

KEYS = ("client_id", "client_secret", "refresh_token")
PERMISSIONS = {"read": "secretsmanager:GetSecretValue", "write": "secretsmanager:PutSecretValue",
               "create": "secretsmanager:CreateSecret"}
_NOT_FOUND = "ResourceNotFoundException"


class AwsSecretsStore:
    def __init__(self, name: str, client: Any = None) -> None:
        if not name.strip():
            raise ConfigError("STRAVA_SECRETS=awssecrets:NAME needs the secret's name or ARN")
        self.name = name
        self.description = f"awssecrets:{name}"
        self.client = client or make_client("secretsmanager")

    def _errors(self, action: str) -> AbstractContextManager[None]:
        return aws_errors(lambda exc, code: self._explain(action, exc, code),
                          f"Secrets Manager could not {action} secret {self.name}", ConfigError)

    def _explain(self, action: str, exc: Exception, code: str) -> ConfigError:
        """What AWS answered, as what to do: it names the secret and the permission, never a value."""
        if code == _NOT_FOUND:
            return ConfigError(f"secret {self.name} does not exist or has no value yet: run `terraform apply`, "
                               "then `python -m strava auth` to store the values")
        if code == "AccessDeniedException":
            return ConfigError(f"permission denied to {action} secret {self.name}: the role needs "
                               f"{PERMISSIONS[action]} on it")
        if code in ("DecryptionFailure", "EncryptionFailure", "KMSAccessDeniedException"):
            return ConfigError(f"cannot {action} secret {self.name}: the role needs kms:Decrypt and "
                               f"kms:GenerateDataKey on its KMS key ({code})")
        return ConfigError(f"Secrets Manager could not {action} secret {self.name}: {describe(exc)}")

    # --- reading -----------------------------------------------------------------------------------------

    def read(self) -> Credentials:
        data = self._current()
        missing = [k for k in KEYS if not isinstance(data.get(k), str | int) or str(data[k]).strip() == ""]
        if missing:
            raise ConfigError(f"secret {self.name} lacks {', '.join(missing)}: store the values with "
                              "`python -m strava auth`")
        return Credentials(*(str(data[k]).strip() for k in KEYS))

    def _current(self) -> dict[str, Any]:
        """The AWSCURRENT value as a JSON object."""
        with self._errors("read"):
            text = self.client.get_secret_value(SecretId=self.name)["SecretString"]
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ConfigError(f"secret {self.name} must hold a JSON object with client_id, client_secret and "
                              "refresh_token (it holds something else)")
        return data

    def read_webhook(self) -> WebhookConfig:
        return webhook_from(self._current(), f"secret {self.name}")

    # --- writing -----------------------------------------------------------------------------------------

    def save_webhook(self, config: WebhookConfig) -> None:
        """The webhook keys live in the same JSON object as the OAuth values (the AWS idiom: one secret)."""
        current = self._current()
        self._put(current, with_webhook(current, config))

    def save_refresh_token(self, token: str) -> None:
        current = self._current()  # other keys in the object are kept
        self._put(current, {**current, "refresh_token": token})

    def save(self, credentials: Credentials) -> None:
        try:
            current = self._current()
        except ConfigError:  # no value yet (or an unreadable one): `auth` writes a fresh object
            current = None
        self._put(current, {**(current or {}), **asdict(credentials)})

    def _put(self, current: dict[str, Any] | None, value: dict[str, Any]) -> None:
        """Write `value` as the new AWSCURRENT unless it is already, then read it back and compare."""
        if any(not value.get(k) for k in KEYS):
            raise ConfigError(f"refusing to store an empty value in secret {self.name}")
        if current == value:
            return
        text = json.dumps(value)
        with self._errors("write"):
            try:
                version = self.client.put_secret_value(SecretId=self.name, SecretString=text)["VersionId"]
            except Exception as exc:
                if error_code(exc) != _NOT_FOUND or current is not None:
                    raise
                version = self._create(text)
        with self._errors("read"):
            back = self.client.get_secret_value(SecretId=self.name, VersionStage="AWSCURRENT")
        if back["VersionId"] != version or back.get("SecretString") != text:
            raise ConfigError(f"secret {self.name}: the version just written did not read back as AWSCURRENT "
                              "(another writer?); the token is not trusted as saved")
        log.info("stored a new version of secret %s", self.name)

    def _create(self, text: str) -> str:
        """Onboarding only (`auth` on a name that does not exist yet): the sync itself never creates."""
        with self._errors("create"):
            return self.client.create_secret(Name=self.name, SecretString=text)["VersionId"]
