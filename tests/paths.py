"""Where things are: the repository and the read-only `shared/` folder beside it (as in CI)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EXAMPLE_ACTIVITIES = SHARED / "strava" / "example-athlete-activities.json"
