"""The oracle for the diff's verdicts: an ERR request narrowing must refuse an instance that the BASE contract
accepts, and an ERR response widening must send one that the BASE contract does not allow. Instances are
generated from JSON Schema by schemathesis's generator (hypothesis-jsonschema's successor; the last
hypothesis-jsonschema release fails on object schemas with the Hypothesis this project pins) and judged by
jsonschema. Refactors the diff calls silent must accept the same instances both ways."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample
from jsonschema import Draft202012Validator

# schemathesis's JSON Schema strategy builder and its format strategies (date, email, uuid, ...): not
# re-exported at the package's top level, so named here where the pinned minor keeps them.
from schemathesis.generation.jsonschema.builder import build
from schemathesis.specs.openapi.formats import get_default_format_strategies

from groupkit.diff import RULES
from groupkit.documents import resolve
from groupkit.findings import Finding, Level
from tests.groupkit.diff.diff_corpus import CASES_BY_ID, Case, pair
from tests.groupkit.diff.test_diff_corpus import run

# ERR rules about something other than the set of instances a schema accepts: a default the server
# applies, a body, media type or status that is no longer documented at all, the credentials it asks for.
NOT_ABOUT_INSTANCES = {
    "request-parameter-default-value-changed",
    "request-parameter-default-value-added",
    "request-parameter-default-value-removed",
    "request-body-removed",
    "request-body-media-type-removed",
    "response-media-type-removed",
    "response-success-status-removed",
    "api-security-narrowed",
}
DROPPED = {
    "description",
    "example",
    "examples",
    "externalDocs",
    "xml",
    "discriminator",
    "deprecated",
    "title",
}
FORMATS = get_default_format_strategies()
# Deterministic (derandomize), no example database, and no shrinking: a witness is enough, a minimal one
# is not needed.
QUICK = {"derandomize": True, "database": None, "deadline": None, "phases": [Phase.generate]}
SEARCH = settings(max_examples=300, suppress_health_check=list(HealthCheck), **QUICK)  # type: ignore[arg-type]
EQUIVALENCE = settings(max_examples=20, suppress_health_check=list(HealthCheck), **QUICK)  # type: ignore[arg-type]
BOUNDS = {"maxLength": "minLength", "maximum": "minimum", "maxItems": "minItems"}


def to_json_schema(node: Any, document: dict[str, Any], direction: str, depth: int = 0) -> Any:
    """An OpenAPI 3.0 schema as a draft-07 JSON Schema: $refs inlined, `nullable` as a null type,
    boolean exclusive bounds as numbers, and readOnly (request) or writeOnly (response) properties gone."""
    while isinstance(node, dict) and "$ref" in node:
        node = resolve(document, node["$ref"])
    if not isinstance(node, dict) or depth > 30:
        return {}
    hidden = "readOnly" if direction == "request" else "writeOnly"
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("x-") or key in DROPPED or key in ("nullable", "readOnly", "writeOnly"):
            continue
        if key == "properties":
            out[key] = {
                name: to_json_schema(prop, document, direction, depth + 1)
                for name, prop in value.items()
                if not (resolve(document, prop["$ref"]) if "$ref" in prop else prop).get(hidden)
            }
        elif key in ("items", "not") or (key == "additionalProperties" and isinstance(value, dict)):
            out[key] = to_json_schema(value, document, direction, depth + 1)
        elif key in ("allOf", "oneOf", "anyOf"):
            out[key] = [to_json_schema(branch, document, direction, depth + 1) for branch in value]
        elif key in ("exclusiveMinimum", "exclusiveMaximum"):
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            if value is True and bound in node:
                out[key] = node[bound]
        else:
            out[key] = value
    for key in ("exclusiveMinimum", "exclusiveMaximum"):
        if key in out:
            out.pop("minimum" if key == "exclusiveMinimum" else "maximum", None)
    if "properties" in out and "required" in out:
        out["required"] = [
            n for n in out["required"] if n in out["properties"] or n not in node.get("properties", {})
        ]
    if node.get("nullable") and "type" in node:
        out["type"] = [node["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def _deref(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = resolve(document, node["$ref"])
    return node


def request_envelope(document: dict[str, Any], path: str, method: str) -> dict[str, Any] | None:
    """Everything a client sends to one operation as one instance: {"query": {...}, "header": {...},
    "path": {...}, "body": ...}. None when the document has no such operation."""
    item = document["paths"].get(path)
    if not item or method not in item:
        return None
    operation = item[method]
    groups: dict[str, dict[str, Any]] = {
        where: {"type": "object", "properties": {}, "required": []} for where in ("query", "header", "path")
    }
    for raw in (item.get("parameters") or []) + (operation.get("parameters") or []):
        parameter = _deref(document, raw)
        group = groups[parameter["in"]]
        group["properties"][parameter["name"]] = to_json_schema(
            parameter.get("schema", {}), document, "request"
        )
        if parameter.get("required"):
            group["required"].append(parameter["name"])
    envelope: dict[str, Any] = {"type": "object", "properties": groups, "required": list(groups)}
    body = _deref(document, operation.get("requestBody"))
    if body:
        schema = (body.get("content", {}).get("application/json") or {}).get("schema")
        if schema is not None:
            envelope["properties"]["body"] = to_json_schema(schema, document, "request")
            if body.get("required"):
                envelope["required"].append("body")
    return envelope


def response_schema(document: dict[str, Any], path: str, method: str, status: str) -> Any:
    operation = document["paths"].get(path, {}).get(method)
    response = _deref(document, (operation or {}).get("responses", {}).get(status))
    schema = ((response or {}).get("content", {}).get("application/json") or {}).get("schema")
    return None if schema is None else to_json_schema(schema, document, "response")


def _validator(schema: Any) -> Draft202012Validator:
    # The 2020-12 format checker knows uuid (draft 7's does not); the converted schemas use no keyword
    # whose meaning differs between the two drafts.
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def pinned(source: Any, judge: Any) -> list[Any]:
    """Copies of `source` that each pin one length, value or size bound: at the source's own maximum or
    minimum, or just outside the judge's where the source has none. Every instance of a copy is an
    instance of `source` (the witness is checked against `source` again); they steer the search to the
    edges, where narrowed bounds bite and plain random generation rarely goes."""
    variants: list[Any] = []
    if not isinstance(source, dict):
        return variants
    judge = judge if isinstance(judge, dict) else {}
    for high, low in BOUNDS.items():
        if high in source:
            variants.append({**source, low: source[high]})
        elif isinstance(judge.get(high), int | float):
            variants.append({**source, low: judge[high] + 1})
        if low in source:
            variants.append({**source, high: source[low]})
        elif isinstance(judge.get(low), int | float) and judge[low] >= 1:
            variants.append({**source, high: judge[low] - 1})
    for name, prop in (source.get("properties") or {}).items():
        inner = (judge.get("properties") or {}).get(name, {})
        for variant in pinned(prop, inner):
            variants.append(
                {
                    **source,
                    "properties": {**source["properties"], name: variant},
                    "required": sorted({*source.get("required", []), name}),
                }
            )
    if "items" in source:
        for variant in pinned(source["items"], judge.get("items", {})):
            variants.append({**source, "items": variant, "minItems": max(1, source.get("minItems", 0))})
    return variants


def instances(source: Any, judge: Any) -> st.SearchStrategy[Any]:
    """Instances of `source`: generated from it, and from its copies pinned at the edges."""
    strategies = [build(source, draft=7, formats=FORMATS)]
    for variant in pinned(source, judge):
        try:
            strategies.append(build(variant, draft=7, formats=FORMATS))
        except Exception:  # a pinned copy that no value satisfies (or the generator does not model)
            continue
    return st.one_of(strategies)


def counterexample(source: Any, judge: Any, how: settings) -> Any:
    """An instance of `source` that `judge` rejects (checked to satisfy `source`); NoSuchExample if none."""
    accepted, refused = _validator(source), _validator(judge)
    found = find(instances(source, judge), lambda value: not refused.is_valid(value), settings=how)
    assert accepted.is_valid(found), f"the generator broke its own schema: {found!r}"
    return found


def schemas_for(finding: Finding, base: dict[str, Any], head: dict[str, Any]) -> tuple[Any, Any]:
    """(source, judge): for a request finding, the BASE request and the HEAD one; for a response finding,
    the HEAD response body and the BASE one."""
    assert finding.operation is not None
    method, path = finding.operation.split(" ", 1)
    method = method.lower()
    if finding.direction == "request":
        return request_envelope(base, path, method), request_envelope(head, path, method)
    status = finding.location.split("/responses/", 1)[1].split("/", 1)[0]
    return response_schema(head, path, method, status), response_schema(base, path, method, status)


def _verdicts() -> list[tuple[str, str]]:
    """(case id, rule) for each ERR rule a corpus case expects that claims a change of request or response
    instances: read from the corpus, so collecting the tests diffs nothing (each test diffs its own case)."""
    return [
        (case_id, rule)
        for case_id, case in CASES_BY_ID.items()
        for rule, level in dict.fromkeys(case.expect)
        if level == Level.ERR.name
        and rule not in NOT_ABOUT_INSTANCES
        and RULES[rule].direction in ("request", "response")
    ]


VERDICTS = _verdicts()


def test_the_oracle_has_verdicts_to_check() -> None:
    assert len(VERDICTS) >= 30
    assert {RULES[rule].direction for _, rule in VERDICTS} == {"request", "response"}


@pytest.mark.parametrize("case_id, rule", [pytest.param(c, r, id=f"{c}:{r}") for c, r in VERDICTS])
def test_each_err_verdict_is_witnessed_by_an_instance(case_id: str, rule: str) -> None:
    case = CASES_BY_ID[case_id]
    finding = next(f for f in run(case) if f.rule == rule and f.direction in ("request", "response"))
    base, head = pair(case)
    source, judge = schemas_for(finding, base, head)
    assert source is not None and judge is not None, finding.location
    witness = counterexample(source, judge, SEARCH)
    assert not _validator(judge).is_valid(witness)


def _changed_envelopes(case: Case) -> list[tuple[str, str, Any, Any]]:
    """(where, direction, BASE schema, HEAD schema) for each request or JSON response whose converted
    schema differs between BASE and HEAD (once per distinct pair: Error is the body of many responses)."""
    base, head = pair(case)
    found, seen = [], set()
    for path, item in base["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "put", "post", "delete") or method not in head["paths"].get(path, {}):
                continue
            pairs = [
                (
                    "request",
                    "request",
                    request_envelope(base, path, method),
                    request_envelope(head, path, method),
                )
            ]
            for status in operation["responses"]:
                old, new = (
                    response_schema(base, path, method, status),
                    response_schema(head, path, method, status),
                )
                pairs.append((status, "response", old, new))
            for where, direction, old, new in pairs:
                key = json.dumps([old, new], sort_keys=True)
                if key not in seen and json.dumps(old, sort_keys=True) != json.dumps(new, sort_keys=True):
                    seen.add(key)
                    found.append((f"{method.upper()} {path} {where}", direction, old, new))
    return found


SILENT = [
    (case.id, case.refactor, where, direction, old, new)
    for case in CASES_BY_ID.values()
    if not case.expect
    for where, direction, old, new in _changed_envelopes(case)
]


def test_the_silent_cases_change_written_schemas() -> None:
    # Most refactors are invisible once $refs are inlined; allOf splits, reorderings and narrowed responses
    # are not, and are checked below.
    assert len(SILENT) >= 5
    assert any(refactor for _, refactor, *_ in SILENT) and not all(refactor for _, refactor, *_ in SILENT)


@pytest.mark.slow  # ~10 s: each check runs its search to the end, finding nothing
@pytest.mark.parametrize(
    "case_id, refactor, where, direction, old, new",
    [pytest.param(*item, id=f"{item[0]}:{item[2]}") for item in SILENT],
)
def test_a_silent_change_breaks_no_client(
    case_id: str, refactor: bool, where: str, direction: str, old: Any, new: Any
) -> None:
    """A refactor accepts the same instances both ways; any other silent change narrows no request and
    widens no response: no BASE request is refused, no HEAD response is one BASE did not allow."""
    checks = [(old, new), (new, old)] if refactor else [(old, new) if direction == "request" else (new, old)]
    for source, judge in checks:
        with pytest.raises(NoSuchExample):
            counterexample(source, judge, EQUIVALENCE)
