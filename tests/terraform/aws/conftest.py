import pytest

from tests.terraform.hcl import AWS_DIR, Module, load_module


@pytest.fixture(scope="session")
def aws() -> Module:
    return load_module(AWS_DIR)
