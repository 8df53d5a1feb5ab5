"""`file:PATH`: a JSON object with client_id, client_secret and refresh_token (mode 0600), and after
`webhook subscribe` also webhook_verify_token, webhook_subscription_id and athlete_id."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from strava.durable import replace_file
from strava.errors import ConfigError
from strava.secrets.base import Credentials, WebhookConfig

KEYS = ("client_id", "client_secret", "refresh_token")
WEBHOOK_KEYS = {"verify_token": "webhook_verify_token", "subscription_id": "webhook_subscription_id",
                "athlete_id": "athlete_id"}


class FileSecretStore:
    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.description = f"file:{self.path}"

    def read(self) -> Credentials:
        data = self._load()
        return Credentials(*(str(data[k]) for k in KEYS))

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"secrets file {self.path} not found: run `python -m strava auth` "
                              "or write client_id, client_secret and refresh_token to it") from None
        except (OSError, ValueError) as exc:
            raise ConfigError(f"secrets file {self.path} is unreadable: {type(exc).__name__}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"secrets file {self.path} must hold a JSON object")
        missing = [k for k in KEYS if not isinstance(data.get(k), (str, int)) or str(data[k]) == ""]
        if missing:
            raise ConfigError(f"secrets file {self.path} lacks {', '.join(missing)}")
        return data

    def save_refresh_token(self, token: str) -> None:
        """Only the token changes: every other key keeps its value and JSON type (a numeric client_id too)."""
        self._write({**self._load(), "refresh_token": token})

    def save(self, credentials: Credentials) -> None:
        """The three OAuth values; any other key already in the file (webhook values...) is kept."""
        try:
            kept = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            kept = {}
        self._write({**(kept if isinstance(kept, dict) else {}), **asdict(credentials)})

    def read_webhook(self) -> WebhookConfig:
        data = self._load()
        values = {field: data.get(key) for field, key in WEBHOOK_KEYS.items()}
        for field in ("subscription_id", "athlete_id"):
            value = values[field]
            if value is not None and (isinstance(value, bool) or not str(value).isdigit()):
                raise ConfigError(f"secrets file {self.path}: {WEBHOOK_KEYS[field]} must be a number")
            values[field] = int(value) if value is not None else None
        return WebhookConfig(str(values["verify_token"] or ""), values["subscription_id"], values["athlete_id"])

    def save_webhook(self, config: WebhookConfig) -> None:
        """Only the webhook keys change (a key whose value is None is removed); the rest stays as written."""
        data = self._load()
        for field, key in WEBHOOK_KEYS.items():
            value = getattr(config, field)
            if value is None or value == "":
                data.pop(key, None)
            else:
                data[key] = value
        self._write(data)

    def _write(self, data: dict[str, Any]) -> None:
        """Atomic rewrite: temp file (0600) in the same folder, fsync, rename."""
        try:
            replace_file(self.path, json.dumps(data, indent=2))
        except OSError as exc:
            raise ConfigError(f"could not write secrets file {self.path}: {exc.strerror}") from None
