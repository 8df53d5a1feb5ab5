#!/usr/bin/env python3
"""Regenerate terraform/schema/<table>.json (BigQuery) and terraform/aws/schema/<table>.json (Glue)
from the code's single schema source.

Run after changing strava/schema.py: `.venv/bin/python scripts/gen-terraform-schema.py`.
A test fails while the checked-in files differ from what this writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from strava.schema import TABLES, Column, Table  # noqa: E402
from strava.warehouse.bigquery_schema import all_schemas  # noqa: E402

SCHEMA_DIR = ROOT / "terraform" / "schema"
GLUE_SCHEMA_DIR = ROOT / "terraform" / "aws" / "schema"

# BigQuery's type names (strava.schema's vocabulary) -> Athena/Hive column types of the JSON lines lake.
# Timestamps stay strings ('YYYY-MM-DD HH:MM:SS[.ffffff]', UTC): the Athena views cast them
# (strava/analytics/athena_views.py). `raw` is JSON text; array columns are arrays.
GLUE_TYPES = {"INT64": "bigint", "FLOAT64": "double", "BOOL": "boolean", "STRING": "string",
              "TIMESTAMP": "string", "DATETIME": "string", "DATE": "date", "JSON": "string"}


def render(fields: list[dict[str, str]]) -> str:
    """The exact text of one schema file (stable, so the files diff cleanly)."""
    return json.dumps(fields, indent=2, ensure_ascii=False) + "\n"


def glue_type(column: Column) -> str:
    if column.fields:  # a record: Hive's struct
        base = "struct<" + ",".join(f"{f.name}:{GLUE_TYPES[f.type]}" for f in column.fields) + ">"
    else:
        base = GLUE_TYPES[column.type]
    return f"array<{base}>" if column.repeated else base


def glue_columns(table: Table) -> list[dict[str, str]]:
    return [{"name": c.name, "type": glue_type(c), "comment": c.description} for c in table.columns]


def expected_files() -> dict[str, str]:
    return {f"{table}.json": render(fields) for table, fields in all_schemas().items()}


def expected_glue_files() -> dict[str, str]:
    return {f"{table.name}.json": render(glue_columns(table)) for table in TABLES}


def write(directory: Path, expected: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for stale in sorted(p for p in directory.glob("*.json") if p.name not in expected):
        stale.unlink()
        print(f"removed {stale.relative_to(ROOT)}")
    for name, text in expected.items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")


def main() -> int:
    write(SCHEMA_DIR, expected_files())
    write(GLUE_SCHEMA_DIR, expected_glue_files())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
