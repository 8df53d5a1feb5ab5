#!/usr/bin/env python3
"""Regenerate terraform/schema/<table>.json from the code's single schema source.

Run after changing strava/schema.py: `.venv/bin/python scripts/gen-terraform-schema.py`.
A test fails while the checked-in files differ from what this writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from strava.warehouse.bigquery_schema import all_schemas  # noqa: E402

SCHEMA_DIR = ROOT / "terraform" / "schema"


def render(fields: list[dict[str, str]]) -> str:
    """The exact text of one schema file (stable, so the files diff cleanly)."""
    return json.dumps(fields, indent=2, ensure_ascii=False) + "\n"


def expected_files() -> dict[str, str]:
    return {f"{table}.json": render(fields) for table, fields in all_schemas().items()}


def main() -> int:
    SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    expected = expected_files()
    for stale in sorted(p for p in SCHEMA_DIR.glob("*.json") if p.name not in expected):
        stale.unlink()
        print(f"removed {stale.relative_to(ROOT)}")
    for name, text in expected.items():
        path = SCHEMA_DIR / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
