"""What every secret store offers: read the app's OAuth secrets, save a rotated refresh token."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from strava.errors import ConfigError

# Where the webhook's values live in a store that keeps one JSON object (the secrets file, the AWS secret).
WEBHOOK_KEYS = {"verify_token": "webhook_verify_token", "subscription_id": "webhook_subscription_id",
                "athlete_id": "athlete_id"}


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)


@dataclass(frozen=True)
class WebhookConfig:
    """What `webhook subscribe` stores and the webhook function checks every request against."""

    verify_token: str = field(default="", repr=False)
    subscription_id: int | None = None
    athlete_id: int | None = None


def webhook_from(data: dict[str, Any], where: str) -> WebhookConfig:
    """The webhook values of a JSON object store; ConfigError naming `where` for a malformed id."""
    values = {name: data.get(key) for name, key in WEBHOOK_KEYS.items()}
    for name in ("subscription_id", "athlete_id"):
        value = values[name]
        if value is not None and (isinstance(value, bool) or not str(value).isdigit()):
            raise ConfigError(f"{where}: {WEBHOOK_KEYS[name]} must be a number")
        values[name] = int(value) if value is not None else None
    return WebhookConfig(str(values["verify_token"] or ""), values["subscription_id"], values["athlete_id"])


def with_webhook(data: dict[str, Any], config: WebhookConfig) -> dict[str, Any]:
    """`data` with the webhook keys set from `config` (None or "" removes a key); the rest as written."""
    out = dict(data)
    for name, key in WEBHOOK_KEYS.items():
        value = getattr(config, name)
        if value is None or value == "":
            out.pop(key, None)
        else:
            out[key] = value
    return out


class SecretStore(Protocol):
    description: str  # where the secrets live, safe to print (never a value)

    def read(self) -> Credentials:
        """Read all three secrets. Raises ConfigError when they are missing or unreadable."""

    def save_refresh_token(self, token: str) -> None:
        """Persist a rotated refresh token durably before returning. Raises ConfigError."""

    def save(self, credentials: Credentials) -> None:
        """Write all three (onboarding). Raises ConfigError."""

    def read_webhook(self) -> WebhookConfig:
        """The webhook subscription's values; empty ones when never subscribed. Raises ConfigError."""

    def save_webhook(self, config: WebhookConfig) -> None:
        """Persist the webhook subscription's values (the OAuth ones stay as they are). Raises ConfigError."""
