"""Where things are. The repository stands alone: every file the tests read is inside it."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLE_ACTIVITIES = FIXTURES / "example-athlete-activities.json"
