"""Schemas as the diff sees them: `$ref`s followed, `allOf` merged into one set of constraints, annotations
(descriptions, examples, `x-` extensions) dropped, so that a refactor which accepts the same instances reads
the same. A View is one level of that; its properties, items and branches are expanded when visited."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..documents import resolve

# Keywords that constrain instances (OpenAPI 3.0's subset of JSON Schema, plus nullable and read/write-only).
BOUNDS_LOW = ("minimum", "minLength", "minItems", "minProperties")
BOUNDS_HIGH = ("maximum", "maxLength", "maxItems", "maxProperties")
SCALARS = ("type", "format", "default", "multipleOf", "uniqueItems", "readOnly", "writeOnly")


@dataclass(frozen=True)
class Node:
    """A schema as written, and where: its document's data and its JSON pointer in it."""

    schema: Any
    pointer: str
    root: dict[str, Any] = field(repr=False, compare=False, hash=False)


@dataclass
class View:
    """One schema level after `$ref` resolution and `allOf` merging."""

    pointer: str  # where the constraints were written (the resolved target, for a $ref)
    keywords: dict[str, Any] = field(default_factory=dict)
    null_ok: bool = True  # whether null is a valid instance (no type, or nullable)
    enum: list[Any] | None = None
    patterns: set[str] = field(default_factory=set)
    properties: dict[str, list[Node]] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    items: list[Node] = field(default_factory=list)
    additional: list[Node] = field(default_factory=list)  # additionalProperties as schemas
    closed: bool = False  # additionalProperties: false
    one_of: list[Node] | None = None
    any_of: list[Node] | None = None
    names: tuple[str, ...] = ()  # the component names of the $refs followed to get here
    title: str | None = None
    recursive: bool = False  # a $ref back to a schema already being expanded


def component_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def view(node: Node, stack: tuple[str, ...] = ()) -> View:
    """The merged constraints of `node`. `stack` holds the $refs being expanded above it (for cycles)."""
    schema, pointer, names = node.schema, node.pointer, []
    seen: set[str] = set()
    while isinstance(schema, dict) and "$ref" in schema:
        ref = schema["$ref"]
        if ref in stack or ref in seen:
            return View(pointer=pointer, names=(component_name(ref),), recursive=True)
        seen.add(ref)
        names.append(component_name(ref))
        pointer = ref[1:]
        schema = resolve(node.root, ref)
    if not isinstance(schema, dict):
        return View(pointer=pointer, names=tuple(names))
    result = _own(schema, pointer, node.root)
    result.names = tuple(names)
    stack = stack + (f"#{pointer}",)
    for index, part in enumerate(schema.get("allOf", [])):
        branch = view(Node(part, f"{pointer}/allOf/{index}", node.root), stack)
        _merge(result, branch)
    return result


def _own(schema: dict[str, Any], pointer: str, root: dict[str, Any]) -> View:
    result = View(pointer=pointer, title=schema.get("title"))
    for key in SCALARS + BOUNDS_LOW + BOUNDS_HIGH:
        if key in schema:
            result.keywords[key] = schema[key]
    for key in ("exclusiveMinimum", "exclusiveMaximum"):
        if schema.get(key) is True:
            result.keywords[key] = True
    result.null_ok = "type" not in schema or schema.get("nullable") is True
    if "enum" in schema:
        result.enum = [v for v in schema["enum"] if v is not None]  # null is told by null_ok
    if "pattern" in schema:
        result.patterns = {schema["pattern"]}
    for name, prop in schema.get("properties", {}).items():
        result.properties[name] = [Node(prop, f"{pointer}/properties/{_escape(name)}", root)]
    result.required = set(schema.get("required", []))
    if "items" in schema:
        result.items = [Node(schema["items"], f"{pointer}/items", root)]
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        result.additional = [Node(extra, f"{pointer}/additionalProperties", root)]
    result.closed = extra is False
    for key in ("oneOf", "anyOf"):
        if key in schema:
            branches = [Node(b, f"{pointer}/{key}/{i}", root) for i, b in enumerate(schema[key])]
            setattr(result, "one_of" if key == "oneOf" else "any_of", branches)
    return result


def _merge(into: View, other: View) -> None:
    """`allOf`: an instance must satisfy both, so constraints combine to the stricter."""
    if other.recursive:
        into.recursive = True
    for key, value in other.keywords.items():
        mine = into.keywords.get(key)
        if mine is None:
            into.keywords[key] = value
        elif key in BOUNDS_LOW:
            into.keywords[key] = max(mine, value)
        elif key in BOUNDS_HIGH:
            into.keywords[key] = min(mine, value)
        elif key == "type" and {mine, value} == {"integer", "number"}:
            into.keywords[key] = "integer"
        elif key in ("readOnly", "writeOnly", "uniqueItems", "exclusiveMinimum", "exclusiveMaximum"):
            into.keywords[key] = bool(mine or value)
    into.null_ok = into.null_ok and other.null_ok
    if other.enum is not None:
        if into.enum is None:
            into.enum = list(other.enum)
        else:
            keys = {canonical_value(v) for v in other.enum}
            into.enum = [v for v in into.enum if canonical_value(v) in keys]
    into.patterns |= other.patterns
    for name, nodes in other.properties.items():
        into.properties.setdefault(name, []).extend(nodes)
    into.required |= other.required
    into.items.extend(other.items)
    into.additional.extend(other.additional)
    into.closed = into.closed or other.closed
    if into.one_of is None:
        into.one_of = other.one_of
    if into.any_of is None:
        into.any_of = other.any_of
    into.names = into.names + other.names
    into.title = into.title or other.title


def merged(nodes: list[Node], stack: tuple[str, ...] = ()) -> View:
    """The View of several schemas that must all hold (a property declared in two `allOf` branches)."""
    result = view(nodes[0], stack)
    for node in nodes[1:]:
        _merge(result, view(node, stack))
    return result


def canonical(node_or_nodes: Node | list[Node], stack: tuple[str, ...] = (), depth: int = 0) -> Any:
    """A JSON-comparable form of the instances a schema accepts: two schemas with equal canonical forms
    are the same schema, whatever their `$ref`s, `allOf` splits, order or annotations."""
    nodes = node_or_nodes if isinstance(node_or_nodes, list) else [node_or_nodes]
    current = merged(nodes, stack)
    if current.recursive or depth > 40:
        return {"$recursive": current.names[-1:] or current.pointer}
    inner = stack + (f"#{current.pointer}",)
    form: dict[str, Any] = dict(sorted(current.keywords.items()))
    form["null"] = current.null_ok
    if current.enum is not None:
        form["enum"] = sorted(canonical_value(v) for v in current.enum)
    if current.patterns:
        form["patterns"] = sorted(current.patterns)
    if current.properties:
        form["properties"] = {
            name: canonical(current.properties[name], inner, depth + 1) for name in sorted(current.properties)
        }
    if current.required:
        form["required"] = sorted(current.required)
    if current.items:
        form["items"] = canonical(current.items, inner, depth + 1)
    if current.additional:
        form["additional"] = canonical(current.additional, inner, depth + 1)
    form["closed"] = current.closed
    for key, branches in (("oneOf", current.one_of), ("anyOf", current.any_of)):
        if branches is not None:
            forms = [json.dumps(canonical(b, inner, depth + 1), sort_keys=True) for b in branches]
            form[key] = sorted(forms)
    return form


def canonical_value(value: Any) -> str:
    """An enum or default value as comparable text (`1` and `true` stay different)."""
    return json.dumps(value, sort_keys=True)


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")
