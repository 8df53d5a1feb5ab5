"""Parse the Terraform module with python-hcl2 into lookup tables the tests can query.

Expressions stay strings such as "${var.x}" (Terraform itself cannot run here: no provider).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

ROOT = Path(__file__).resolve().parents[2]
TF_DIR = ROOT / "terraform"
AWS_DIR = TF_DIR / "aws"
VIEW_SQL_DIR = ROOT / "strava" / "analytics" / "sql" / "bigquery"

_OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)
VAR_REF = re.compile(r"\bvar\.([A-Za-z_][A-Za-z0-9_-]*)")


@dataclass
class Module:
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    data: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    other: dict[str, list[Any]] = field(default_factory=dict)  # terraform, provider blocks

    def resource(self, type_: str, name: str) -> dict[str, Any]:
        return self.resources[(type_, name)]

    def of_type(self, type_: str) -> dict[str, dict[str, Any]]:
        return {name: body for (t, name), body in self.resources.items() if t == type_}


def _add_labelled(target: dict, blocks: list[dict]) -> None:
    for block in blocks:
        for type_, named in block.items():
            for name, body in named.items():
                assert (type_, name) not in target, f"{type_}.{name} is declared twice"
                target[(type_, name)] = body


@cache
def load_module(tf_dir: Path = TF_DIR) -> Module:
    module = Module()
    for path in sorted(tf_dir.glob("*.tf")):
        with path.open(encoding="utf-8") as f:
            parsed = hcl2.load(f, serialization_options=_OPTIONS)
        _add_labelled(module.resources, parsed.pop("resource", []))
        _add_labelled(module.data, parsed.pop("data", []))
        for block in parsed.pop("variable", []):
            module.variables.update(block)
        for block in parsed.pop("output", []):
            module.outputs.update(block)
        for block in parsed.pop("locals", []):
            module.locals.update(block)
        for key, blocks in parsed.items():
            module.other.setdefault(key, []).extend(blocks)
    return module


def single(block_list: list[dict[str, Any]] | dict[str, Any]) -> dict[str, Any]:
    """A nested block that must appear exactly once (hcl2 gives nested blocks as lists)."""
    if isinstance(block_list, dict):
        return block_list
    assert len(block_list) == 1, f"expected one block, got {len(block_list)}"
    return block_list[0]


def var_refs(value: Any) -> set[str]:
    return set(VAR_REF.findall(json.dumps(value)))


def quoted_strings(expression: str) -> list[str]:
    return re.findall(r'"([^"\\]*)"', expression)
