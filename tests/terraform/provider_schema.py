"""Terraform provider schemas, taken from the jsii assemblies that cdktn's prebuilt provider packages ship.

No provider binary can be downloaded here, but each `cdktn-provider-*` wheel on PyPI carries a `.jsii`
file describing every resource, data source, argument (with its required flag), nested block and computed
attribute of one provider version. `scripts/setup-tfschema.sh` downloads the pinned wheels and runs this
file (standard library only) to boil each assembly down to a small JSON schema:

    {"provider": "google", "version": "8.7.0", "provider_config": BLOCK,
     "resources": {"google_x": BLOCK}, "data_sources": {"google_x": BLOCK}}
    BLOCK = {"args": {name: required}, "attrs": [computed names], "blocks": {name: {"required": bool, "block": BLOCK}}}

A struct nested inside itself (a handful of google resources) ends in {"unchecked": true}.
"""

from __future__ import annotations

import io
import json
import re
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

TF_NAME = re.compile(r"#([a-z0-9_]+) \w+#\1\}")  # the registry link each argument's docs end with
TF_TYPE = re.compile(r"\{@link \S+/docs(?:/(?:resources|data-sources)/\S+)? ([a-z0-9_]+)\}")
PROVIDER_LINE = re.compile(r"hashicorp/(\w+) provider version (\d+\.\d+\.\d+)")


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _tf_name(prop: dict[str, Any]) -> str:
    docs = prop.get("docs", {})
    match = TF_NAME.search(docs.get("remarks", "") + " " + docs.get("summary", ""))
    return match.group(1) if match else _snake(prop["name"])


def _struct_in(type_ref: dict[str, Any], types: dict[str, Any]) -> str | None:
    """The nested-block struct a property's type holds (directly, in a list, or in a union), if any."""
    if "fqn" in type_ref:
        found = types.get(type_ref["fqn"], {})
        return type_ref["fqn"] if found.get("kind") == "interface" and found.get("datatype") else None
    if "collection" in type_ref:
        return _struct_in(type_ref["collection"]["elementtype"], types)
    for member in type_ref.get("union", {}).get("types", []):
        struct = _struct_in(member, types)
        if struct:
            return struct
    return None


def _getters(fqn: str | None, types: dict[str, Any]) -> list[str]:
    """Readable attributes of a resource class or an OutputReference (computed ones included)."""
    props = types.get(fqn, {}).get("properties", []) if fqn else []
    return sorted({_snake(p["name"]) for p in props
                   if not p.get("static") and not p["name"].endswith("Input") and p["name"] != "internalValue"})


def _block(struct_fqn: str, types: dict[str, Any], reader_fqn: str | None,
           outer: frozenset[str] = frozenset()) -> dict[str, Any]:
    if struct_fqn in outer:  # a few assemblies nest a struct inside itself: leave that level unchecked
        return {"args": {}, "attrs": [], "blocks": {}, "unchecked": True}
    args: dict[str, bool] = {}
    blocks: dict[str, Any] = {}
    for prop in types[struct_fqn].get("properties", []):
        name = _tf_name(prop)
        nested = _struct_in(prop["type"], types)
        if nested:
            blocks[name] = {"required": not prop.get("optional", False),
                            "block": _block(nested, types, nested + "OutputReference", outer | {struct_fqn})}
        else:
            args[name] = not prop.get("optional", False)
    attrs = sorted(set(_getters(reader_fqn, types)) - set(args) - set(blocks))
    return {"args": args, "attrs": attrs, "blocks": blocks}


def schema_from_assembly(assembly: dict[str, Any]) -> dict[str, Any]:
    types = assembly["types"]
    match = PROVIDER_LINE.search(assembly.get("readme", {}).get("markdown", ""))
    if not match:
        raise ValueError(f"{assembly['name']}: no 'hashicorp/<name> provider version X.Y.Z' line in its readme")
    schema: dict[str, Any] = {"provider": match.group(1), "version": match.group(2),
                              "resources": {}, "data_sources": {}}
    kinds = {"TerraformResource": "resources", "TerraformDataSource": "data_sources"}
    for fqn, cls in types.items():
        base = cls.get("base", "").rpartition(".")[2]
        if cls.get("kind") != "class" or base not in (*kinds, "TerraformProvider"):
            continue
        config = cls["initializer"]["parameters"][-1]["type"]["fqn"]
        block = _block(config, types, fqn)
        if base == "TerraformProvider":
            schema["provider_config"] = block
            continue
        tf_type = TF_TYPE.search(cls["docs"]["summary"])
        if not tf_type:
            raise ValueError(f"{fqn}: no Terraform type name in its docs")
        schema[kinds[base]][tf_type.group(1)] = block
    return schema


def assembly_from_wheel(wheel: Path) -> dict[str, Any]:
    with zipfile.ZipFile(wheel) as zf:
        (tgz,) = [n for n in zf.namelist() if n.endswith(".jsii.tgz")]
        with tarfile.open(fileobj=io.BytesIO(zf.read(tgz))) as tar:
            member = tar.extractfile("package/.jsii")
            assert member is not None
            return json.load(member)


def main(out_dir: str, *wheels: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for wheel in wheels:
        schema = schema_from_assembly(assembly_from_wheel(Path(wheel)))
        path = out / f"{schema['provider']}-{schema['version']}.json"
        path.write_text(json.dumps(schema, sort_keys=True), encoding="utf-8")
        print(f"{path}: {len(schema['resources'])} resources, {len(schema['data_sources'])} data sources")


if __name__ == "__main__":
    main(*sys.argv[1:])
