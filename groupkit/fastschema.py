"""OpenAPI 3.0 schemas compiled once with jsonschema_rs, as a fast first opinion in front of the jsonschema
validators connexion and the world format use: "valid" is final, anything else asks the full validator.

The compiled validator is never more permissive than the one it stands in front of: `compile` translates only
the keywords whose meaning it can reproduce exactly, and answers None (no fast path: the full validator
decides alone) for a schema with any other. The translation:

- `nullable: true` lets `null` through the node's own `type` (and, in connexion's dialect, its `enum`), as
  connexion's `Draft4RequestValidator`/`Draft4ResponseValidator` and openapi-schema-validator's
  `OAS30Validator` do; connexion also reads `x-nullable: true` and a truthy `nullable`;
- every `format` is checked by the same `FormatChecker` the full validator uses (a format that checker does
  not know passes, as it does there), and only a format whose checker passes every non-string value is
  compiled, since jsonschema_rs checks formats on strings only;
- annotations (`description`, `example`, `x-...`) are dropped; `pattern` (another regex dialect),
  `readOnly`/`writeOnly`, `discriminator`, `multipleOf`, `uniqueItems`, tuple `items`, a `$ref` with
  siblings or outside `#/components/schemas/` are not translated.

Where the two could still differ the compiled one is the stricter (Draft 4 reads `1.0` as no integer, `NaN`
as no number), which only sends that value to the full validator. jsonschema_rs raising on a value it cannot
read counts as "ask the full validator" too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Literal

import jsonschema_rs
from jsonschema import FormatChecker

Dialect = Literal["connexion", "oas30"]

# Keywords that assert something and mean the same in Draft 4, connexion's validators and OAS 3.0.
_PLAIN = frozenset(
    (
        "type enum format required minLength maxLength minimum maximum exclusiveMinimum exclusiveMaximum"
        " minItems maxItems minProperties maxProperties"
    ).split()
)
_ANNOTATIONS = frozenset(
    ("description", "example", "examples", "title", "default", "deprecated", "externalDocs")
)
# Formats of strings: jsonschema_rs checks formats on strings only, so a format of numbers (`int32`) that the
# full validator checks on numbers is not compiled. Each must also pass every value of `_NOT_NULL` there.
STRING_FORMATS = frozenset(
    "date date-time time email idn-email hostname idn-hostname ipv4 ipv6 uri uri-reference uuid byte password".split()
)
_NOT_NULL: tuple[Any, ...] = (0, 1.5, True, [], {})


class Unsupported(ValueError):
    """Raised inside the translation for a keyword it cannot reproduce exactly; `compile` answers None."""


class Compiled:
    """A compiled schema: `is_valid` is True only when the full validator would also find no error."""

    def __init__(self, validator: Any) -> None:
        self._validator = validator

    def is_valid(self, instance: Any) -> bool:
        try:
            return bool(self._validator.is_valid(instance))
        except Exception:  # a value jsonschema_rs cannot read (an int over 2**64, a tuple): ask the full one
            return False


def compile(
    schema: Mapping[str, Any], checker: FormatChecker, dialect: Dialect, *, strict_formats: bool = False
) -> Compiled | None:
    """`schema` (with a `components` member its `$ref`s point into, if any) compiled for `dialect`, its
    formats checked by `checker`; None when it holds a keyword the translation does not reproduce. With
    `strict_formats`, a format `checker` does not know is not compiled either (rather than let through, as a
    full validator with that checker would): for a `checker` that another one extends."""
    translation = _Translation(checker, dialect, strict_formats)
    try:
        translated = translation.schema(schema, root=True)
        validator = jsonschema_rs.Draft4Validator(translated, formats=translation.formats)
    except (Unsupported, ValueError, jsonschema_rs.ValidationError):
        return None
    return Compiled(validator)


class _Translation:
    def __init__(self, checker: FormatChecker, dialect: Dialect, strict_formats: bool = False) -> None:
        self.checker = checker
        self.dialect = dialect
        self.strict_formats = strict_formats
        self.formats: dict[str, Callable[[str], bool]] = {}

    def nullable(self, node: Mapping[str, Any]) -> bool:
        if self.dialect == "connexion":  # connexion.json_schema.allow_nullable
            return node.get("x-nullable") is True or bool(node.get("nullable"))
        return node.get("nullable") is True  # openapi_schema_validator's `type`

    def schema(self, node: Any, *, root: bool = False) -> dict[str, Any]:
        if not isinstance(node, Mapping):
            raise Unsupported(f"a schema that is not an object: {node!r}")
        if "$ref" in node:
            ref = node["$ref"]
            others = [key for key in node if key != "$ref" and not self._annotation(key)]
            if root and "components" in others:  # the root's definitions, which the $ref points into
                others.remove("components")
            if others or not isinstance(ref, str) or not ref.startswith("#/components/schemas/"):
                raise Unsupported(f"$ref {ref!r} with {others}")
            if root and "components" in node:
                return {"$ref": ref, "components": self._components(node["components"])}
            return {"$ref": ref}
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _PLAIN:
                out[key] = value
            elif key == "properties":
                out[key] = {name: self.schema(sub) for name, sub in _mapping(value).items()}
            elif key == "additionalProperties":
                out[key] = value if isinstance(value, bool) else self.schema(value)
            elif key == "items":
                out[key] = self.schema(value)  # a list (tuple items) is refused there
            elif key in ("allOf", "anyOf", "oneOf"):
                out[key] = [self.schema(sub) for sub in _list(value)]
            elif key == "not":
                out[key] = self.schema(value)
            elif key == "components" and root:
                out[key] = self._components(value)
            elif key in ("nullable", "x-nullable") or self._annotation(key):
                continue
            else:
                raise Unsupported(key)
        if "format" in out:
            self._format(out["format"])
        if self.nullable(node):
            if "type" in out:
                types = out["type"] if isinstance(out["type"], list) else [out["type"]]
                out["type"] = [*types, "null"]
            if "enum" in out and self.dialect == "connexion":
                out["enum"] = [*_list(out["enum"]), None]
        return out

    def _components(self, components: Any) -> dict[str, Any]:
        """The root's `components`: its schemas translated (the only ones a `$ref` may name), nothing else."""
        schemas = _mapping(_mapping(components).get("schemas", {}))
        return {"schemas": {name: self.schema(sub) for name, sub in schemas.items()}}

    def _annotation(self, key: str) -> bool:
        if key in _ANNOTATIONS:
            return True
        return key.startswith("x-") and key not in ("x-nullable", "x-writeOnly")

    def _format(self, name: Any) -> None:
        if not isinstance(name, str):
            raise Unsupported(f"format {name!r}")
        if name in self.formats:
            return
        if name not in self.checker.checkers:  # the full validator lets any value through
            if self.strict_formats:
                raise Unsupported(f"format {name!r} is not the checker's")
            self.formats[name] = _anything
            return
        checker = self.checker
        if name not in STRING_FORMATS or not all(checker.conforms(value, name) for value in _NOT_NULL):
            raise Unsupported(f"format {name!r} may check more than strings")
        # Remembered per string: a world's dates and a page's e-mail addresses repeat (a pure function).
        self.formats[name] = functools.lru_cache(maxsize=4096)(lambda text: checker.conforms(text, name))


def _anything(text: str) -> bool:
    return True


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Unsupported(f"{value!r} is not an object")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise Unsupported(f"{value!r} is not a list")
    return value
