"""Check a Terraform directory against provider schemas (see provider_schema.py) without a provider binary.

Every resource and data type must exist; every argument and nested block (dynamic ones included) must be
known to its block; required arguments and blocks must be present; `type.name.attr` references must
name a declared resource and an attribute, argument or block it has. Returns readable error lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

_OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=True, with_comments=False)
IS_BLOCK = "__is_block__"
META_ARGUMENTS = {"count", "for_each", "depends_on", "provider"}
META_BLOCKS = {"lifecycle", "provisioner", "connection"}
REFERENCE = re.compile(
    r"(?<![\w.])(data\.)?((?:google|time|archive|aws)_[a-z0-9_]+)\.([A-Za-z_][\w-]*)"  # [data.]type.name
    r"(?:\[[^\]]*\])?(?:\.([a-z_]\w*))?(?:\[[^\]]*\])?(?:\.([a-z_]\w*))?")  # [key].attr[i].nested


@cache
def load_schema(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _is_block(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) and v.get(IS_BLOCK) for v in value)


def check_block(body: dict[str, Any], schema: dict[str, Any], where: str, top: bool = False) -> list[str]:
    if schema.get("unchecked"):
        return []
    errors: list[str] = []
    present: set[str] = set()
    for key, value in body.items():
        if key == IS_BLOCK or (top and key in META_ARGUMENTS | META_BLOCKS):
            continue
        if key == "dynamic":
            for dynamic in value:
                for name, spec in dynamic.items():
                    if name == IS_BLOCK:
                        continue
                    present.add(name)
                    if name not in schema["blocks"]:
                        errors.append(f"{where}: unknown dynamic block `{name}`")
                        continue
                    for content in spec.get("content", []):
                        errors += check_block(content, schema["blocks"][name]["block"], f"{where}.{name}")
            continue
        present.add(key)
        if key in schema["blocks"]:
            if not _is_block(value):
                errors.append(f"{where}: `{key}` is a block, not an argument")
                continue
            for item in value:
                errors += check_block(item, schema["blocks"][key]["block"], f"{where}.{key}")
        elif key in schema["args"]:
            if _is_block(value):
                errors.append(f"{where}: `{key}` is an argument (`{key} = ...`), not a block")
        elif key in schema["attrs"]:
            errors.append(f"{where}: `{key}` is computed by the provider and cannot be set")
        else:
            errors.append(f"{where}: unknown argument or block `{key}`")
    missing = [a for a, required in schema["args"].items() if required and a not in present]
    missing += [b for b, spec in schema["blocks"].items() if spec["required"] and b not in present]
    errors += [f"{where}: required `{name}` is missing" for name in sorted(missing)]
    return errors


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _iterators(value: Any) -> Iterator[str]:
    """Names a dynamic block's content refers to itself by (`time_partitioning.value` is no resource)."""
    if isinstance(value, dict):
        for key, v in value.items():
            if key == "dynamic":
                for dynamic in v:
                    yield from (spec.get("iterator", name) for name, spec in dynamic.items() if name != IS_BLOCK)
            yield from _iterators(v)
    elif isinstance(value, list):
        for v in value:
            yield from _iterators(v)


def _loose(name: str) -> str:
    """jsii camel-cases `output_base64sha256` and `ipv6_cidr_block` alike (a digit then a capital), so the
    computed attributes' names cannot say whether an underscore followed a digit: compare without it."""
    return re.sub(r"(?<=\d)_", "", name)


def _members(block: dict[str, Any]) -> set[str]:
    return {_loose(m) for m in (*block["args"], *block["attrs"], *block["blocks"], "id")}


def check_reference(match: re.Match[str], declared: dict[tuple[str, str, str], dict[str, Any]]) -> str | None:
    data, type_, name, attr, nested = match.groups()
    kind = "data_sources" if data else "resources"
    ref = match.group(0)
    block = declared.get((kind, type_, name))
    if block is None:
        return f"`{ref}` names no declared {'data source' if data else 'resource'}"
    if attr and not block.get("unchecked") and _loose(attr) not in _members(block):
        return f"`{ref}`: {type_} has no attribute `{attr}`"
    inner = block["blocks"].get(attr or "", {}).get("block")
    if nested and inner and not inner.get("unchecked") and _loose(nested) not in _members(inner):
        return f"`{ref}`: block `{attr}` of {type_} has no attribute `{nested}`"
    return None


def parse_dir(tf_dir: Path) -> dict[str, dict[str, Any]]:
    parsed = {}
    for path in sorted(tf_dir.glob("*.tf")):
        with path.open(encoding="utf-8") as f:
            parsed[path.name] = hcl2.load(f, serialization_options=_OPTIONS)
    return parsed


def check_module(tf_dir: Path, schema_files: list[Path]) -> list[str]:
    schemas = {s["provider"]: s for s in map(load_schema, schema_files)}
    versions = ", ".join(f"{name} {s['version']}" for name, s in schemas.items())
    errors: list[str] = []
    declared: dict[tuple[str, str, str], dict[str, Any]] = {}
    parsed = parse_dir(tf_dir)
    for file, content in parsed.items():
        for kind, key in (("resources", "resource"), ("data_sources", "data")):
            for labelled in content.get(key, []):
                for type_, named in labelled.items():
                    provider = schemas.get(type_.split("_", 1)[0], {})
                    type_schema = provider.get(kind, {}).get(type_)
                    for name, body in named.items():
                        where = f"{file}: {'data.' if key == 'data' else ''}{type_}.{name}"
                        if type_schema is None:
                            errors.append(f"{where}: no {key} type `{type_}` in {versions}")
                            continue
                        declared[(kind, type_, name)] = type_schema
                        errors += check_block(body, type_schema, where, top=True)
        for block in content.get("provider", []):
            for provider, body in block.items():
                if provider in schemas:
                    errors += check_block(body, schemas[provider]["provider_config"], f"{file}: provider {provider}")
                else:
                    errors.append(f"{file}: provider `{provider}` has no schema to check against")
    iterators = set(_iterators(parsed))
    for file, content in parsed.items():
        for text in _strings([content.get(k, []) for k in ("resource", "data", "locals", "output")]):
            for match in REFERENCE.finditer(text):
                if match.group(2) in iterators:
                    continue
                error = check_reference(match, declared)
                if error:
                    errors.append(f"{file}: {error}")
    return errors
