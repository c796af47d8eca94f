"""Finding, loading, linting and schema-validating against the contract (`openapi.yaml`).

The contract ships inside the package (a symlink to the repository's top-level `openapi.yaml` in a
checkout, a copy in a wheel), so every entry point finds the same file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import OpenAPIV30SpecValidator

CONTRACT_PATH = Path(str(resources.files("groupkit").joinpath("openapi.yaml")))
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a contract: where it is (a JSON path) and what is wrong."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


def load(path: Path | str = CONTRACT_PATH) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold an OpenAPI document (a YAML mapping)")
    return data


@cache
def default() -> dict[str, Any]:
    """The shipped contract, parsed once per process (treat it as read-only)."""
    return load(CONTRACT_PATH)


def lint(path: Path | str) -> list[Problem]:
    """Every problem of a contract file: YAML syntax, OpenAPI 3.0 validity, and examples that break
    their own schemas. An empty list means the contract is valid."""
    try:
        document = load(path)
    except (OSError, yaml.YAMLError, ValueError) as error:
        return [Problem(str(path), str(error).replace("\n", " "))]
    problems = [
        Problem(_pointer(error.absolute_path) or "/", error.message)
        for error in OpenAPIV30SpecValidator(document).iter_errors()
    ]
    if not problems:
        problems.extend(example_problems(document))
    return problems


def _pointer(path: Any) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def validator(document: dict[str, Any], schema: dict[str, Any]) -> OAS30Validator:
    """A validator for `schema` that resolves `#/components/...` references within `document`."""
    rooted = {**schema, "components": document.get("components", {})}  # so local $refs resolve
    return OAS30Validator(rooted, format_checker=OAS30Validator.FORMAT_CHECKER)


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


__all__ = ["CONTRACT_PATH", "Problem", "ValidationError", "component", "lint", "load"]
