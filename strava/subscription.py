"""`python -m strava webhook subscribe|status|unsubscribe`: the app's one Strava push subscription.

The verify token and the athlete id are stored *before* Strava is asked to subscribe, because Strava
checks the callback (the webhook function reads them from the same store) before it answers. The
subscription id is stored after. Strava allows one subscription per app: "already exists" for our own
callback URL is adopted, for another URL it is an error that says what to do.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from strava.client import StravaClient
from strava.errors import BadResponse, ConfigError
from strava.secrets import SecretStore, WebhookConfig
from strava.settings import Settings


def subscribe(settings: Settings, store: SecretStore, client: StravaClient, callback_url: str) -> dict[str, Any]:
    from strava.sync import athlete_access_token

    if not callback_url.startswith(("https://", "http://")):
        raise ConfigError(f"--callback-url {callback_url!r} is not an http(s) URL")
    creds = store.read()
    config = store.read_webhook()
    athlete_id = client.get_athlete(athlete_access_token(settings, client, store))["id"]
    config = replace(config, verify_token=config.verify_token or secrets.token_urlsafe(32), athlete_id=athlete_id)
    store.save_webhook(config)
    existing = client.push_subscriptions(creds.client_id, creds.client_secret)
    if existing:
        sub = existing[0]
        if sub.get("callback_url") != callback_url:
            raise ConfigError(f"this Strava app already has a subscription ({sub.get('id')}) for "
                              f"{sub.get('callback_url')}: run `python -m strava webhook unsubscribe` first")
        subscription_id, created = int(sub["id"]), False
    else:
        try:
            subscription_id = client.create_push_subscription(creds.client_id, creds.client_secret, callback_url,
                                                              config.verify_token)
        except BadResponse as exc:
            raise ConfigError(f"Strava refused the subscription ({exc}). Strava checks the callback first: "
                              f"{callback_url} must answer GET within 2 s with the stored verify token "
                              f"({store.description})") from None
        created = True
    store.save_webhook(replace(config, subscription_id=subscription_id))
    return {"subscription_id": subscription_id, "created": created, "callback_url": callback_url,
            "athlete_id": athlete_id, "store": store.description}


def status(store: SecretStore, client: StravaClient) -> dict[str, Any]:
    creds, config = store.read(), store.read_webhook()
    return {"strava": client.push_subscriptions(creds.client_id, creds.client_secret), "stored": _shown(config),
            "store": store.description}


def unsubscribe(store: SecretStore, client: StravaClient) -> dict[str, Any]:
    creds, config = store.read(), store.read_webhook()
    ids = [int(s["id"]) for s in client.push_subscriptions(creds.client_id, creds.client_secret)]
    for subscription_id in ids:
        client.delete_push_subscription(creds.client_id, creds.client_secret, subscription_id)
    store.save_webhook(replace(config, subscription_id=None))
    return {"deleted": ids, "store": store.description}


def _shown(config: WebhookConfig) -> dict[str, Any]:
    """Never the token itself."""
    return {"subscription_id": config.subscription_id, "athlete_id": config.athlete_id,
            "verify_token": "set" if config.verify_token else "missing"}
