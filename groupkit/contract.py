"""Finding, loading, linting and schema-validating against the contract (`openapi.yaml`), and reading the
tables it holds as data: each path's methods, each operation's id, and which status goes with each error code.

The contract ships inside the package (a symlink to the repository's top-level `openapi.yaml` in a
checkout, a copy in a wheel), so every entry point finds the same file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from jsonschema.exceptions import ValidationError

if TYPE_CHECKING:  # imported where used: they import pydantic, a tenth of a second of the mock's start
    from openapi_schema_validator import OAS30Validator

CONTRACT_PATH = Path(str(resources.files("groupkit").joinpath("openapi.yaml")))
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ERROR_CODE = "/components/schemas/Error/properties/code"
STATUS_OF_CODE = "x-status-of-code"
GENERAL_CODE = "x-general-code"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a contract: where it is (a JSON path) and what is wrong."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


# libyaml's loader when PyYAML was built with it: the contract parses ~30x faster than in pure Python (about
# 9 ms against 300 ms here), which is most of a mock's start-up and of building one in a test.
YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(path: Path | str = CONTRACT_PATH) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=YAML_LOADER)
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold an OpenAPI document (a YAML mapping)")
    return data


@cache
def default() -> dict[str, Any]:
    """The shipped contract, parsed once per process (treat it as read-only)."""
    return load(CONTRACT_PATH)


def lint(path: Path | str) -> list[Problem]:
    """Every problem of a contract file: YAML syntax, OpenAPI 3.0 validity, examples that break their own
    schemas, and an error table (when it has one) that disagrees with the contract. An empty list means the
    contract is valid."""
    try:
        document = load(path)
    except (OSError, yaml.YAMLError, ValueError) as error:
        return [Problem(str(path), str(error).replace("\n", " "))]
    from openapi_spec_validator import OpenAPIV30SpecValidator

    problems = [
        Problem(_pointer(error.absolute_path) or "/", error.message)
        for error in OpenAPIV30SpecValidator(document).iter_errors()
    ]
    if not problems:
        problems.extend(example_problems(document))
        if STATUS_OF_CODE in _error_code(document):
            problems.extend(error_table_problems(document))
    return problems


def _pointer(path: Any) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def validator(document: dict[str, Any], schema: dict[str, Any]) -> OAS30Validator:
    """A validator for `schema` that resolves `#/components/...` references within `document`."""
    from openapi_schema_validator import OAS30Validator

    return OAS30Validator(rooted(document, schema), format_checker=OAS30Validator.FORMAT_CHECKER)


def rooted(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with the `components` of `document`, so that its local `$ref`s resolve."""
    return {**schema, "components": document.get("components", {})}


def component(document: dict[str, Any], name: str) -> OAS30Validator:
    return validator(document, {"$ref": f"#/components/schemas/{name}"})


def iter_examples(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(location, schema, example) for every example in the contract: on schemas, parameters and media
    types, including named `examples` that point into `#/components/examples`."""
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        if "example" in schema:
            yield f"/components/schemas/{name}/example", schema, schema["example"]
    for name, parameter in document.get("components", {}).get("parameters", {}).items():
        if "example" in parameter:
            yield f"/components/parameters/{name}/example", parameter["schema"], parameter["example"]
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not operation:
                continue
            base = f"/paths/{path.replace('/', '~1')}/{method}"
            for index, parameter in enumerate(operation.get("parameters", [])):
                if "example" in parameter:
                    yield f"{base}/parameters/{index}/example", parameter["schema"], parameter["example"]
            media = [("requestBody", operation.get("requestBody", {}))]
            media += [(f"responses/{code}", response) for code, response in operation["responses"].items()]
            for where, holder in media:
                holder = _resolved(document, holder)
                for mime, content in holder.get("content", {}).items():
                    schema = content.get("schema", {})
                    if "example" in content:
                        yield f"{base}/{where}/content/{mime}/example", schema, content["example"]
                    for key, example in content.get("examples", {}).items():
                        value = _resolved(document, example).get("value")
                        yield f"{base}/{where}/content/{mime}/examples/{key}", schema, value
    for name, response in document.get("components", {}).get("responses", {}).items():
        for mime, content in response.get("content", {}).items():
            if "example" in content:
                yield (
                    f"/components/responses/{name}/content/{mime}/example",
                    content["schema"],
                    content["example"],
                )


def _resolved(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def example_problems(document: dict[str, Any]) -> list[Problem]:
    problems = []
    for location, schema, example in iter_examples(document):
        for error in validator(document, schema).iter_errors(example):
            problems.append(Problem(location + _pointer(error.absolute_path), error.message))
    return problems


def path_methods(document: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """Path -> the upper-case methods the contract documents for it (what a 405's `Allow` lists)."""
    return {
        path: tuple(method.upper() for method in HTTP_METHODS if method in item)
        for path, item in document.get("paths", {}).items()
    }


def operations(document: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(METHOD, path) -> operationId."""
    return {
        (method.upper(), path): item[method]["operationId"]
        for path, item in document.get("paths", {}).items()
        for method in HTTP_METHODS
        if method in item
    }


@dataclass(frozen=True)
class ErrorTable:
    """Which HTTP status goes with each `Error.code` (the contract's `x-status-of-code`), and each status's
    general code: its only code, or the one `x-general-code` names where several codes share the status."""

    status_of_code: Mapping[str, int]
    general_code: Mapping[int, str]

    def codes_of(self, status: int) -> frozenset[str]:
        return frozenset(code for code, paired in self.status_of_code.items() if paired == status)


def error_table(document: dict[str, Any]) -> ErrorTable:
    """The contract's error table; ValueError if it has none or it disagrees with the contract."""
    problems = error_table_problems(document)
    if problems:
        raise ValueError("the contract's error table is unusable: " + "; ".join(map(str, problems)))
    node = _error_code(document)
    status_of_code = {str(code): int(status) for code, status in node[STATUS_OF_CODE].items()}
    general = {status: code for code, status in status_of_code.items()}  # right for single-code statuses
    general.update({int(status): str(code) for status, code in node.get(GENERAL_CODE, {}).items()})
    return ErrorTable(status_of_code, general)


def error_table_problems(document: dict[str, Any]) -> list[Problem]:
    """What is wrong with the error table: it must pair every `Error.code` enum value (and nothing else)
    with an HTTP error status, name a general code for each status that several codes share, and give a
    code to every error status an operation documents."""
    node = _error_code(document)
    table, general = node.get(STATUS_OF_CODE), node.get(GENERAL_CODE, {})
    where, where_general = f"{ERROR_CODE}/{STATUS_OF_CODE}", f"{ERROR_CODE}/{GENERAL_CODE}"
    if not isinstance(table, dict) or not isinstance(general, dict):
        return [Problem(ERROR_CODE, f"needs {STATUS_OF_CODE}, a mapping of each code to its status")]
    problems = []
    enum = node.get("enum", [])
    for code in enum:
        if code not in table:
            problems.append(Problem(where, f"{code!r} (in the enum) has no status"))
    codes_of: dict[int, set[str]] = {}
    for code, status in table.items():
        if code not in enum:
            problems.append(Problem(f"{where}/{code}", "is not in the enum"))
        if not _is_error_status(status):
            problems.append(Problem(f"{where}/{code}", f"{status!r} is not an HTTP error status"))
        else:
            codes_of.setdefault(int(status), set()).add(str(code))
    for status, codes in sorted(codes_of.items()):
        chosen = general.get(str(status), general.get(status))
        if len(codes) > 1 and chosen not in codes:
            problems.append(
                Problem(where_general, f"{status} has codes {sorted(codes)}; name the general one")
            )
    for status, code in general.items():
        if code not in codes_of.get(int(status) if _is_error_status(status) else 0, set()):
            problems.append(Problem(f"{where_general}/{status}", f"{code!r} is not a code of {status}"))
    uncoded: dict[int, list[str]] = {}
    for operation, statuses in _documented_error_statuses(document).items():
        for status in statuses - set(codes_of):
            uncoded.setdefault(status, []).append(operation)
    for status, operations in sorted(uncoded.items()):
        problems.append(Problem(where, f"no code for {status}, which {', '.join(operations)} document"))
    return problems


def _error_code(document: dict[str, Any]) -> dict[str, Any]:
    error = document.get("components", {}).get("schemas", {}).get("Error", {})
    code = error.get("properties", {}).get("code", {}) if isinstance(error, dict) else {}
    return code if isinstance(code, dict) else {}


def _is_error_status(status: Any) -> bool:
    return str(status).isdigit() and 400 <= int(status) <= 599


def _documented_error_statuses(document: dict[str, Any]) -> dict[str, set[int]]:
    """ "METHOD path" -> the error statuses its responses document (ranges such as 4XX and `default` aside)."""
    return {
        f"{method.upper()} {path}": {
            int(key) for key in item[method].get("responses", {}) if _is_error_status(key)
        }
        for path, item in document.get("paths", {}).items()
        for method in HTTP_METHODS
        if method in item
    }


__all__ = [
    "CONTRACT_PATH",
    "ErrorTable",
    "Problem",
    "ValidationError",
    "component",
    "error_table",
    "lint",
    "load",
]
