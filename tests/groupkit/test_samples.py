"""The bodies `Prefer: dynamic=true` answers (`groupkit.samples`): valid against every schema of the contract
and against bounds, formats and combinations, and reproducible from a seed."""

from __future__ import annotations

import random
from typing import Any

import pytest

from groupkit import contract, samples

DOCUMENT = contract.default()


@pytest.mark.parametrize("name", sorted(DOCUMENT["components"]["schemas"]))
def test_generated_values_are_valid_against_every_schema_of_the_contract(name: str) -> None:
    schema = {"$ref": f"#/components/schemas/{name}"}
    validator = contract.validator(DOCUMENT, schema)
    rng = random.Random(name)
    for _ in range(40):
        value = samples.generate(schema, DOCUMENT, rng)
        assert list(validator.iter_errors(value)) == [], value


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer", "minimum": 5, "maximum": 5},
        {"type": "integer", "minimum": 1, "exclusiveMinimum": True, "maximum": 3},
        {"type": "number", "minimum": 0.5, "maximum": 0.6},
        {"type": "string", "minLength": 40, "maxLength": 41},
        {"type": "string", "format": "date-time"},
        {"type": "string", "format": "email"},
        {"type": "array", "items": {"type": "boolean"}, "minItems": 4, "maxItems": 4},
        {"type": "string", "nullable": True, "enum": ["a", "b"]},
        {"allOf": [{"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}},
                   {"required": ["b"], "properties": {"b": {"type": "boolean"}}}]},
        {"oneOf": [{"type": "integer", "minimum": 10}, {"type": "integer", "maximum": -10}]},
    ],
)  # fmt: skip
def test_generated_values_respect_bounds_formats_and_combinations(schema: dict[str, Any]) -> None:
    validator = contract.validator(DOCUMENT, schema)
    rng = random.Random(1)
    for _ in range(50):
        value = samples.generate(schema, DOCUMENT, rng)
        assert list(validator.iter_errors(value)) == [], value
    assert samples.generate(schema, DOCUMENT, random.Random(9)) == samples.generate(
        schema, DOCUMENT, random.Random(9)
    )
