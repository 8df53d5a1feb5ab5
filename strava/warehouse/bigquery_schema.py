"""BigQuery table schemas as JSON field lists, generated from strava.schema (no Google imports).

The same lists feed the BigQuery warehouse and `terraform/schema/*.json` (kept equal by a test).
"""

from __future__ import annotations

from strava.schema import TABLES, Table


def schema_fields(table: Table) -> list[dict[str, str]]:
    return [
        {"name": c.name, "type": c.type, "mode": "REPEATED" if c.repeated else "REQUIRED" if c.required else "NULLABLE",
         "description": c.description}
        for c in table.columns
    ]


def all_schemas() -> dict[str, list[dict[str, str]]]:
    return {t.name: schema_fields(t) for t in TABLES}
