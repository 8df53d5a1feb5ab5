"""The simulator's modules import one another one way: no cycle, not even through type-only imports."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import strava.simulator

PACKAGE = Path(strava.simulator.__file__).parent


def imports_of(path: Path) -> set[str]:
    """Sibling modules named by any import in the file, `if TYPE_CHECKING:` blocks included."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("strava.simulator."):
            names.add(node.module.rsplit(".", 1)[1])
        elif isinstance(node, ast.Import):
            names |= {a.name.rsplit(".", 1)[1] for a in node.names if a.name.startswith("strava.simulator.")}
    return names


def test_simulator_modules_form_no_import_cycle() -> None:
    graph = {p.stem: imports_of(p) for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert graph["httpd"] and graph["server"]  # the walk sees imports at all
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        pytest.fail(f"import cycle among strava/simulator modules: {' -> '.join(exc.args[1])}")
    assert order.index("control") < order.index("httpd") < order.index("server")
