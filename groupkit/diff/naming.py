"""Naming a change: which rule id an aspect of a schema change has at the place the schema sits (parameter,
request body, response), and the message and location of the finding it becomes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..documents import pointer
from .comparer import Change, Comparer
from .rules import RULES
from .schemas import Node

# When the place has no id for an aspect, the nearest id that says the same (oasdiff names a min set where
# none was as `min-set` for some places only; elsewhere a new bound is an increase from nothing).
ASPECT_FALLBACK = {
    "min-set": "min-increased",
    "min-unset": "min-decreased",
    "max-set": "max-decreased",
    "max-unset": "max-increased",
    "min-length-set": "min-length-increased",
    "min-length-unset": "min-length-decreased",
    "max-length-set": "max-length-decreased",
    "max-length-unset": "max-length-increased",
    "min-items-set": "min-items-increased",
    "min-items-unset": "min-items-decreased",
    "max-items-set": "max-items-decreased",
    "max-items-unset": "max-items-increased",
}
PROPERTY_RULES = {
    "request": {
        "property-added-required": "new-required-request-property",
        "property-added-required-with-default": "new-required-request-property-with-default",
        "property-added-optional": "new-optional-request-property",
        "property-removed-required": "request-property-removed",
        "property-removed-optional": "request-property-removed",
        "property-became-required": "request-property-became-required",
        "property-became-required-with-default": "request-property-became-required-with-default",
        "property-became-optional": "request-property-became-optional",
    },
    "response": {
        "property-added-required": "response-required-property-added",
        "property-added-required-with-default": "response-required-property-added",
        "property-added-optional": "response-optional-property-added",
        "property-removed-required": "response-required-property-removed",
        "property-removed-optional": "response-optional-property-removed",
        "property-became-required": "response-property-became-required",
        "property-became-required-with-default": "response-property-became-required",
        "property-became-optional": "response-property-became-optional",
    },
}
NESTING = ("properties", "items", "additionalProperties")


@dataclass(frozen=True)
class Raw:
    """A change before levels and exemptions: rule id, message, the logical location, and where to show it."""

    rule: str
    message: str
    location: str
    side: str
    pointer: str
    operation: str | None = None
    path: str | None = None


def rule_for(place: str, aspect: str, where: tuple[str, ...]) -> str | None:
    """The rule id for `aspect` found in a schema at `place` (parameter, body or response), or None when
    no rule covers it (a narrowing in a response, a widening oasdiff does not name)."""
    direction = "response" if place == "response" else "request"
    if aspect.startswith("property-"):
        return None if place == "parameter" else PROPERTY_RULES[direction][aspect]
    nested = any(part in NESTING for part in where)
    prefixes = {
        "parameter": ["request-parameter"],
        "body": ["request-property", "request-body"] if nested else ["request-body", "request-property"],
        "response": ["response-property", "response-body"]
        if nested
        else ["response-body", "response-property"],
    }[place]
    for candidate in (aspect, ASPECT_FALLBACK.get(aspect)):
        for prefix in prefixes:
            if candidate and f"{prefix}-{candidate}" in RULES:
                return f"{prefix}-{candidate}"
    return None


Emitted = tuple[str, str, str, str, str]  # rule, message, location within the operation, side, pointer


def schema_changes(
    place: str, old: Node, new: Node, subject: str, where: str, loose: bool = False
) -> Iterator[Emitted]:
    """The changes between two schemas at `place`, each as (rule, message, location, side, pointer)."""
    comparer = Comparer("response" if place == "response" else "request", loose=loose)
    for change in comparer.compare([old], [new]):
        rule = rule_for(place, change.aspect, change.where)
        if rule is None:
            continue
        yield rule, _message(subject, change), _location(where, change), change.side, change.pointer


def _message(subject: str, change: Change) -> str:
    inner = "/".join(part for part in change.where if part != "properties")
    if change.aspect.startswith("property-"):
        return f"{subject}: the property '{inner}' {change.message}"
    return f"{subject}{f', property {inner!r}' if inner else ''}: {change.message}"


def _location(where: str, change: Change) -> str:
    return where + pointer(*change.where) + (f"#{change.key}" if change.key else "")
