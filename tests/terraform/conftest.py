import pytest

from tests.terraform.hcl import Module, load_module


@pytest.fixture(scope="session")
def tf() -> Module:
    return load_module()
