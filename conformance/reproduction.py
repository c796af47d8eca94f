"""A finding's minimal reproduction: the generated requests after which its check failed, their shape with the
volatile values taken out, and the fingerprint of that shape that a baseline entry matches.

What the fingerprint hashes (a SHA-256 of canonical JSON, its first 16 hex digits):

- the check's name, the operation (`METHOD /path`) and the failure's code (`ST101`, `GK205`: its kind);
- for each generated request of the reproduction, in order (one, or a stateful chain): the method, the path
  *template*, and the *shape* of its path parameters, query, cookies, headers other than `Authorization`
  (names, each with the JSON type of its value) and body (its media type, object keys recursively, each
  value replaced by its JSON type, an array by the distinct shapes of its items).

Values are left out (ids, names, tokens and cursors differ between runs), and so are the check's own
follow-up requests: they follow from the triggering request and the check's code. When the check's own
probe found the defect (`GroupkitFailure.from_probe`), the generated request only set the check off and
the probe's requests are the same in every run: the reproduction has no generated request. Of all the
times a run sees one finding, the smallest reproduction (fewest requests, then shortest shape) is kept.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from schemathesis.core import NOT_SET
from schemathesis.core.failures import Failure
from schemathesis.engine.recorder import ScenarioRecorder

from .calls import AnyCase
from .failures import GroupkitFailure

VERSION = 1  # part of what is hashed: a change to the shapes above changes it, and every fingerprint


def kind(value: Any) -> Any:
    """The shape of a value: its JSON type name, recursively for objects and arrays."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bytes | bytearray):
        return "binary"
    if isinstance(value, dict):
        return {str(key): kind(item) for key, item in sorted(value.items(), key=lambda pair: str(pair[0]))}
    if isinstance(value, list | tuple):
        shapes = {canonical(kind(item)): kind(item) for item in value}
        return [shapes[text] for text in sorted(shapes)]
    return type(value).__name__


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def shape(case: AnyCase) -> dict[str, Any]:
    """One request of a reproduction without its values (see the module docstring)."""
    shaped: dict[str, Any] = {"method": str(case.method).upper(), "path": case.path}
    headers = {
        name.lower(): value for name, value in (case.headers or {}).items() if name.lower() != "authorization"
    }
    for part, values in (
        ("path_parameters", case.path_parameters),
        ("query", case.query),
        ("cookies", case.cookies),
        ("headers", headers),
    ):
        if values:
            shaped[part] = kind(dict(values))
    if case.body is not NOT_SET:
        shaped["media_type"] = case.media_type
        shaped["body"] = kind(case.body)
    return shaped


@dataclass
class Reproduction:
    """How to show one failure again: the `cases` to re-send (the check judges the last one's answer), and the
    `requests` shape the fingerprint hashes (empty when the check's probe found it)."""

    check: str
    cases: list[AnyCase] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, recorder: ScenarioRecorder, case_id: str, check: str, failure: Failure) -> Reproduction:
        """The reproduction of `failure`, which `check` raised on the case `case_id` of the scenario."""
        trigger = case_id
        # A case a check derived (`ignored_auth` sends the request again without credentials) has a parent
        # but no stateful transition: the check was called with its parent.
        while (
            (node := recorder.cases.get(trigger)) is not None and node.parent_id and node.transition is None
        ):
            trigger = node.parent_id
        if trigger not in recorder.cases:
            return cls(check)
        cases = list(recorder.iter_chain_cases(case_id=trigger, related_case_ids=failure.related_case_ids()))
        from_probe = isinstance(failure, GroupkitFailure) and failure.from_probe
        return cls(check, cases, [] if from_probe else [shape(case) for case in cases])

    @property
    def size(self) -> tuple[int, int, str]:
        """What makes one reproduction smaller than another (fewest requests, then shortest, then first in
        text order), so the one kept does not depend on the order the run met them."""
        text = canonical(self.requests)
        return (len(self.requests), len(text), text)

    def fingerprint(self, operation: str, code: str) -> str:
        material = {
            "version": VERSION,
            "check": self.check,
            "operation": operation,
            "failure": code,
            "requests": self.requests,
        }
        return hashlib.sha256(canonical(material).encode("utf-8")).hexdigest()[:16]
