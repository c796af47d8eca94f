"""The parts of one operation a client sends and receives, compared: parameters, the request body and the
responses, each schema through `naming.schema_changes`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..documents import Document, follow, pointer
from .naming import Emitted, schema_changes
from .schemas import Node


def _parameter_map(
    document: Document, operation: dict[str, Any], here: str
) -> dict[tuple[str, str], tuple[dict[str, Any], str]]:
    found: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
    sources = [(operation.get("x-path-parameters", []), here.rsplit("/", 1)[0] + "/parameters")]
    sources.append((operation.get("parameters", []), here + "/parameters"))
    for parameters, at in sources:
        for index, raw_parameter in enumerate(parameters or []):
            parameter, target = follow(document.data, raw_parameter)
            if not isinstance(parameter, dict) or "name" not in parameter:
                continue
            where = parameter.get("in", "query")
            name = parameter["name"].lower() if where == "header" else parameter["name"]
            found[(where, name)] = (parameter, target or f"{at}/{index}")
    return found


def _parameter_schema(document: Document, parameter: dict[str, Any], at: str) -> Node | None:
    """A parameter's schema: under `schema`, or under its one media type in `content`."""
    if "schema" in parameter:
        return Node(parameter["schema"], f"{at}/schema", document.data)
    for media, content in (parameter.get("content") or {}).items():
        if isinstance(content, dict) and "schema" in content:
            return Node(content["schema"], f"{at}/content{pointer(media)}/schema", document.data)
    return None


def parameters(
    base: Document, head: Document, old: dict[str, Any], new: dict[str, Any], base_here: str, head_here: str
) -> Iterator[Emitted]:
    before, after = _parameter_map(base, old, base_here), _parameter_map(head, new, head_here)
    for key, (parameter, at) in before.items():
        where, name = key
        subject = f"the {where} request parameter '{parameter['name']}'"
        location = f"/parameters/{where}/{name}"
        if key not in after:
            yield "request-parameter-removed", f"{subject} was removed", location, "base", at
            continue
        current, head_at = after[key]
        if current.get("required", False) and not parameter.get("required", False):
            yield "request-parameter-became-required", f"{subject} became required", location, "head", head_at
        elif parameter.get("required", False) and not current.get("required", False):
            yield "request-parameter-became-optional", f"{subject} became optional", location, "head", head_at
        old_schema = _parameter_schema(base, parameter, at)
        new_schema = _parameter_schema(head, current, head_at)
        if old_schema and new_schema:
            # A parameter with a `schema` travels as text (style-serialized), one with `content` as a document.
            loose = "schema" in current
            yield from schema_changes("parameter", old_schema, new_schema, subject, location, loose=loose)
    for key, (parameter, at) in after.items():
        if key in before:
            continue
        where, name = key
        subject = f"the {where} request parameter '{parameter['name']}'"
        if where == "path":
            rule = "new-request-path-parameter"
        elif parameter.get("required", False):
            rule = "new-required-request-parameter"
        else:
            rule = "new-optional-request-parameter"
        yield rule, f"{subject} was added", f"/parameters/{where}/{name}", "head", at


def request_body(
    base: Document, head: Document, old: dict[str, Any], new: dict[str, Any], base_here: str, head_here: str
) -> Iterator[Emitted]:
    before, before_at = follow(base.data, old.get("requestBody"))
    after, after_at = follow(head.data, new.get("requestBody"))
    base_at, head_at = before_at or base_here + "/requestBody", after_at or head_here + "/requestBody"
    if not isinstance(before, dict) and not isinstance(after, dict):
        return
    if not isinstance(after, dict):
        yield "request-body-removed", "the request body was removed", "/requestBody", "base", base_at
        return
    if not isinstance(before, dict):
        rule = "request-body-added-required" if after.get("required") else "request-body-added-optional"
        yield rule, "a request body was added", "/requestBody", "head", head_at
        return
    if after.get("required") and not before.get("required"):
        yield (
            "request-body-became-required",
            "the request body became required",
            "/requestBody",
            "head",
            head_at,
        )
    elif before.get("required") and not after.get("required"):
        yield (
            "request-body-became-optional",
            "the request body became optional",
            "/requestBody",
            "head",
            head_at,
        )
    yield from _content(
        "body", base, head, before, after, base_at, head_at, "/requestBody", "the request body"
    )


def _content(
    place: str,
    base: Document,
    head: Document,
    before: dict[str, Any],
    after: dict[str, Any],
    base_at: str,
    head_at: str,
    where: str,
    subject: str,
) -> Iterator[Emitted]:
    prefix = "request-body" if place == "body" else "response"
    old, new = before.get("content") or {}, after.get("content") or {}
    for media in old:
        location = f"{where}/content/{pointer(media)[1:]}"
        if media not in new:
            yield (
                f"{prefix}-media-type-removed",
                f"{subject}: the media type {media} was removed",
                location,
                "base",
                f"{base_at}/content/{pointer(media)[1:]}",
            )
            continue
        old_media, new_media = old[media] or {}, new[media] or {}
        old_at, new_at = f"{base_at}/content/{pointer(media)[1:]}", f"{head_at}/content/{pointer(media)[1:]}"
        schema_rule = "request-body" if place == "body" else "response-body"
        if "schema" in old_media and "schema" not in new_media:
            yield (
                f"{schema_rule}-media-type-schema-removed",
                f"{subject} ({media}): the schema was removed",
                location,
                "base",
                old_at,
            )
        elif "schema" in new_media and "schema" not in old_media:
            yield (
                f"{schema_rule}-media-type-schema-added",
                f"{subject} ({media}): a schema was added",
                location,
                "head",
                new_at,
            )
        elif "schema" in old_media:
            old_node = Node(old_media["schema"], f"{old_at}/schema", base.data)
            new_node = Node(new_media["schema"], f"{new_at}/schema", head.data)
            yield from schema_changes(place, old_node, new_node, f"{subject} ({media})", f"{location}/schema")
    for media in new:
        if media not in old:
            location = f"{where}/content/{pointer(media)[1:]}"
            yield (
                f"{prefix}-media-type-added",
                f"{subject}: the media type {media} was added",
                location,
                "head",
                f"{head_at}/content/{pointer(media)[1:]}",
            )


def responses(
    base: Document, head: Document, old: dict[str, Any], new: dict[str, Any], base_here: str, head_here: str
) -> Iterator[Emitted]:
    before, after = old.get("responses") or {}, new.get("responses") or {}
    for status, raw_response in before.items():
        kind = "success" if str(status).startswith("2") else "non-success"
        location = f"/responses/{status}"
        if status not in after:
            yield (
                f"response-{kind}-status-removed",
                f"the {kind} response {status} was removed",
                location,
                "base",
                f"{base_here}/responses/{status}",
            )
            continue
        response, response_at = follow(base.data, raw_response)
        current, current_at = follow(head.data, after[status])
        if isinstance(response, dict) and isinstance(current, dict):
            yield from _content(
                "response",
                base,
                head,
                response,
                current,
                response_at or f"{base_here}/responses/{status}",
                current_at or f"{head_here}/responses/{status}",
                location,
                f"the response {status}",
            )
    for status in after:
        if status not in before:
            kind = "success" if str(status).startswith("2") else "non-success"
            yield (
                f"response-{kind}-status-added",
                f"the {kind} response {status} was added",
                f"/responses/{status}",
                "head",
                f"{head_here}/responses/{status}",
            )
