"""The small exception hierarchy every layer raises; `kind` is what the run summary reports."""

from __future__ import annotations

from datetime import datetime


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
    """Strava answered 429, or the run's budget would cross a limit. The run ends `partial`.
    `resets_at`: when the exhausted window resets (UTC), when known: the moment a continuation may start."""

    kind = "rate_limited"

    def __init__(self, message: str, resets_at: datetime | None = None) -> None:
        super().__init__(message)
        self.resets_at = resets_at


class StravaUnavailable(StravaError):
    kind = "strava_unavailable"


class BadResponse(StravaError):
    kind = "bad_response"


class NotFound(BadResponse):
    """Strava answered 404: the object is gone (deleted) or no longer visible to this token."""


class Deauthorized(StravaError):
    """The athlete revoked this app's access (a webhook event, confirmed by a refused token refresh):
    their Strava data was deleted from the warehouse. Authorizing again (`python -m strava auth`) resumes."""

    kind = "deauthorized"
    needs_human = True


class WarehouseError(SyncError):
    kind = "warehouse"


class QueueError(SyncError):
    """The task queue could not take a continuation (transient: the next scheduled run continues)."""

    kind = "task_queue"


class MassDeleteRefused(SyncError):
    kind = "mass_delete_refused"
    needs_human = True
