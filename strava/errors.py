"""The small exception hierarchy every layer raises; `kind` is what the run summary reports."""

from __future__ import annotations


class SyncError(Exception):
    """Base class. `kind` is stable (it appears in summaries, logs and `sync_runs`)."""

    kind = "error"
    needs_human = False  # True when retrying cannot help: a person must act (logged CRITICAL)


class ConfigError(SyncError):
    kind = "config"
    needs_human = True


class StravaError(SyncError):
    """Anything Strava answered (or failed to answer) that stops the listing."""


class RefreshTokenInvalid(StravaError):
    kind = "refresh_token_invalid"
    needs_human = True


class MissingScope(StravaError):
    kind = "missing_scope"
    needs_human = True


class AppInactive(StravaError):
    kind = "app_inactive"
    needs_human = True


class RateLimited(StravaError):
    """Strava answered 429, or the run's budget would cross a limit. The run ends `partial`."""

    kind = "rate_limited"


class StravaUnavailable(StravaError):
    kind = "strava_unavailable"


class BadResponse(StravaError):
    kind = "bad_response"


class NotFound(BadResponse):
    """404: the object is gone or has nothing to show (e.g. a manual activity's streams)."""

    kind = "not_found"


class WarehouseError(SyncError):
    kind = "warehouse"


class MassDeleteRefused(SyncError):
    kind = "mass_delete_refused"
    needs_human = True
