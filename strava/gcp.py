"""Helpers shared by the Google Cloud adapters (no Google imports here: callers import lazily).

Emulators are reached through an environment variable naming `host:port` or a URL, the convention
of the Google emulators (BIGQUERY_EMULATOR_HOST, SECRET_MANAGER_EMULATOR_HOST...). When it is set the
adapters use anonymous credentials and that endpoint; when not, Application Default Credentials.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from strava.errors import ConfigError


def emulator_endpoint(variable: str, env: Mapping[str, str] | None = None) -> str | None:
    """`http://host:port` from `variable` (`host:port` or a URL), None when it is unset or empty."""
    value = (os.environ if env is None else env).get(variable, "").strip().rstrip("/")
    if not value:
        return None
    if "://" not in value:
        value = f"http://{value}"
    if not value.startswith(("http://", "https://")) or value.endswith("://"):
        raise ConfigError(f"{variable}={value!r} is not host:port or an http(s) URL")
    return value


def make_client(factory: Callable[..., Any], service: str, variable: str, **kwargs: Any) -> Any:
    """Create a Google client (pointed at the emulator named by `variable` when it is set), turning
    missing credentials into an actionable ConfigError instead of a stack trace."""
    from google.auth.exceptions import DefaultCredentialsError

    try:
        return factory(**kwargs, **client_kwargs(variable))
    except DefaultCredentialsError:
        raise ConfigError(
            f"no Google credentials for {service}: in Cloud Functions give the function its service account "
            "(terraform/); on a laptop run `gcloud auth application-default login`") from None


def client_kwargs(variable: str) -> dict[str, Any]:
    """Keyword arguments that point a Google client at the emulator named by `variable`, if any."""
    endpoint = emulator_endpoint(variable)
    if endpoint is None:
        return {}
    from google.auth.credentials import AnonymousCredentials

    return {"credentials": AnonymousCredentials(), "client_options": {"api_endpoint": endpoint}}
