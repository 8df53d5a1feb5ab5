"""A local HTTP server speaking the part of Secret Manager's v1 REST API the store uses.

The real `SecretManagerServiceClient(transport="rest")` talks to it, so requests are the library's own:
paths `/v1/projects/P/secrets/S/versions/N:access`, `.../secrets/S:addVersion` with a base64 payload and
its CRC32C, `.../versions?filter=state:ENABLED OR state:DISABLED`, `:disable`, `:destroy`, secrets get
and create. Like the real service it answers names with the project *number*, refuses a payload whose
checksum does not match, and reports errors as `{"error": {"code", "message", "status"}}`.

Faults: `fail(operation, status)` makes an operation answer an HTTP error (403 for a missing role,
500 for an outage...); `requests` records what was called.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import google_crc32c

from localservices.rest import ApiError, LocalService

ROUTES = [  # (method, pattern, operation)
    ("GET", r"/v1/projects/([^/]+)/secrets/([^/:]+)/versions/([^/:]+):access", "access"),
    ("GET", r"/v1/projects/([^/]+)/secrets/([^/:]+)/versions/([^/:]+)", "get_version"),
    ("GET", r"/v1/projects/([^/]+)/secrets/([^/:]+)/versions", "list_versions"),
    ("POST", r"/v1/projects/([^/]+)/secrets/([^/:]+)/versions/([^/:]+):disable", "disable"),
    ("POST", r"/v1/projects/([^/]+)/secrets/([^/:]+)/versions/([^/:]+):enable", "enable"),
    ("POST", r"/v1/projects/([^/]+)/secrets/([^/:]+)/versions/([^/:]+):destroy", "destroy"),
    ("POST", r"/v1/projects/([^/]+)/secrets/([^/:]+):addVersion", "add_version"),
    ("GET", r"/v1/projects/([^/]+)/secrets/([^/:]+)", "get_secret"),
    ("POST", r"/v1/projects/([^/]+)/secrets", "create_secret"),
]


@dataclass
class Version:
    number: int
    data: bytes
    state: str = "ENABLED"
    created: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


@dataclass
class Secret:
    versions: list[Version] = field(default_factory=list)


class FakeSecretManager(LocalService):
    """The service's state; `url` is what SECRET_MANAGER_EMULATOR_HOST gets."""

    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], Secret] = {}
        self.faults: dict[str, int] = {}
        self.requests: list[tuple[str, str]] = []  # (operation, secret id)
        super().__init__()

    # --- helpers for tests -------------------------------------------------------------------------------

    def create(self, project: str, secret_id: str, *values: str) -> None:
        """A secret container (as Terraform makes it) with one enabled version per value."""
        with self._lock:
            secret = self.secrets.setdefault((project, secret_id), Secret())
            for value in values:
                secret.versions.append(Version(len(secret.versions) + 1, value.encode()))

    def versions(self, project: str, secret_id: str) -> list[tuple[int, str, str]]:
        """(number, state, value) of every version; destroyed ones have an empty value."""
        with self._lock:
            return [(v.number, v.state, v.data.decode()) for v in self.secrets[(project, secret_id)].versions]

    def fail(self, operation: str, status: int) -> None:
        """Make `operation` (a name from ROUTES) answer HTTP `status` until `clear_faults()`."""
        self.faults[operation] = status

    def clear_faults(self) -> None:
        self.faults.clear()

    def calls(self, operation: str) -> int:
        return sum(1 for op, _ in self.requests if op == operation)

    # --- the API -----------------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: dict[str, Any]) -> dict:
        for verb, pattern, operation in ROUTES:
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                args = match.groups()
                self.requests.append((operation, args[1] if len(args) > 1 else ""))
                if operation in self.faults:
                    raise ApiError(self.faults[operation], f"injected failure of {operation}")
                with self._lock:
                    return getattr(self, f"_{operation}")(*args, query=query, body=body)
        raise ApiError(404, f"no route for {method} {path}")

    def number(self, project: str) -> str:
        """The project number the fake answers with for `project` (the real API does the same)."""
        return str(100000000000 + int.from_bytes(project.encode()[:4].ljust(4, b"\0"), "big"))

    def _project_id(self, project: str) -> str:
        if project.isdigit():  # a name the service returned: accept it back, as the real one does
            return next((p for p, _ in self.secrets if self.number(p) == project), project)
        return project

    def _secret(self, project: str, secret_id: str) -> Secret:
        try:
            return self.secrets[(self._project_id(project), secret_id)]
        except KeyError:
            raise ApiError(404, f"Secret [{self._name(project, secret_id)}] not found or has no versions.") from None

    def _version(self, project: str, secret_id: str, version: str) -> Version:
        secret = self._secret(project, secret_id)
        if version == "latest":
            enabled = [v for v in secret.versions if v.state == "ENABLED"]
            if enabled:
                return enabled[-1]
        elif version.isdigit() and 0 < int(version) <= len(secret.versions):
            return secret.versions[int(version) - 1]
        raise ApiError(404, f"Secret Version [{self._name(project, secret_id)}/versions/{version}] not found.")

    def _name(self, project: str, secret_id: str, number: int | None = None) -> str:
        name = f"projects/{self.number(self._project_id(project))}/secrets/{secret_id}"
        return name if number is None else f"{name}/versions/{number}"

    def _version_json(self, project: str, secret_id: str, v: Version) -> dict[str, Any]:
        out = {"name": self._name(project, secret_id, v.number), "createTime": v.created, "state": v.state,
               "etag": f'"{v.number}-{v.state}"'}
        if v.state == "DESTROYED":
            out["destroyTime"] = v.created
        return out

    def _access(self, project: str, secret_id: str, version: str, **_: Any) -> dict:
        v = self._version(project, secret_id, version)
        if v.state != "ENABLED":
            raise ApiError(400, f"Secret Version [{self._name(project, secret_id, v.number)}] is in {v.state} state.")
        return {"name": self._name(project, secret_id, v.number),
                "payload": {"data": base64.b64encode(v.data).decode(),
                            "dataCrc32c": str(google_crc32c.value(v.data))}}

    def _get_version(self, project: str, secret_id: str, version: str, **_: Any) -> dict:
        return self._version_json(project, secret_id, self._version(project, secret_id, version))

    def _list_versions(self, project: str, secret_id: str, *, query: dict[str, list[str]], **_: Any) -> dict:
        wanted = _states(query.get("filter", [""])[0])
        versions = [v for v in reversed(self._secret(project, secret_id).versions)  # newest first, as real
                    if wanted is None or v.state in wanted]
        return {"versions": [self._version_json(project, secret_id, v) for v in versions], "totalSize": len(versions)}

    def _set_state(self, project: str, secret_id: str, version: str, state: str) -> dict:
        v = self._version(project, secret_id, version)
        if v.state == "DESTROYED":
            raise ApiError(400, f"Secret Version [{self._name(project, secret_id, v.number)}] is in DESTROYED state.")
        v.state = state
        if state == "DESTROYED":
            v.data = b""
        return self._version_json(project, secret_id, v)

    def _disable(self, project: str, secret_id: str, version: str, **_: Any) -> dict:
        return self._set_state(project, secret_id, version, "DISABLED")

    def _enable(self, project: str, secret_id: str, version: str, **_: Any) -> dict:
        return self._set_state(project, secret_id, version, "ENABLED")

    def _destroy(self, project: str, secret_id: str, version: str, **_: Any) -> dict:
        return self._set_state(project, secret_id, version, "DESTROYED")

    def _add_version(self, project: str, secret_id: str, *, body: dict[str, Any], **_: Any) -> dict:
        secret = self._secret(project, secret_id)
        payload = body.get("payload") or {}
        data = base64.b64decode(payload.get("data", ""))
        crc = payload.get("dataCrc32c")
        if crc is not None and int(crc) != google_crc32c.value(data):
            raise ApiError(400, "Checksum mismatch: the payload's data_crc32c does not match its data.")
        version = Version(len(secret.versions) + 1, data)
        secret.versions.append(version)
        return self._version_json(project, secret_id, version)

    def _get_secret(self, project: str, secret_id: str, **_: Any) -> dict:
        self._secret(project, secret_id)
        return {"name": self._name(project, secret_id), "replication": {"automatic": {}}}

    def _create_secret(self, project: str, *, query: dict[str, list[str]], **_: Any) -> dict:
        secret_id = query.get("secretId", [""])[0]
        if not re.fullmatch(r"[\w-]{1,255}", secret_id):
            raise ApiError(400, f"invalid secret id {secret_id!r}")
        if (project, secret_id) in self.secrets:
            raise ApiError(409, f"Secret [{self._name(project, secret_id)}] already exists.")
        self.secrets[(project, secret_id)] = Secret()
        return {"name": self._name(project, secret_id), "replication": {"automatic": {}}}


def _states(filter_text: str) -> set[str] | None:
    """The filters the store sends: `state:X` terms joined by OR (None: no filter)."""
    if not filter_text.strip():
        return None
    terms = [t.strip() for t in re.split(r"\s+OR\s+", filter_text.strip())]
    states = set()
    for term in terms:
        match = re.fullmatch(r"state\s*:\s*(\w+)", term, re.IGNORECASE)
        if not match:
            raise ApiError(400, f"unsupported filter {filter_text!r}")
        states.add(match.group(1).upper())
    return states
