"""What every secret store offers: read the app's OAuth secrets, save a rotated refresh token."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


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
