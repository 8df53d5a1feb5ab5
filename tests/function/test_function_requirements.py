"""The deployed function installs requirements-function.txt only: its production path must need nothing else.

The production path is every import statement (lazy ones inside functions too) of the modules reachable
from main.py, found by walking their source. A fresh interpreter runs those statements with every installed
distribution outside the listed set (and its dependencies) made absent, as on Cloud Build, then each loaded
file under site-packages is mapped back to the distribution that installed it.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import site
import subprocess
import sys
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
FUNCTION_REQUIREMENTS = ROOT / "requirements-function.txt"
CLI_ONLY = ("duckdb", "matplotlib", "tqdm")
# The embedded warehouse and its views (translated with sqlglot): main.py reaches them only for
# STRAVA_WAREHOUSE=duckdb:..., never set when deployed.
# The AWS adapters (boto3): main.py reaches them only for s3:... / awssecrets:..., in the Lambda deployment.
EMBEDDED = ("strava.warehouse.duckdb", "strava.analytics.duckdb_views")
AWS_ONLY = ("strava.warehouse.s3", "strava.secrets.awssecrets", "strava.aws")
GOOGLE_ONLY = ("strava.warehouse.bigquery", "strava.secrets.secretmanager", "strava.queues.cloudtasks")
LOCAL_ONLY = (*EMBEDDED, *AWS_ONLY)  # what the Google function never reaches
HOST = ("import functions_framework",)  # the server that loads main.py on Cloud Run

# Runs the statements with the given top-level modules made absent; prints the files of the modules they loaded.
PROBE = """
import importlib.abc, json, sys
spec = json.load(sys.stdin)
ABSENT = set(spec["absent"])

class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ABSENT:
            raise ModuleNotFoundError(f"No module named {name!r} (not installed in the function)", name=name)
        return None

sys.meta_path.insert(0, Absent())
before = set(sys.modules)
for statement in spec["statements"]:
    exec(statement, {})
files = {getattr(module, "__file__", None) for name, module in list(sys.modules.items()) if name not in before}
print(json.dumps(sorted(f for f in files if f)))
"""


def _requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def _pins(path: Path) -> dict[str, str]:
    """`name==version` lines as {canonical name: version}; includes (`-r`) are not followed."""
    pins = {}
    for line in _requirement_lines(path):
        if line.startswith("-r "):
            continue
        requirement = Requirement(line)
        (spec,) = requirement.specifier  # exactly one specifier...
        assert spec.operator == "==", f"{path.name}: {line!r} is not pinned"  # ...and it is a pin
        pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def _dependencies(name: str, extras: frozenset[str]) -> Iterator[Requirement]:
    """What pip installs for `name[extras]` on this interpreter (markers evaluated, extras honoured)."""
    for line in metadata.distribution(name).requires or []:
        requirement = Requirement(line)
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": extra}) for extra in extras | {""}):
            yield requirement


@cache
def allowed_distributions() -> frozenset[str]:
    """requirements-function.txt and, transitively, everything those distributions depend on."""
    pins = _pins(FUNCTION_REQUIREMENTS)
    for name, version in pins.items():  # resolving against other versions would prove nothing
        assert metadata.version(name) == version, f"{name} {metadata.version(name)} installed, {version} pinned"
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [(name, frozenset[str]()) for name in pins]
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        todo += [(canonicalize_name(r.name), frozenset(r.extras)) for r in _dependencies(name, extras)]
    return frozenset(name for name, _ in seen)


def _module_file(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    return next((p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()), None)


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, nested ones included, except those only type checkers run."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif not _is_type_checking(node):
            yield from _imports(node)


def _targets(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    """Modules a statement may load: `from a import b` loads a and, if b is a submodule, a.b."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    module = importlib.util.resolve_name("." * node.level + (node.module or ""), package) if node.level \
        else node.module or ""
    return [module, *(f"{module}.{alias.name}" for alias in node.names)]


def _absolute(node: ast.Import | ast.ImportFrom, package: str) -> str:
    if isinstance(node, ast.ImportFrom) and node.level:
        node = ast.ImportFrom(module=_targets(node, package)[0], names=node.names, level=0)
    return ast.unparse(node)


def _local(module: str) -> bool:
    return module == "main" or module.split(".")[0] == "strava"


@cache
def production_path(left_out: tuple[str, ...] = LOCAL_ONLY) -> tuple[frozenset[str], tuple[str, ...]]:
    """(project modules reachable from main.py, every import statement they hold), `left_out` modules and
    the imports of them skipped (the Google function by default)."""
    modules: set[str] = set()
    statements: list[str] = []
    todo = ["main"]
    while todo:
        module = todo.pop()
        path = _module_file(module)
        if module in modules or module in left_out or path is None:
            continue
        modules.add(module)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        todo += [".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)]  # parent packages
        for node in _imports(ast.parse(path.read_text(), str(path))):
            targets = _targets(node, package)
            if isinstance(node, ast.ImportFrom) and targets[0] == "__future__":
                continue
            if any(t in left_out for t in targets):
                continue
            todo += [t for t in targets if _local(t)]
            statements.append(_absolute(node, package))
    return frozenset(modules), tuple(statements)


def probe(statements: Iterable[str], absent: Iterable[str] = ()) -> subprocess.CompletedProcess:
    payload = json.dumps({"statements": list(statements), "absent": sorted(absent)})
    return subprocess.run([sys.executable, "-c", PROBE], input=payload, cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def absent_modules(allowed: frozenset[str]) -> set[str]:
    """Top-level modules that only distributions outside `allowed` provide: Cloud Build would not install them."""
    return {top for top, dists in metadata.packages_distributions().items()
            if top not in sys.stdlib_module_names and not {canonicalize_name(d) for d in dists} & allowed}


def distributions_of(files: Iterable[str]) -> dict[str, str]:
    """{loaded file under site-packages: distribution that installed it ("?" when none claims it)}."""
    sites = [os.path.normpath(s) for s in site.getsitepackages()]
    by_record_path = {Path(os.path.relpath(f, s)).as_posix(): f for f in map(os.path.normpath, files)
                      for s in sites if f.startswith(s + os.sep)}
    owner = dict.fromkeys(by_record_path.values(), "?")
    for dist in metadata.distributions():
        # RECORD lines are `path,hash,size`, paths relative to site-packages (reading them beats `dist.files`).
        for line in (dist.read_text("RECORD") or "").splitlines():
            file = by_record_path.get(line.rsplit(",", 2)[0])
            if file:
                owner[file] = canonicalize_name(dist.metadata["Name"])
    return owner


def unlisted(files: Iterable[str], allowed: frozenset[str]) -> dict[str, list[str]]:
    """{distribution not in `allowed`: the loaded files that belong to it}."""
    found: dict[str, list[str]] = {}
    for file, dist in distributions_of(files).items():
        if dist not in allowed:
            found.setdefault(dist, []).append(file)
    return found


def test_function_requirements_leave_out_the_cli_packages() -> None:
    pins = _pins(FUNCTION_REQUIREMENTS)
    assert {"requests", "tenacity", "functions-framework", "google-cloud-bigquery",
            "google-cloud-secret-manager", "google-crc32c"} <= set(pins)
    assert not set(CLI_ONLY) & set(pins)
    assert not set(CLI_ONLY) & allowed_distributions(), "a function dependency pulls in a CLI-only package"


def test_root_requirements_add_the_cli_packages_to_the_function_set_without_repeating_it() -> None:
    root = ROOT / "requirements.txt"
    assert "-r requirements-function.txt" in _requirement_lines(root)
    extras = _pins(root)
    assert set(CLI_ONLY) <= set(extras)
    assert not set(extras) & set(_pins(FUNCTION_REQUIREMENTS)), "pinned in both files"


def test_the_walk_reaches_the_cloud_adapters_and_lazy_imports_but_not_local_tools() -> None:
    modules, statements = production_path()
    assert {"main", "strava.sync", "strava.client", "strava.warehouse.bigquery", "strava.secrets.secretmanager",
            "strava.gcp", "strava.analytics.views"} <= modules
    tools = ("strava.simulator", "strava.cli", "strava.report", "strava.demo", "strava.auth")
    assert not {m for m in modules if m in tools or m.startswith(tuple(t + "." for t in tools))}
    assert "import google_crc32c" in statements  # lazy: inside a SecretManagerStore method
    assert not [s for s in statements if re.match(r"(from|import) (duckdb|pyarrow)\b", s)]


def test_production_path_needs_only_listed_distributions() -> None:
    allowed = allowed_distributions()
    _, statements = production_path()
    proc = probe([*HOST, *statements], absent=absent_modules(allowed))
    assert proc.returncode == 0, f"the production path failed without unlisted distributions:\n{proc.stderr}"
    files = json.loads(proc.stdout)
    assert unlisted(files, allowed) == {}
    loaded = set(distributions_of(files).values())
    assert {"google-cloud-bigquery", "google-cloud-secret-manager", "google-crc32c", "tenacity"} <= loaded


def test_an_unlisted_distribution_is_caught_both_ways() -> None:
    """Guards the test above: an unlisted import fails when absent, and is named when present."""
    allowed = allowed_distributions()
    blocked = probe(["import tqdm"], absent=absent_modules(allowed))
    assert blocked.returncode != 0 and "not installed in the function" in blocked.stderr
    present = probe(["import tqdm"])
    assert present.returncode == 0, present.stderr
    assert set(unlisted(json.loads(present.stdout), allowed)) == {"tqdm"}
