"""The lint checks that read one part of a contract each: validity, examples and defaults, operations
(ids, summaries, tags, success responses), security, components, enums, path parameters, YAML anchors and
the contract's error-code table. Each yields (JSON pointer, message) for every place it finds wrong."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from openapi_spec_validator import OpenAPIV30SpecValidator

from .. import contract
from ..contract import validator
from ..documents import Document, pointer, resolve
from . import walk
from .walk import Hit, each_operation


def _error_pointer(path: Any) -> str:
    return "".join(pointer(str(part)) for part in path)


def oas3_schema(document: Document) -> Iterator[Hit]:
    for error in OpenAPIV30SpecValidator(document.data).iter_errors():
        yield _error_pointer(error.absolute_path) or "/", error.message


def _example_errors(document: Document, schema: Any, value: Any, at: str) -> Iterator[Hit]:
    for error in validator(document.data, schema).iter_errors(value):
        yield at + _error_pointer(error.absolute_path), error.message


def valid_schema_example(document: Document) -> Iterator[Hit]:
    for at, schema in walk.all_schemas(document.data):
        for key in ("example", "default"):
            if key in schema:
                yield from _example_errors(document, schema, schema[key], f"{at}/{key}")


def valid_media_example(document: Document) -> Iterator[Hit]:
    for _, at, holder in walk.holders(document.data):
        if not isinstance(holder, dict) or "schema" not in holder:
            continue  # a $ref: checked where it is written
        if "example" in holder:
            yield from _example_errors(document, holder["schema"], holder["example"], f"{at}/example")
        for name, example in (holder.get("examples") or {}).items():
            resolved = walk.deref(document.data, example)
            if isinstance(resolved, dict) and "value" in resolved:
                yield from _example_errors(
                    document, holder["schema"], resolved["value"], f"{at}/examples{pointer(name)}"
                )


def operation_id(document: Document) -> Iterator[Hit]:
    for at, operation in each_operation(document.data):
        if not operation.get("operationId"):
            yield at, "the operation has no operationId"


def operation_id_unique(document: Document) -> Iterator[Hit]:
    seen: dict[str, str] = {}
    for at, operation in each_operation(document.data):
        name = operation.get("operationId")
        if name in seen:
            yield f"{at}/operationId", f"the operationId '{name}' is already used by {seen[name]}"
        elif name:
            seen[name] = at


def success_response(document: Document) -> Iterator[Hit]:
    for at, operation in each_operation(document.data):
        codes = [str(code).upper() for code in operation.get("responses") or {}]
        if not any(code[:1] in "23" and code[:1] for code in codes if code != "DEFAULT"):
            yield f"{at}/responses", "the operation documents no 2xx or 3xx response"


def text_field(field: str) -> Callable[[Document], Iterator[Hit]]:
    def check(document: Document) -> Iterator[Hit]:
        for at, operation in each_operation(document.data):
            value = operation.get(field)
            if not isinstance(value, str) or not value.strip():
                yield at, f"the operation has no {field}"

    return check


def operation_tags(document: Document) -> Iterator[Hit]:
    for at, operation in each_operation(document.data):
        if not operation.get("tags"):
            yield at, "the operation has no tags"


def tag_defined(document: Document) -> Iterator[Hit]:
    defined = {t.get("name") for t in document.data.get("tags") or [] if isinstance(t, dict)}
    for at, operation in each_operation(document.data):
        for index, tag in enumerate(operation.get("tags") or []):
            if tag not in defined:
                yield f"{at}/tags/{index}", f"the tag '{tag}' is not defined in the document's tags"


def unused_component(document: Document) -> Iterator[Hit]:
    used = walk.used_components(document.data)
    for kind in walk.COMPONENT_KINDS:
        for name in (document.data.get("components") or {}).get(kind) or {}:
            if (kind, name) not in used:
                yield pointer("components", kind, name), f"the component {kind}/{name} is not referenced"


def security_defined(document: Document) -> Iterator[Hit]:
    schemes = (document.data.get("components") or {}).get("securitySchemes") or {}
    places = [("/security", document.data.get("security"))]
    places += [(f"{at}/security", op.get("security")) for at, op in each_operation(document.data)]
    for at, requirements in places:
        for index, requirement in enumerate(requirements or []):
            for name in requirement or {}:
                if name not in schemes:
                    yield f"{at}/{index}", f"the security scheme '{name}' is not defined in components"


def no_yaml_anchors(document: Document) -> Iterator[Hit]:
    for name, line, at in document.anchors:
        if name.startswith("&"):
            message = f"YAML anchor {name} (line {line}): its value is silently copied to every alias of it"
        else:
            message = (
                f"YAML alias {name} (line {line}): a copy of the anchor's value that JSON has no way to say; "
                "an edit to the anchor changes it too"
            )
        yield at or "/", message


def duplicated_enum(document: Document) -> Iterator[Hit]:
    for at, schema in walk.all_schemas(document.data):
        values = [json.dumps(v, sort_keys=True) for v in schema.get("enum") or []]
        for index, value in enumerate(values):
            if value in values[:index]:
                yield f"{at}/enum/{index}", f"the enum value {value} is listed twice"


TYPES = {"string": str, "boolean": bool, "object": dict, "array": list}


def typed_enum(document: Document) -> Iterator[Hit]:
    for at, schema in walk.all_schemas(document.data):
        kind = schema.get("type")
        for index, value in enumerate(schema.get("enum") or []):
            if value is None and schema.get("nullable"):
                continue
            if kind in ("integer", "number"):
                wrong = isinstance(value, bool) or not isinstance(value, int | float)
                wrong = wrong or (kind == "integer" and not float(value).is_integer())
            else:
                wrong = kind in TYPES and not isinstance(value, TYPES[kind])
            if wrong:
                yield f"{at}/enum/{index}", f"the enum value {json.dumps(value)} is not of type '{kind}'"


PATH_PARAMETER = re.compile(r"\{([^}]+)\}")


def path_params(document: Document) -> Iterator[Hit]:
    for path, item in (document.data.get("paths") or {}).items():
        declared = PATH_PARAMETER.findall(path)
        for method in walk.METHODS:
            operation = (item or {}).get(method)
            if not isinstance(operation, dict):
                continue
            parameters = [
                walk.deref(document.data, p) or {}
                for p in (item.get("parameters") or []) + (operation.get("parameters") or [])
            ]
            defined = {str(p.get("name")) for p in parameters if p.get("in") == "path"}
            at = pointer("paths", path, method)
            for name in sorted(set(declared) - defined):
                yield at, f"the path parameter '{name}' of {path} is not defined"
            for name in sorted(defined - set(declared)):
                yield f"{at}/parameters", f"the path parameter '{name}' is not in the path {path}"


def error_code_table(document: Document) -> Iterator[Hit]:
    """The contract's own table of which status goes with each `Error.code`, when it has one."""
    code = resolve(document.data, f"#{contract.ERROR_CODE}")
    if isinstance(code, dict) and contract.STATUS_OF_CODE in code:
        for problem in contract.error_table_problems(document.data):
            yield problem.location, problem.message
