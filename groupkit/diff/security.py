"""Comparing security: the document's and each operation's requirements (oasdiff's INFO rules, named per
requirement and scope), the security schemes, and whether a client that was let in is still let in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..documents import Document, pointer
from .naming import Raw
from .operations import operations, template

ANNOTATIONS = ("description",)


def _requirements(value: Any) -> list[dict[str, list[str]]]:
    return [r for r in value or [] if isinstance(r, dict)]


def _name(requirement: dict[str, list[str]]) -> str:
    return " AND ".join(sorted(requirement)) or "(none)"


def _by_name(requirements: list[dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
    return {_name(r): r for r in requirements}


def _requirement_changes(
    old: list[dict[str, list[str]]], new: list[dict[str, list[str]]], prefix: str
) -> Iterator[tuple[str, str, str]]:
    """(rule, message, key) for each requirement or scope added or removed."""
    before, after = _by_name(old), _by_name(new)
    scope = "api-global-security" if prefix == "global" else "api-security"
    for name in before.keys() - after.keys():
        yield f"{scope}-removed", f"the security requirement {name} was removed", name
    for name in after.keys() - before.keys():
        yield f"{scope}-added", f"the security requirement {name} was added", name
    for name in before.keys() & after.keys():
        for scheme in sorted(before[name]):
            old_scopes, new_scopes = set(before[name][scheme] or []), set(after[name].get(scheme) or [])
            for added in sorted(new_scopes - old_scopes):
                yield f"{scope}-scope-added", f"the scope '{added}' was added to {scheme}", f"{name}#{added}"
            for removed in sorted(old_scopes - new_scopes):
                yield (
                    f"{scope}-scope-removed",
                    f"the scope '{removed}' was removed from {scheme}",
                    f"{name}#{removed}",
                )


def _schemes(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    return {name: s for name, s in schemes.items() if isinstance(s, dict)}


def _identity(scheme: dict[str, Any]) -> dict[str, Any]:
    """What a client must send for a scheme: its definition without descriptions and extensions."""
    return {k: v for k, v in scheme.items() if k not in ANNOTATIONS and not k.startswith("x-")}


def _satisfied(
    held: dict[str, list[str]],
    held_schemes: dict[str, Any],
    wanted: dict[str, list[str]],
    wanted_schemes: dict[str, Any],
) -> bool:
    """Whether a client holding the credentials of requirement `held` (as BASE defines them) meets `wanted`
    (as HEAD defines it): every scheme HEAD asks for is one the client has, with no scope it lacks."""
    for name, scopes in wanted.items():
        match = [
            held_name
            for held_name in held
            if held_name in held_schemes
            and name in wanted_schemes
            and _identity(held_schemes[held_name]) == _identity(wanted_schemes[name])
            and set(scopes or []) <= set(held[held_name] or [])
        ]
        if not match:
            return False
    return True


def compare_security(base: Document, head: Document) -> Iterator[Raw]:
    old_root, new_root = _requirements(base.data.get("security")), _requirements(head.data.get("security"))
    for rule, message, key in _requirement_changes(old_root, new_root, "global"):
        side = "base" if rule.endswith("removed") else "head"
        yield Raw(rule, message, f"/security#{key}", side, "/security")
    old_schemes, new_schemes = _schemes(base.data), _schemes(head.data)
    for name in old_schemes.keys() - new_schemes.keys():
        at = pointer("components", "securitySchemes", name)
        yield Raw("api-security-component-removed", f"the security scheme {name} was removed", at, "base", at)
    for name in new_schemes.keys() - old_schemes.keys():
        at = pointer("components", "securitySchemes", name)
        yield Raw("api-security-component-added", f"the security scheme {name} was added", at, "head", at)
    for name in old_schemes.keys() & new_schemes.keys():
        old_type, new_type = old_schemes[name].get("type"), new_schemes[name].get("type")
        if old_type != new_type:
            at = pointer("components", "securitySchemes", name)
            message = f"the type of the security scheme {name} changed from {old_type} to {new_type}"
            yield Raw("api-security-component-type-changed", message, at, "head", at + "/type")
    new_operations = {(template(p), m): (p, m, op) for (p, m), op in operations(head.data).items()}
    for (path, method), operation in operations(base.data).items():
        found = new_operations.get((template(path), method))
        if found is None:
            continue
        new_path, _, current = found
        label = f"{method.upper()} {new_path}"
        here = pointer("paths", new_path, method)
        if "security" in operation or "security" in current:
            old_own = _requirements(operation.get("security", base.data.get("security")))
            new_own = _requirements(current.get("security", head.data.get("security")))
            for rule, message, key in _requirement_changes(old_own, new_own, "operation"):
                side = "base" if rule.endswith("removed") else "head"
                at = pointer("paths", path if side == "base" else new_path, method, "security")
                yield Raw(rule, f"{label}: {message}", f"{label} /security#{key}", side, at, label, new_path)
        before = _requirements(operation.get("security", base.data.get("security")))
        after = _requirements(current.get("security", head.data.get("security")))
        if not before:
            before = [{}]  # no requirement: every client was let in
        refused = [
            _name(held)
            for held in before
            if not any(_satisfied(held, old_schemes, wanted, new_schemes) for wanted in after or [{}])
        ]
        if refused:
            message = (
                f"{label}: a client that sent {' or '.join(refused)} (as the base contract defines it) meets none "
                f"of the new requirements: {' or '.join(_name(w) for w in after)}"
            )
            yield Raw("api-security-narrowed", message, f"{label} /security", "head", here, label, new_path)
