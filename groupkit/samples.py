"""Bodies generated from a contract schema for `Prefer: dynamic=true` (`groupkit.prefer`): random but valid
against the schema, and reproducible from a seeded `random.Random`.

It covers what OpenAPI 3.0 schemas of this kind use: `$ref` within the document, objects (every required
property, and each optional one more often than not), arrays (within `minItems`/`maxItems`, 1 to 3 items
otherwise), strings (`enum`, the formats `date`, `date-time`, `email`, `uuid`, length bounds; a property named `id` or
`...Id` gets a UUID), integers and
numbers (within their bounds), booleans, `nullable`, `allOf` (merged) and `oneOf`/`anyOf` (one branch). A
schema nested deeper than `MAX_DEPTH` gets its smallest valid value.
"""

from __future__ import annotations

import datetime
import random
import uuid
from typing import Any

MAX_DEPTH = 8
WORDS = (
    "amber", "north", "reefer", "harbour", "sensor", "lyon", "fleet", "cold", "chain", "depot", "river",
    "signal", "trailer", "meadow", "atlas", "cobalt", "delta", "ember", "falcon", "granite",
)  # fmt: skip
EPOCH = datetime.date(2020, 1, 1)


def generate(schema: dict[str, Any], document: dict[str, Any], rng: random.Random) -> Any:
    """A value valid against `schema`, whose `$ref`s point into `document`."""
    return _value(schema, document, rng, 0)


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in schema:
        target: Any = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        schema, seen = target, seen + 1
        if seen > 64:
            raise ValueError(f"a $ref cycle through {schema.get('$ref')}")
    return schema


def _merged(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its `allOf` branches folded in (properties and required lists united)."""
    schema = _resolve(schema, document)
    if "allOf" not in schema:
        return schema
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for branch in schema["allOf"]:
        part = _merged(branch, document)
        for key, value in part.items():
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = sorted({*merged.get("required", []), *value})
            else:
                merged.setdefault(key, value)
    return merged


def _value(
    schema: dict[str, Any], document: dict[str, Any], rng: random.Random, depth: int, name: str = ""
) -> Any:
    schema = _merged(schema, document)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return _value(rng.choice(schema[key]), document, rng, depth + 1)
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema.get("type") or ("object" if "properties" in schema else "string")
    if schema.get("nullable") and rng.random() < 0.1:
        return None
    if kind == "object":
        return _object(schema, document, rng, depth)
    if kind == "array":
        return _array(schema, document, rng, depth)
    if kind == "integer":
        low, high = _bounds(schema, 0, 1000)
        return rng.randint(int(low), int(high))
    if kind == "number":
        low, high = _bounds(schema, 0.0, 1000.0)
        return round(rng.uniform(low, high), 2) if high - low >= 0.01 else low
    if kind == "boolean":
        return rng.random() < 0.5
    return _string(schema, rng, name)


def _bounds(schema: dict[str, Any], low: float, high: float) -> tuple[float, float]:
    """The inclusive range a number may take: its bounds (exclusive ones moved in by 1), else low..high."""
    minimum, maximum = schema.get("minimum"), schema.get("maximum")
    if minimum is not None:
        low = minimum + (1 if schema.get("exclusiveMinimum") else 0)
        high = max(high, low)
    if maximum is not None:
        high = maximum - (1 if schema.get("exclusiveMaximum") else 0)
        low = min(low, high)
    return low, high


def _object(schema: dict[str, Any], document: dict[str, Any], rng: random.Random, depth: int) -> Any:
    required = set(schema.get("required", []))
    result: dict[str, Any] = {}
    for name, sub in schema.get("properties", {}).items():
        if name in required or (depth < MAX_DEPTH and rng.random() < 0.7):
            result[name] = _value(sub, document, rng, depth + 1, name)
    return result


def _array(schema: dict[str, Any], document: dict[str, Any], rng: random.Random, depth: int) -> Any:
    low = schema.get("minItems", 0 if depth >= MAX_DEPTH else 1)
    high = schema.get("maxItems", max(low, 3 if depth < MAX_DEPTH else low))
    items = schema.get("items", {})
    return [_value(items, document, rng, depth + 1) for _ in range(rng.randint(low, max(low, high)))]


def _string(schema: dict[str, Any], rng: random.Random, name: str) -> str:
    fmt = schema.get("format")
    if fmt is None and (name == "id" or name.endswith("Id")) and "maxLength" not in schema:
        fmt = "uuid"  # a property named like an id reads like one
    if fmt == "date":
        return (EPOCH + datetime.timedelta(days=rng.randrange(2500))).isoformat()
    if fmt == "date-time":
        moment = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
            seconds=rng.randrange(2500 * 86400)
        )
        return moment.isoformat().replace("+00:00", "Z")
    if fmt == "email":
        return f"{rng.choice(WORDS)}.{rng.choice(WORDS)}@example.com"
    if fmt == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    low, high = schema.get("minLength", 1), schema.get("maxLength")
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3))).capitalize()
    while len(text) < low:
        text += rng.choice(WORDS)
    return text[:high] if high is not None else text
