"""Comparing two contracts operation by operation: operations and paths removed or added, and, for each
operation in both, its id, tags and deprecation, then its parameters, body and responses (`payloads`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..documents import Document, pointer
from . import payloads
from .naming import Raw

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(path, method) -> operation; the path-level parameters are kept under `x-path-parameters`."""
    found = {}
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            if isinstance(item.get(method), dict):
                found[(path, method)] = item[method] | {"x-path-parameters": item.get("parameters", [])}
    return found


def template(path: str) -> str:
    """`/a/{id}` and `/a/{key}` are one path: parameter names do not change a URL."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def compare_operations(base: Document, head: Document) -> Iterator[Raw]:
    old, new = operations(base.data), operations(head.data)
    new_paths = {template(p): p for p, _ in new}
    old_paths = {template(p): p for p, _ in old}
    new_by_template = {(template(p), m): (p, m) for p, m in new}
    for (path, method), operation in old.items():
        label = f"{method.upper()} {path}"
        here = pointer("paths", path, method)
        if (template(path), method) in new_by_template:
            head_key = new_by_template[(template(path), method)]
            yield from _operation(base, head, (path, method), head_key, operation, new[head_key])
            continue
        deprecated = "with" if operation.get("deprecated") else "without"
        scope = "api-path" if template(path) not in new_paths else "api"
        text = "the path was removed" if scope == "api-path" else "the operation was removed"
        message = f"{label}: {text} {'after' if deprecated == 'with' else 'without'} deprecation"
        yield Raw(f"{scope}-removed-{deprecated}-deprecation", message, label, "base", here, label, path)
    for (path, method), _operation_data in new.items():
        if (template(path), method) not in {(template(p), m) for p, m in old}:
            label = f"{method.upper()} {path}"
            yield Raw(
                "endpoint-added",
                f"{label}: the operation was added",
                label,
                "head",
                pointer("paths", path, method),
                label,
                path,
            )
    del old_paths


def _operation(
    base: Document,
    head: Document,
    base_key: tuple[str, str],
    head_key: tuple[str, str],
    old: dict[str, Any],
    new: dict[str, Any],
) -> Iterator[Raw]:
    path, method = head_key
    label = f"{method.upper()} {path}"
    head_here = pointer("paths", *head_key)
    base_here = pointer("paths", *base_key)

    def raw(rule: str, message: str, where: str, side: str, at: str) -> Raw:
        return Raw(rule, f"{label}: {message}", f"{label} {where}".rstrip(), side, at, label, path)

    if old.get("operationId") != new.get("operationId"):
        if old.get("operationId"):
            text = (
                f"the operationId '{old['operationId']}' was removed or renamed to '{new.get('operationId')}'"
            )
            yield raw("api-operation-id-removed", text, "/operationId", "head", head_here)
        else:
            yield raw(
                "api-operation-id-added",
                f"the operationId '{new['operationId']}' was added",
                "/operationId",
                "head",
                head_here,
            )
    for tag in [t for t in old.get("tags", []) if t not in new.get("tags", [])]:
        yield raw(
            "api-tag-removed", f"the tag '{tag}' was removed", f"/tags/{tag}", "base", base_here + "/tags"
        )
    for tag in [t for t in new.get("tags", []) if t not in old.get("tags", [])]:
        yield raw("api-tag-added", f"the tag '{tag}' was added", f"/tags/{tag}", "head", head_here + "/tags")
    if bool(old.get("deprecated")) != bool(new.get("deprecated")):
        rule = "endpoint-deprecated" if new.get("deprecated") else "endpoint-reactivated"
        yield raw(
            rule,
            "the operation was deprecated"
            if new.get("deprecated")
            else "the operation is no longer deprecated",
            "/deprecated",
            "head",
            head_here,
        )
    for part in (payloads.parameters, payloads.request_body, payloads.responses):
        for change in part(base, head, old, new, base_here, head_here):
            yield raw(*change)
