"""The field-drift rule: the properties of a response body that its (dereferenced) schema does not document,
each a near miss of a documented name (`owner_id` for `ownerId`) or simply undocumented, and the documented
property paths a body did return (for "documented but never returned").

Pure and cheap, since it runs on every response: a walk over the body that only looks at names missing from
their object's `properties`, with no imports from the rest of the kit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

NEAR_MISS: Literal["near_miss"] = "near_miss"
UNDOCUMENTED: Literal["undocumented"] = "undocumented"
ANY_ITEM = "*"  # an array's items in a property path: "/items/*/ownerId"
MAX_DEPTH = 64  # deeper than any JSON body the mock accepts; a guard against recursive schemas

_SEPARATORS = str.maketrans("", "", "_-. ")
_CONTAINERS = (dict, list)


@dataclass(frozen=True)
class Drift:
    """One property a response returned that its object's schema does not document.

    `kind` is "near_miss" when the name equals a documented one of the same object once case and separators
    (`_`, `-`, `.`, space) are ignored, and `documented` is that name; otherwise "undocumented" and None."""

    path: str
    name: str
    kind: Literal["near_miss", "undocumented"]
    documented: str | None = None

    def __str__(self) -> str:
        if self.documented is not None:
            return f"{self.path}: undocumented property {self.name!r}, a near miss of {self.documented!r}"
        return f"{self.path}: undocumented property {self.name!r}"


def normalised(name: str) -> str:
    """A property name without case or separators: `owner_id`, `ownerId` and `Owner-Id` are all "ownerid"."""
    return name.translate(_SEPARATORS).casefold()


def find(schema: dict[str, Any], body: Any, *, where: str = "") -> list[Drift]:
    """Every undocumented property of `body` against `schema`, in body order; paths are JSON pointers under
    `where` ("/items/0/owner_id")."""
    drifts: list[Drift] = []
    _walk(schema, body, where, drifts, None, "", 0)
    return drifts


def inspect(schema: dict[str, Any], body: Any, *, where: str = "") -> tuple[list[Drift], set[str]]:
    """`find`'s drifts, and the documented property paths the body returned (in `documented_paths`'s form)."""
    drifts: list[Drift] = []
    seen: dict[str, set[str]] = {}
    _walk(schema, body, where, drifts, seen, "", 0)
    return drifts, {shape + "/" + _escape(name) for shape, names in seen.items() for name in names}


def documented_paths(schema: dict[str, Any]) -> set[str]:
    """The property paths `schema` documents: "/items", "/items/*/ownerId", "/items/*/role/id"... (every
    branch of allOf, oneOf and anyOf; nothing under `additionalProperties`)."""
    paths: set[str] = set()
    _documented(schema, "", paths, 0)
    return paths


def dereferenced(document: dict[str, Any], schema: Any, *, _active: frozenset[str] = frozenset()) -> Any:
    """`schema` with every local `$ref` ("#/components/schemas/Group") replaced by a copy of its target in
    `document`; a reference back into itself (a recursive schema) becomes `{}`, which documents nothing."""
    if isinstance(schema, list):
        return [dereferenced(document, item, _active=_active) for item in schema]
    if not isinstance(schema, dict):
        return schema
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/"):
        if reference in _active:
            return {}
        target: Any = document
        for part in reference[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, dict) else None
        return dereferenced(document, target or {}, _active=_active | {reference})
    return {key: dereferenced(document, value, _active=_active) for key, value in schema.items()}


def _escape(name: str) -> str:
    if "~" in name or "/" in name:
        return name.replace("~", "~0").replace("/", "~1")
    return name


def _properties(schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The properties an object schema documents (allOf merged) and whether it declares extra names free."""
    properties: dict[str, Any] = dict(schema.get("properties") or {})
    free = _free(schema)
    for part in schema.get("allOf") or ():
        if isinstance(part, dict):
            more, more_free = _properties(part)
            properties.update(more)
            free = free or more_free
    return properties, free


def _free(schema: dict[str, Any]) -> bool:
    extra = schema.get("additionalProperties")
    return extra is True or isinstance(extra, dict)


def _is_object_schema(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object" or "properties" in schema or "allOf" in schema


_STRUCTURE = ("properties", "items", "allOf", "oneOf", "anyOf", "additionalProperties")


class _Plan(NamedTuple):
    """What the walk needs of one object schema, worked out once per schema."""

    properties: dict[str, Any]
    free: bool  # additionalProperties declared: extra names are documented as free
    extra: dict[str, Any] | None  # the schema of those extra values, if any
    nested: tuple[tuple[str, dict[str, Any]], ...]  # properties whose values can hold more properties
    lookup: dict[str, str]  # normalised name -> documented name


# id(schema) -> (schema, plan); the schema is kept so that its id is never reused while cached.
_PLANS: dict[int, tuple[dict[str, Any], _Plan | None]] = {}
_MAX_PLANS = 4096


def _plan_of(schema: dict[str, Any]) -> _Plan | None:
    cached = _PLANS.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    plan = None
    if _is_object_schema(schema):
        properties, free = _properties(schema)
        extra = schema.get("additionalProperties")
        nested = tuple(
            (name, child)
            for name, child in properties.items()
            if isinstance(child, dict) and any(key in child for key in _STRUCTURE)
        )
        lookup = {normalised(name): name for name in properties}
        plan = _Plan(properties, free, extra if isinstance(extra, dict) else None, nested, lookup)
    if len(_PLANS) >= _MAX_PLANS:
        _PLANS.clear()
    _PLANS[id(schema)] = (schema, plan)
    return plan


def _walk(
    schema: Any,
    body: Any,
    path: str,
    drifts: list[Drift],
    seen: dict[str, set[str]] | None,
    shape: str,
    depth: int,
) -> None:
    """Append the drifts of `body` at `path` to `drifts`; with `seen`, note there (shape -> names) the
    documented names each object returned."""
    if not isinstance(schema, dict) or body is None or depth > MAX_DEPTH:
        return
    branches = schema.get("oneOf") or schema.get("anyOf")
    if branches:
        _walk_branches(schema, branches, body, path, drifts, seen, shape, depth)
        return
    if isinstance(body, dict):
        plan = _plan_of(schema)
        if plan is None:
            return
        if seen is not None:
            returned = seen.get(shape)
            if returned is None:
                returned = seen[shape] = set()
            returned.update(body.keys() & plan.properties.keys())
        for name, child_schema in plan.nested:
            value = body.get(name)
            if isinstance(value, _CONTAINERS):
                step = "/" + _escape(name)
                _walk(child_schema, value, path + step, drifts, seen, shape + step, depth + 1)
        if len(body) <= len(plan.properties) and body.keys() <= plan.properties.keys():
            return  # the common case: every name documented
        for name, value in body.items():
            if name in plan.properties:
                continue
            child = path + "/" + _escape(name)
            if plan.free:
                if plan.extra is not None and isinstance(value, _CONTAINERS):
                    _walk(plan.extra, value, child, drifts, None, shape + "/" + ANY_ITEM, depth + 1)
                continue
            target = plan.lookup.get(normalised(name))
            if target is not None:
                drifts.append(Drift(child, name, NEAR_MISS, target))
            else:
                drifts.append(Drift(child, name, UNDOCUMENTED))
    elif isinstance(body, list):
        items = schema.get("items")
        if not isinstance(items, dict) or not body:
            return
        item_shape = shape + "/" + ANY_ITEM
        for index, value in enumerate(body):
            if isinstance(value, _CONTAINERS):
                _walk(items, value, f"{path}/{index}", drifts, seen, item_shape, depth + 1)


def _walk_branches(
    schema: dict[str, Any],
    branches: Iterable[Any],
    body: Any,
    path: str,
    drifts: list[Drift],
    seen: dict[str, set[str]] | None,
    shape: str,
    depth: int,
) -> None:
    """oneOf/anyOf: judge the body by the branch it drifts least from (the first such), with the schema's own
    properties (if any) merged into each branch."""
    own = {key: value for key, value in schema.items() if key not in ("oneOf", "anyOf")}
    best: tuple[list[Drift], dict[str, set[str]]] | None = None
    for branch in branches:
        if not isinstance(branch, dict):
            continue
        merged = {"allOf": [own, branch]} if own else branch
        branch_drifts: list[Drift] = []
        branch_seen: dict[str, set[str]] = {}
        _walk(merged, body, path, branch_drifts, branch_seen, shape, depth + 1)
        if best is None or len(branch_drifts) < len(best[0]):
            best = (branch_drifts, branch_seen)
        if not branch_drifts:
            break
    if best is not None:
        drifts.extend(best[0])
        if seen is not None:
            for shape_seen, names in best[1].items():
                seen.setdefault(shape_seen, set()).update(names)


def _documented(schema: Any, shape: str, paths: set[str], depth: int) -> None:
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key) or ():
            _documented(part, shape, paths, depth + 1)
    for name, child in (schema.get("properties") or {}).items():
        child_shape = shape + "/" + _escape(name)
        paths.add(child_shape)
        _documented(child, child_shape, paths, depth + 1)
    items = schema.get("items")
    if isinstance(items, dict):
        _documented(items, shape + "/" + ANY_ITEM, paths, depth + 1)
