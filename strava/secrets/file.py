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
from strava.secrets.base import Credentials, WebhookConfig, webhook_from, with_webhook

KEYS = ("client_id", "client_secret", "refresh_token")


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
        return webhook_from(self._load(), f"secrets file {self.path}")

    def save_webhook(self, config: WebhookConfig) -> None:
        """Only the webhook keys change (a key whose value is None is removed); the rest stays as written."""
        self._write(with_webhook(self._load(), config))

    def _write(self, data: dict[str, Any]) -> None:
        """Atomic rewrite: temp file (0600) in the same folder, fsync, rename."""
        try:
            replace_file(self.path, json.dumps(data, indent=2))
        except OSError as exc:
            raise ConfigError(f"could not write secrets file {self.path}: {exc.strerror}") from None
