"""The lint checks for response links: each value a valid runtime expression, and each link naming a real
operation, its parameters and request-body fields, and fields that the response body has."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..documents import Document, pointer, resolve
from . import walk
from .walk import Hit, each_operation

EXPRESSION = re.compile(
    r"^\$(url|method|statusCode|(request|response)\.(header\.[!#$%&'*+.^_`|~0-9A-Za-z-]+"
    r"|query\.[^\s]+|path\.[^\s]+|body(#(/[^/]*)*)?))$"
)


def _links(document: Document) -> Iterator[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    """(pointer, link, the response schema it reads from) for every link of every operation response."""
    for at, operation in each_operation(document.data):
        for status, response in (operation.get("responses") or {}).items():
            response_at = f"{at}/responses{pointer(str(status))}"
            response = walk.deref(document.data, response)
            if not isinstance(response, dict):
                continue
            media = (response.get("content") or {}).get("application/json") or {}
            for name, link in (response.get("links") or {}).items():
                link = walk.deref(document.data, link)
                if isinstance(link, dict):
                    yield f"{response_at}/links{pointer(name)}", link, media.get("schema")


def _values(link: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for name, value in (link.get("parameters") or {}).items():
        yield f"/parameters{pointer(name)}", value
    body = link.get("requestBody")
    if isinstance(body, dict):
        for name, value in body.items():
            yield f"/requestBody{pointer(name)}", value
    elif body is not None:
        yield "/requestBody", body


def links_expression(document: Document) -> Iterator[Hit]:
    for at, link, _ in _links(document):
        for where, value in _values(link):
            if isinstance(value, str) and value.startswith("$") and not EXPRESSION.match(value):
                yield (
                    at + where,
                    f"'{value}' is not a runtime expression ($url, $method, $statusCode, $request., $response.)",
                )


def _schema_has(document: Document, schema: Any, parts: list[str]) -> bool:
    """Whether the JSON pointer `parts` can name a value of an instance of `schema`."""
    node = walk.deref(document.data, schema)
    for part in parts:
        if not isinstance(node, dict):
            return False
        if node.get("type") == "array" or "items" in node:
            if not part.isdigit():
                return False
            node = walk.deref(document.data, node.get("items"))
            continue
        properties = dict(node.get("properties") or {})
        for branch in node.get("allOf") or []:
            properties.update((walk.deref(document.data, branch) or {}).get("properties") or {})
        if part not in properties:
            return node.get("additionalProperties") not in (None, False) and not properties
        node = walk.deref(document.data, properties[part])
    return True


def link_target(document: Document) -> Iterator[Hit]:
    by_id: dict[str, dict[str, Any]] = {}
    for _, operation in each_operation(document.data):
        if operation.get("operationId"):
            by_id.setdefault(operation["operationId"], operation)  # a duplicate id is its own rule
    for at, link, response_schema in _links(document):
        target: Any = by_id.get(str(link["operationId"])) if "operationId" in link else None
        if "operationRef" in link:
            target = resolve(document.data, str(link["operationRef"]))
        if not isinstance(target, dict):
            name = link.get("operationId") or link.get("operationRef")
            yield at, f"the link's target operation '{name}' does not exist"
            continue
        names = set()
        for parameter in target.get("parameters") or []:
            parameter = walk.deref(document.data, parameter) or {}
            names |= {parameter.get("name"), f"{parameter.get('in')}.{parameter.get('name')}"}
        for name in link.get("parameters") or {}:
            if name not in names:
                yield f"{at}/parameters{pointer(name)}", f"the target operation has no parameter '{name}'"
        body = (walk.deref(document.data, target.get("requestBody")) or {}).get("content", {})
        body_schema = walk.deref(document.data, (body.get("application/json") or {}).get("schema"))
        fields = (body_schema or {}).get("properties") if isinstance(body_schema, dict) else None
        if isinstance(link.get("requestBody"), dict) and fields is not None:
            for name in link["requestBody"]:
                if name not in fields:
                    yield (
                        f"{at}/requestBody{pointer(name)}",
                        f"the target's request body has no field '{name}'",
                    )
        for where, value in _values(link):
            if isinstance(value, str) and value.startswith("$response.body#") and response_schema is not None:
                parts = [
                    p.replace("~1", "/").replace("~0", "~") for p in value.split("#", 1)[1].split("/")[1:]
                ]
                if not _schema_has(document, response_schema, parts):
                    yield at + where, f"'{value}' names no field of the response body"
