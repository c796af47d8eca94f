"""groupkit.fastschema: a compiled schema never finds valid what the full validator (connexion's Draft 4
validators, openapi-schema-validator's OAS30Validator) finds invalid, it finds the contract's examples valid,
and it refuses to compile what it cannot translate exactly."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from connexion.json_schema import Draft4RequestValidator, Draft4ResponseValidator
from jsonschema import Draft4Validator, FormatChecker
from openapi_schema_validator import OAS30Validator

from groupkit import contract, fastschema
from groupkit.validation import FORMAT_CHECKER

DOCUMENT = contract.default()
SCHEMAS = DOCUMENT["components"]["schemas"]
NAMES = sorted(SCHEMAS)
DRAFT4 = Draft4Validator.FORMAT_CHECKER
OAS30 = OAS30Validator.FORMAT_CHECKER
# The full validators the compiled ones stand in front of: (class, format checker, dialect).
FULL = [
    pytest.param(Draft4ResponseValidator, DRAFT4, "connexion", id="connexion-response"),
    pytest.param(Draft4RequestValidator, FORMAT_CHECKER, "connexion", id="connexion-request"),
    pytest.param(OAS30Validator, OAS30, "oas30", id="oas30-world"),
]
ODD_VALUES: list[Any] = [None, 0, 1, 1.0, -1, 2**70, 1.5, float("nan"), True, "", "x", "a@", "a@b.c", "ü"]
ODD_VALUES += ["\ud800", "2026-13-45", "2026-01-05", [], ["x"], [1], {}, {"x": 1}]


def rooted(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}", "components": DOCUMENT["components"]}


def mutations(value: Any, depth: int = 0) -> Iterator[Any]:
    """`value` itself, then copies with one thing changed: a member dropped, replaced by an odd value or
    added, an item replaced; recursively, three levels deep."""
    yield value
    if depth > 2:
        return
    yield from ODD_VALUES
    if isinstance(value, dict):
        yield {**value, "unexpected": 1}
        for key in value:
            yield {k: v for k, v in value.items() if k != key}
            for changed in mutations(value[key], depth + 1):
                yield {**value, key: changed}
    elif isinstance(value, list) and value:
        for changed in mutations(value[0], depth + 1):
            yield [changed, *value[1:]]


def example_of(name: str) -> Any:
    examples = [
        example
        for location, _, example in contract.iter_examples(DOCUMENT)
        if location.endswith(f"/{name}/example")
    ]
    return copy.deepcopy(examples[0]) if examples else {}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("full_class", "checker", "dialect"), FULL)
def test_what_the_compiled_schema_finds_valid_the_full_validator_does(
    name: str, full_class: Any, checker: Any, dialect: fastschema.Dialect
) -> None:
    schema = rooted(name)
    compiled = fastschema.compile(schema, checker, dialect)
    assert compiled is not None, f"{name} does not compile: every request through it takes the slow path"
    full = full_class(schema, format_checker=checker)
    agreed = 0
    for instance in mutations(example_of(name)):
        fast = compiled.is_valid(instance)
        slow = not list(full.iter_errors(instance))
        assert slow or not fast, f"{name}: {instance!r} passed the compiled schema only"
        agreed += fast == slow
    assert agreed > 0


def test_the_contract_examples_pass_the_compiled_schemas() -> None:
    checked = 0
    for location, schema, example in contract.iter_examples(DOCUMENT):
        compiled = fastschema.compile({**schema, "components": DOCUMENT["components"]}, DRAFT4, "connexion")
        assert compiled is not None and compiled.is_valid(example), location
        checked += 1
    assert checked > 20


@pytest.mark.parametrize(
    ("schema", "connexion_null", "oas30_null"),
    [
        pytest.param({"type": "string", "nullable": True}, True, True, id="nullable-type"),
        pytest.param({"type": "string"}, False, False, id="not-nullable"),
        pytest.param({"type": "string", "x-nullable": True}, True, False, id="x-nullable"),
        pytest.param({"enum": ["a"], "nullable": True}, True, False, id="nullable-enum"),
        pytest.param(
            {"allOf": [{"type": "string"}], "nullable": True}, False, False, id="nullable-outside-allOf"
        ),
    ],
)
def test_nullable_means_what_each_full_validator_makes_of_it(
    schema: dict[str, Any], connexion_null: bool, oas30_null: bool
) -> None:
    for full, checker, dialect, expected in (
        (Draft4ResponseValidator, DRAFT4, "connexion", connexion_null),
        (OAS30Validator, OAS30, "oas30", oas30_null),
    ):
        assert full(schema, format_checker=checker).is_valid(None) is expected
        compiled = fastschema.compile(schema, checker, dialect)  # type: ignore[arg-type]
        assert compiled is not None
        assert compiled.is_valid(None) is expected, dialect
        assert compiled.is_valid("a")


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param({"type": "string", "pattern": "^a$"}, id="pattern"),
        pytest.param({"$ref": "#/components/schemas/Error", "nullable": True}, id="ref-with-a-sibling"),
        pytest.param({"$ref": "other.yaml#/X"}, id="ref-elsewhere"),
        pytest.param(
            {"type": "object", "properties": {"p": {"type": "string", "writeOnly": True}}}, id="writeOnly"
        ),
        pytest.param({"type": "array", "items": [{"type": "string"}]}, id="tuple-items"),
        pytest.param({"type": "array", "uniqueItems": True}, id="uniqueItems"),
        pytest.param({"type": "object", "discriminator": {"propertyName": "t"}}, id="discriminator"),
        pytest.param({"type": "integer", "format": "int32"}, id="format-of-numbers"),
    ],
)
def test_what_cannot_be_translated_exactly_is_not_compiled(schema: dict[str, Any]) -> None:
    assert fastschema.compile(schema, OAS30, "oas30") is None


def test_formats_are_the_full_validators_own() -> None:
    email = {"type": "string", "format": "email"}
    date = {"type": "string", "format": "date"}
    ours, draft4 = (
        fastschema.compile(email, FORMAT_CHECKER, "connexion"),
        fastschema.compile(email, DRAFT4, "connexion"),
    )
    assert ours is not None and draft4 is not None
    assert not ours.is_valid("a@") and draft4.is_valid("a@")  # jsonschema's e-mail check wants an @ only
    no_date, oas_date = (
        fastschema.compile(date, DRAFT4, "connexion"),
        fastschema.compile(date, OAS30, "oas30"),
    )
    assert no_date is not None and oas_date is not None
    assert no_date.is_valid("not a date")  # Draft 4's checker has no `date`
    assert not oas_date.is_valid("2026-02-30") and oas_date.is_valid("2026-02-28")


def test_a_value_the_compiled_schema_cannot_read_goes_to_the_full_validator() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer", "maximum": 5}}}
    compiled = fastschema.compile(schema, DRAFT4, "connexion")
    assert compiled is not None
    assert compiled.is_valid({"a": 1})
    assert not compiled.is_valid({"a": {1, 2}})  # a set: jsonschema_rs raises, the full validator decides


def test_the_worlds_formats_are_checked_as_openapi_schema_validator_checks_them() -> None:
    """groupkit.worldbuilder compiles with jsonschema's own checker (`strict_formats`), which OAS30's
    extends: every string format it compiles is the very function OAS30Validator checks it with."""
    plain = FormatChecker()
    shared = [name for name in fastschema.STRING_FORMATS if name in plain.checkers]
    assert {"date", "email"} <= set(shared)
    for name in shared:
        assert plain.checkers[name] == OAS30.checkers[name], name
    assert (
        fastschema.compile({"type": "string", "format": "byte"}, plain, "oas30", strict_formats=True) is None
    )
    assert fastschema.compile({"type": "string", "format": "byte"}, plain, "oas30") is not None
