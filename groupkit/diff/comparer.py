"""Semantic comparison of two schemas in one direction: what a request now refuses (narrowing) or a response
may now send (widening). It yields direction-neutral aspects (`enum-value-removed`, `property-added-required`,
...) that `naming` turns into rule ids for the place the schema sits (parameter, body, response)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .branches import Branch, branch_label, match
from .schemas import View, canonical_value, merged

# Format changes that still accept every value of the old format.
FORMAT_WIDENINGS = {("int32", "int64"), ("float", "double")}
BOUNDS = {
    "minimum": ("min", "exclusiveMinimum"),
    "maximum": ("max", "exclusiveMaximum"),
    "minLength": ("min-length", None),
    "maxLength": ("max-length", None),
    "minItems": ("min-items", None),
    "maxItems": ("max-items", None),
}


@dataclass(frozen=True)
class Change:
    """One difference: its aspect, where it is below the compared schema (a path of keywords and property
    names), a message, and the document (`base` or `head`) and JSON pointer that show it."""

    aspect: str
    where: tuple[str, ...]
    message: str
    side: str
    pointer: str
    key: str = ""  # tells apart several changes of one aspect at one place (enum values, branches)


class Comparer:
    """Compares schemas for `direction` (request or response). `loose` is for parameters, whose values
    travel as text: changing their type to a plain string refuses nothing."""

    def __init__(self, direction: str, *, loose: bool = False) -> None:
        self.direction = direction
        self.loose = loose
        self._visiting: set[tuple[str, str]] = set()

    def compare(self, base: Branch, head: Branch, where: tuple[str, ...] = ()) -> list[Change]:
        return list(self._compare(base, head, where, (), ()))

    def _compare(
        self,
        base: Branch,
        head: Branch,
        where: tuple[str, ...],
        bstack: tuple[str, ...],
        hstack: tuple[str, ...],
    ) -> Iterator[Change]:
        b, h = merged(base, bstack), merged(head, hstack)
        if b.recursive or h.recursive:
            return
        pair = (b.pointer, h.pointer)
        if pair in self._visiting:
            return
        self._visiting.add(pair)
        try:
            bstack, hstack = bstack + (f"#{b.pointer}",), hstack + (f"#{h.pointer}",)
            composite = list(self._composites(base, head, b, h, where, bstack, hstack))
            yield from composite
            if _is_composite(b) != _is_composite(h):
                return  # a schema wrapped into (or out of) oneOf/anyOf: compared branch by branch above
            retyped = False
            for change in self._type(b, h, where):
                retyped = change.aspect == "type-changed"
                yield change
            if retyped:
                return  # the old and new constraints describe different kinds of value
            yield from self._nullable(b, h, where)
            yield from self._enum(b, h, where)
            yield from self._patterns(b, h, where)
            yield from self._bounds(b, h, where)
            yield from self._default(b, h, where)
            yield from self._properties(b, h, where, bstack, hstack)
            if b.items and h.items:
                yield from self._compare(b.items, h.items, where + ("items",), bstack, hstack)
            if b.additional and h.additional:
                yield from self._compare(
                    b.additional, h.additional, where + ("additionalProperties",), bstack, hstack
                )
        finally:
            self._visiting.discard(pair)

    def _type(self, b: View, h: View, where: tuple[str, ...]) -> Iterator[Change]:
        old = (b.keywords.get("type"), b.keywords.get("format"))
        new = (h.keywords.get("type"), h.keywords.get("format"))
        if old == new:
            return
        if self.direction == "request":
            wider = _contains(old, new) or (self.loose and new == ("string", None))
            aspect = "type-generalized" if wider else "type-changed"
        elif _contains(new, old):
            aspect = "type-specialized"
        else:
            aspect = "type-generalized" if _contains(old, new) else "type-changed"
        dimension = "type" if old[1] == new[1] else "format" if old[0] == new[0] else "type/format"
        message = f"the {dimension} changed from '{_type_text(old)}' to '{_type_text(new)}'"
        yield Change(aspect, where, message, "head", h.pointer)

    def _nullable(self, b: View, h: View, where: tuple[str, ...]) -> Iterator[Change]:
        if "type" not in b.keywords or "type" not in h.keywords or b.null_ok == h.null_ok:
            return
        aspect = "became-nullable" if h.null_ok else "became-not-nullable"
        yield Change(aspect, where, aspect.replace("-", " "), "head", h.pointer)

    def _enum(self, b: View, h: View, where: tuple[str, ...]) -> Iterator[Change]:
        if h.enum is None:
            return  # no enum any more: a request accepts more; a response has no rule for it
        if b.enum is None:
            yield Change("became-enum", where, "was restricted to a list of enum values", "head", h.pointer)
            return
        old = {canonical_value(v): v for v in b.enum}
        new = {canonical_value(v): v for v in h.enum}
        for key in old.keys() - new.keys():
            yield Change(
                "enum-value-removed", where, f"the enum value {key} was removed", "base", b.pointer, key
            )
        for key in new.keys() - old.keys():
            yield Change("enum-value-added", where, f"the enum value {key} was added", "head", h.pointer, key)

    def _patterns(self, b: View, h: View, where: tuple[str, ...]) -> Iterator[Change]:
        added, removed = h.patterns - b.patterns, b.patterns - h.patterns
        if added and removed:
            old, new = ", ".join(sorted(removed)), ", ".join(sorted(added))
            yield Change(
                "pattern-changed", where, f"the pattern changed from '{old}' to '{new}'", "head", h.pointer
            )
        elif added:
            new = ", ".join(sorted(added))
            yield Change("pattern-added", where, f"the pattern '{new}' was added", "head", h.pointer)
        elif removed:
            old = ", ".join(sorted(removed))
            yield Change("pattern-removed", where, f"the pattern '{old}' was removed", "base", b.pointer)

    def _bounds(self, b: View, h: View, where: tuple[str, ...]) -> Iterator[Change]:
        for key, (name, exclusive) in BOUNDS.items():
            old, new = _bound(b, key, exclusive), _bound(h, key, exclusive)
            if old == new:
                continue
            if old is None:
                aspect = "set"
            elif new is None:
                aspect = "unset"
            else:
                aspect = "increased" if new > old else "decreased"
            message = f"the {name.replace('-', ' ')} changed from {_bound_text(old)} to {_bound_text(new)}"
            yield Change(f"{name}-{aspect}", where, message, "head" if new is not None else "base", h.pointer)

    def _default(self, b: View, h: View, where: tuple[str, ...]) -> Iterator[Change]:
        old, new = b.keywords.get("default"), h.keywords.get("default")
        has_old, has_new = "default" in b.keywords, "default" in h.keywords
        if has_old and has_new and canonical_value(old) != canonical_value(new):
            message = f"the default changed from {canonical_value(old)} to {canonical_value(new)}"
            yield Change("default-value-changed", where, message, "head", h.pointer)
        elif has_new and not has_old:
            yield Change(
                "default-value-added",
                where,
                f"the default {canonical_value(new)} was added",
                "head",
                h.pointer,
            )
        elif has_old and not has_new:
            message = f"the default {canonical_value(old)} was removed"
            yield Change("default-value-removed", where, message, "base", b.pointer)

    def _properties(
        self, b: View, h: View, where: tuple[str, ...], bstack: tuple[str, ...], hstack: tuple[str, ...]
    ) -> Iterator[Change]:
        hidden = "readOnly" if self.direction == "request" else "writeOnly"
        names = list(b.properties) + [n for n in h.properties if n not in b.properties]
        for name in names + sorted((b.required | h.required) - set(names)):
            inner = where + ("properties", name)
            old, new = b.properties.get(name), h.properties.get(name)
            old_view = merged(old, bstack) if old else None
            new_view = merged(new, hstack) if new else None
            if any(v is not None and v.keywords.get(hidden) for v in (old_view, new_view)):
                continue  # not part of this direction's instances (OpenAPI 3.0 readOnly / writeOnly)
            with_default = new_view is not None and "default" in new_view.keywords
            suffix = "-with-default" if with_default else ""
            if new is not None and old is None:
                kind = f"required{suffix}" if name in h.required else "optional"
                pointer = new[0].pointer
                yield Change(
                    f"property-added-{kind}", inner, f"was added ({kind.replace('-', ' ')})", "head", pointer
                )
                continue
            if old is not None and new is None:
                kind = "required" if name in b.required else "optional"
                yield Change(
                    f"property-removed-{kind}", inner, f"was removed (was {kind})", "base", old[0].pointer
                )
                continue
            if name in h.required and name not in b.required:
                yield Change(
                    f"property-became-required{suffix}",
                    inner,
                    "became required",
                    "head",
                    f"{h.pointer}/required",
                )
            elif name in b.required and name not in h.required:
                yield Change("property-became-optional", inner, "became optional", "head", h.pointer)
            if old is not None and new is not None:
                yield from self._compare(old, new, inner, bstack, hstack)

    def _composites(
        self,
        base: Branch,
        head: Branch,
        b: View,
        h: View,
        where: tuple[str, ...],
        bstack: tuple[str, ...],
        hstack: tuple[str, ...],
    ) -> Iterator[Change]:
        for key, label in (("one_of", "oneOf"), ("any_of", "anyOf")):
            old, new = getattr(b, key), getattr(h, key)
            if old is None and new is None:
                continue
            if old is not None and new is not None:
                old_branches, new_branches = [[n] for n in old], [[n] for n in new]
            elif old is None:
                if _is_composite(b):
                    continue
                old_branches, new_branches = [base], [[n] for n in new or []]
            else:
                if _is_composite(h):
                    continue
                old_branches, new_branches = [[n] for n in old], [head]
            pairs, removed, added = match(old_branches, new_branches)
            aspect = label.lower().replace("of", "-of")
            for ob, nb in pairs:
                yield from self._compare(ob, nb, where + (label, branch_label(nb)), bstack, hstack)
            for ob in removed:
                name = branch_label(ob)
                yield Change(
                    f"{aspect}-removed",
                    where,
                    f"the {label} branch {name} was removed",
                    "base",
                    ob[0].pointer,
                    name,
                )
            for nb in added:
                name = branch_label(nb)
                yield Change(
                    f"{aspect}-added",
                    where,
                    f"the {label} branch {name} was added",
                    "head",
                    nb[0].pointer,
                    name,
                )


def _is_composite(current: View) -> bool:
    return current.one_of is not None or current.any_of is not None


def _contains(old: tuple[str | None, str | None], new: tuple[str | None, str | None]) -> bool:
    """Whether every value of type/format `old` is valid under type/format `new`."""
    (old_type, old_format), (new_type, new_format) = old, new
    if new_type is not None and old_type != new_type and (old_type, new_type) != ("integer", "number"):
        return False
    return new_format is None or old_format == new_format or (old_format, new_format) in FORMAT_WIDENINGS


def _type_text(pair: tuple[str | None, str | None]) -> str:
    kind, fmt = pair
    return f"{kind or 'any'}/{fmt}" if fmt else kind or "any"


def _bound(current: View, key: str, exclusive: str | None) -> tuple[float, int] | None:
    """A bound as (value, strictness): an exclusive bound is stricter than an inclusive one at the same
    value, upwards for a minimum and downwards for a maximum."""
    if key not in current.keywords:
        return None
    value = float(current.keywords[key])
    strict = 1 if exclusive and current.keywords.get(exclusive) else 0
    return (value, strict) if key.startswith("min") else (value, -strict)


def _bound_text(bound: tuple[float, int] | None) -> str:
    if bound is None:
        return "none"
    value, strict = bound
    text = str(int(value)) if value == int(value) else str(value)
    return f"{text} (exclusive)" if strict else text
