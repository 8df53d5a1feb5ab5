"""The "a run failed" alert's log filter, read from terraform/monitoring.tf (never copied), applied to the
JSON lines the product writes: a test can then say "this line would have alerted"."""

from __future__ import annotations

import json
import re

from tests.terraform.hcl import load_module

_CLAUSE = re.compile(r'^([\w.]+)=(?:"([^"]*)"|\((.*)\))$')


def failed_run_filter() -> list[str]:
    """The failed-runs metric's filter as its AND-ed clauses, `${local.sync_finished_filter}` expanded."""
    module = load_module()
    joined = re.fullmatch(r'\$\{join\(" AND ", \[(.*)\]\)\}', module.locals["sync_finished_filter"], re.S)
    assert joined, "sync_finished_filter is no longer a join([...]): update this parser"
    base = json.loads(f"[{joined.group(1)}]")  # the list's HCL strings are JSON strings
    metric = module.resource("google_logging_metric", "sync_failed")["filter"]
    clauses = []
    for part in metric.split(" AND "):
        clauses += base if part == "${local.sync_finished_filter}" else [part]
    return clauses


def alerts(entry: dict) -> bool:
    """Whether Cloud Logging would count `entry` (one stdout JSON line, i.e. its jsonPayload) as a failed run.
    `resource.*` clauses name the Cloud Run service: Cloud Logging sets them, not our line."""
    for clause in failed_run_filter():
        match = _CLAUSE.match(clause)
        assert match, f"clause {clause!r} is not field=\"value\" or field=(\"a\" OR \"b\")"
        name, single, group = match.groups()
        accepted = {single} if single is not None else set(re.findall(r'"([^"]*)"', group))
        if name.startswith("resource."):
            continue
        assert name.startswith("jsonPayload."), f"unexpected clause {clause!r}"
        if str(entry.get(name.removeprefix("jsonPayload."))) not in accepted:
            return False
    return True


def assert_one_failed_run_line(entries: list[dict], kind: str) -> dict:
    """Exactly one sync_finished line, counted by the alert's metric, naming `kind`."""
    finished = [e for e in entries if e.get("event") == "sync_finished"]
    assert len(finished) == 1, finished
    line = finished[0]
    assert alerts(line), (failed_run_filter(), line)
    assert line["error_kind"] == kind and line["error_message"], line
    assert line["severity"] in ("ERROR", "CRITICAL"), line
    return line
