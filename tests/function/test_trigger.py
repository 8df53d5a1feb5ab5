"""Fuzzing `strava.trigger.parse_trigger`: whatever arrives, an answer (never an exception, so never a 500)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from strava.trigger import MAX_BODY_BYTES, OPTIONS, Rejection, TriggerOptions, parse_trigger

METHODS = st.one_of(st.sampled_from(["POST", "post", "GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]),
                    st.text(max_size=12))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12)
OPTION_OBJECTS = st.dictionaries(st.sampled_from([*OPTIONS, "Full", "dry_run", ""]), JSON_VALUES, max_size=3)
BODIES = st.one_of(
    st.binary(max_size=300),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    OPTION_OBJECTS.map(lambda v: json.dumps(v).encode()),
    st.integers(1, 40_000).map(lambda depth: b"[" * depth),  # deep nesting stays far below 64 KiB
    st.integers(MAX_BODY_BYTES - 2, MAX_BODY_BYTES + 2).map(lambda n: b" " * (n - 2) + b"{}"),
)


def _check(method: str, body: bytes, result: TriggerOptions | Rejection) -> None:
    if isinstance(result, TriggerOptions):
        assert method.upper() == "POST" and len(body) <= MAX_BODY_BYTES
        # Accepted only for an empty body or a JSON object of known boolean options, taken as given.
        assert result == TriggerOptions(**(json.loads(body) if body.strip() else {}))
        return
    assert isinstance(result, Rejection)
    assert result.status in (400, 405, 413)
    assert isinstance(result.message, str) and 0 < len(result.message) <= 400  # never echoes a whole body
    if result.status == 405:
        assert ("Allow", "POST") in result.headers


@settings(max_examples=400, deadline=None)
@given(method=METHODS, body=BODIES)
def test_never_raises_and_answers_a_known_status(method: str, body: bytes) -> None:
    _check(method, body, parse_trigger(method, body))


@settings(max_examples=200, deadline=None)
@given(options=st.fixed_dictionaries({}, optional={k: st.booleans() for k in OPTIONS}),
       padding=st.sampled_from(["", " ", "\n", "\t \r\n"]))
def test_known_boolean_options_are_accepted_as_given(options: dict, padding: str) -> None:
    result = parse_trigger("POST", (padding + json.dumps(options) + padding).encode())
    assert result == TriggerOptions(**options)


@settings(max_examples=200, deadline=None)
@given(options=OPTION_OBJECTS)
def test_an_object_is_accepted_only_with_known_boolean_options(options: dict) -> None:
    result = parse_trigger("POST", json.dumps(options).encode())
    valid = all(k in OPTIONS and type(v) is bool for k, v in options.items())
    assert isinstance(result, TriggerOptions) == valid
    if not valid:
        assert result.status == 400
        bad = [k for k, v in options.items() if k not in OPTIONS or type(v) is not bool]
        assert any(repr(k) in result.message for k in bad)  # the message names an offending option


@given(method=METHODS.filter(lambda m: m.upper() != "POST"), body=st.binary(max_size=100))
def test_every_other_method_is_405_with_allow_post(method: str, body: bytes) -> None:
    result = parse_trigger(method, body)
    assert isinstance(result, Rejection) and result.status == 405 and result.headers == (("Allow", "POST"),)


def test_examples() -> None:
    assert parse_trigger("POST", b"") == TriggerOptions()
    assert parse_trigger("POST", b"  \n") == TriggerOptions()
    assert parse_trigger("POST", b'{"full": true}') == TriggerOptions(full=True)
    assert parse_trigger("POST", b"{").status == 400
    assert "object" in parse_trigger("POST", b"[]").message
    assert "'dry_run'" in parse_trigger("POST", b'{"dry_run": true}').message
    assert "'full'" in parse_trigger("POST", b'{"full": "yes"}').message
    assert parse_trigger("POST", b'{"full": 1}').status == 400  # 1 is not a boolean
    assert parse_trigger("POST", b" " * MAX_BODY_BYTES) == TriggerOptions()  # exactly the limit is allowed
    assert parse_trigger("POST", b" " * (MAX_BODY_BYTES + 1)).status == 413


def test_deeply_nested_json_is_a_400_not_a_crash() -> None:
    """json.loads raises RecursionError (not ValueError) on deep nesting well under the size limit."""
    for body in (b"[" * 5000, b'{"full": ' * 3000):
        result = parse_trigger("POST", body)
        assert isinstance(result, Rejection) and result.status == 400
