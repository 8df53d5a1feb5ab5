"""Secret stores behind one interface; `open_secret_store` picks one from `STRAVA_SECRETS`."""

from __future__ import annotations

from strava.secrets.base import Credentials, SecretStore, WebhookConfig
from strava.settings import split_spec

__all__ = ["Credentials", "SecretStore", "WebhookConfig", "open_secret_store"]


def open_secret_store(spec: str) -> SecretStore:
    scheme, rest = split_spec(spec, "STRAVA_SECRETS", ("file", "secretmanager", "awssecrets"))
    if scheme == "file":
        from strava.secrets.file import FileSecretStore

        return FileSecretStore(rest)
    if scheme == "awssecrets":
        from strava.secrets.awssecrets import AwsSecretsStore  # boto3: lazily

        return AwsSecretsStore(rest)
    from strava.secrets.secretmanager import SecretManagerStore  # Google libraries: lazily

    return SecretManagerStore.from_spec(rest)
