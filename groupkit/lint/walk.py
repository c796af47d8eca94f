"""Walking an OpenAPI 3.0 document for the lint rules: its operations, every schema where it is written
(without following `$ref`s), the examples beside each schema, and the components that `$ref`s reach."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..documents import pointer, resolve

Hit = tuple[str, str]  # a rule's finding: (JSON pointer, message)
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SCHEMA_LISTS = ("allOf", "oneOf", "anyOf")
SCHEMA_SINGLES = ("items", "not", "additionalProperties")
COMPONENT_KINDS = (
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "links",
    "callbacks",
)


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) for every operation, in document order."""
    for path, item in (document.get("paths") or {}).items():
        if isinstance(item, dict):
            for method in METHODS:
                if isinstance(item.get(method), dict):
                    yield path, method, item[method]


def each_operation(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(JSON pointer, operation) for every operation."""
    for path, method, operation in operations(document):
        yield pointer("paths", path, method), operation


def deref(document: dict[str, Any], node: Any) -> Any:
    seen = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"] not in seen:
        seen.add(node["$ref"])
        node = resolve(document, node["$ref"])
    return node


def schemas(schema: Any, at: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema written at or below `at` (properties, items, compositions), `$ref`s not followed."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return
    yield at, schema
    for name, prop in (schema.get("properties") or {}).items():
        yield from schemas(prop, f"{at}/properties{pointer(name)}")
    for key in SCHEMA_SINGLES:
        yield from schemas(schema.get(key), f"{at}/{key}")
    for key in SCHEMA_LISTS:
        for index, branch in enumerate(schema.get(key) or []):
            yield from schemas(branch, f"{at}/{key}/{index}")


def holders(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(kind, pointer, object) for every object that carries a schema and may carry examples: parameters,
    media types and headers, in components and in operations; kind is `parameter`, `media` or `header`."""
    components = document.get("components") or {}
    for name, parameter in (components.get("parameters") or {}).items():
        yield "parameter", pointer("components", "parameters", name), parameter
    for name, header in (components.get("headers") or {}).items():
        yield "header", pointer("components", "headers", name), header
    for kind in ("responses", "requestBodies"):
        for name, holder in (components.get(kind) or {}).items():
            yield from _media(holder, pointer("components", kind, name))
    for path, method, operation in operations(document):
        here = pointer("paths", path, method)
        for index, parameter in enumerate(operation.get("parameters") or []):
            yield "parameter", f"{here}/parameters/{index}", parameter
        yield from _media(operation.get("requestBody"), f"{here}/requestBody")
        for status, response in (operation.get("responses") or {}).items():
            yield from _media(response, f"{here}/responses{pointer(str(status))}")
    for path, item in (document.get("paths") or {}).items():
        for index, parameter in enumerate((item or {}).get("parameters") or []):
            yield "parameter", f"{pointer('paths', path)}/parameters/{index}", parameter


def _media(holder: Any, at: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    if not isinstance(holder, dict) or "$ref" in holder:
        return
    for mime, media in (holder.get("content") or {}).items():
        if isinstance(media, dict):
            yield "media", f"{at}/content{pointer(mime)}", media
    for name, header in (holder.get("headers") or {}).items():
        if isinstance(header, dict) and "$ref" not in header:
            yield "header", f"{at}/headers{pointer(name)}", header


def all_schemas(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema written anywhere in the document."""
    for name, schema in ((document.get("components") or {}).get("schemas") or {}).items():
        yield from schemas(schema, pointer("components", "schemas", name))
    for _, at, holder in holders(document):
        if isinstance(holder, dict) and "$ref" not in holder:
            yield from schemas(holder.get("schema"), f"{at}/schema")


def refs(node: Any, at: str = "") -> Iterator[tuple[str, str]]:
    """(pointer of the `$ref`, its value) for every `$ref` at or below `node`."""
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield f"{at}/$ref", node["$ref"]
        for key, value in node.items():
            if key != "$ref":
                yield from refs(value, f"{at}{pointer(str(key))}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from refs(value, f"{at}/{index}")


def used_components(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(kind, name) of every component that a `$ref` reaches from outside `components`, transitively."""
    components = document.get("components") or {}
    outside = {k: v for k, v in document.items() if k != "components"}
    pending = [value for _, value in refs(outside)]
    pending += [
        value for kind, group in components.items() if kind not in COMPONENT_KINDS for _, value in refs(group)
    ]
    used: set[tuple[str, str]] = set()
    while pending:
        ref = pending.pop()
        parts = ref.split("/")
        if len(parts) < 4 or parts[:2] != ["#", "components"]:
            continue
        key = (parts[2], parts[3].replace("~1", "/").replace("~0", "~"))
        if key in used:
            continue
        used.add(key)
        target = (components.get(key[0]) or {}).get(key[1])
        pending.extend(value for _, value in refs(target))
    return used
