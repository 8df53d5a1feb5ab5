"""Helpers shared by the AWS adapters (no boto3 import at module level: callers reach it lazily).

Clients follow the standard AWS settings: the default credential chain, `AWS_REGION` (what Lambda sets;
botocore itself reads only AWS_DEFAULT_REGION) and `AWS_ENDPOINT_URL` (read by botocore, e.g. moto in tests).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from strava.errors import ConfigError, SyncError

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0


def make_client(service: str) -> Any:
    """A boto3 client with bounded timeouts and the SDK's standard retry mode (transient errors, throttling)."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    config = Config(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT,
                    retries={"mode": "standard", "max_attempts": 5})
    try:
        return boto3.session.Session().client(service, region_name=os.environ.get("AWS_REGION") or None,
                                              config=config)
    except BotoCoreError as exc:  # NoRegionError, a malformed endpoint URL...
        raise ConfigError(f"cannot create an AWS {service} client: {exc} (set AWS_REGION)") from None


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError ("AccessDeniedException", "PreconditionFailed"...), else ""."""
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def describe(exc: BaseException) -> str:
    """A one-line reason safe to show: AWS error messages never carry a request's payload."""
    code = error_code(exc)
    if code:
        message = exc.response.get("Error", {}).get("Message", "")  # type: ignore[attr-defined]
        return f"{code}: {message}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"


@contextmanager
def aws_errors(explain: Callable[[Exception, str], SyncError], what: str,
               failure: type[SyncError]) -> Iterator[None]:
    """AWS failures -> our errors: an error AWS answered -> `explain(exc, code)`; no credentials -> ConfigError;
    any other botocore failure (unreachable endpoint, timeout) -> `failure("what: ...")`."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        yield
    except ClientError as exc:
        raise explain(exc, error_code(exc)) from None
    except NoCredentialsError:
        raise ConfigError("no AWS credentials: in Lambda give the function its role (terraform/aws); "
                          "on a laptop run `aws configure` or set AWS_PROFILE") from None
    except BotoCoreError as exc:
        raise failure(f"{what}: {type(exc).__name__}: {exc}") from None
