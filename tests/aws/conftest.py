"""moto in server mode, one process per test session, reached by the real boto3 clients through
AWS_ENDPOINT_URL with static test credentials (as in the contract). Each test gets its own bucket and
secret names, so tests share the server without sharing state."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import boto3
import pytest

from localservices import ServiceError, start_moto

REGION = "eu-west-1"
START_TIMEOUT = 30.0


@pytest.fixture(scope="session")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        service = start_moto(tmp_path_factory.mktemp("moto") / "moto.log", timeout=START_TIMEOUT)
    except ServiceError as error:
        pytest.fail(str(error))
    with service:
        yield service.url


@pytest.fixture
def aws_env(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The standard AWS settings pointing at moto (also set in this process for the in-process tests)."""
    env = {"AWS_ENDPOINT_URL": moto_url, "AWS_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing"}
    for name in ("AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def s3(aws_env: dict[str, str]):
    return boto3.client("s3", region_name=REGION)


@pytest.fixture
def secretsmanager(aws_env: dict[str, str]):
    return boto3.client("secretsmanager", region_name=REGION)


@pytest.fixture
def bucket(s3) -> str:
    name = f"lake-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


@pytest.fixture
def secret_name() -> str:
    return f"strava-{uuid.uuid4().hex[:12]}"
