"""BigQuery table schemas as JSON field lists, generated from strava.schema (no Google imports).

The same lists feed the BigQuery warehouse and `terraform/schema/*.json` (kept equal by a test).
"""

from __future__ import annotations

from typing import Any

from strava.schema import TABLES, Column, Table


def schema_fields(table: Table) -> list[dict[str, Any]]:
    return _fields(table.columns)


def _fields(columns: tuple[Column, ...]) -> list[dict[str, Any]]:
    return [
        {"name": c.name, "type": c.type, "mode": "REPEATED" if c.repeated else "REQUIRED" if c.required else "NULLABLE",
         "description": c.description, **({"fields": _fields(c.fields)} if c.fields else {})}
        for c in columns
    ]


def all_schemas() -> dict[str, list[dict[str, Any]]]:
    return {t.name: schema_fields(t) for t in TABLES}
