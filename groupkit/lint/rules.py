"""The lint ruleset: each rule's id, default level, what it asks and where the id comes from. Ids and
levels are Spectral's `spectral:oas` ones where Spectral has the rule (`error` is ERR, `warn` WARN)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..documents import Document
from ..findings import Level
from . import checks, links
from .walk import Hit


@dataclass(frozen=True)
class Rule:
    """A lint rule: id, default level, what it asks, where the id comes from, and its check."""

    id: str
    level: Level
    description: str
    origin: str
    check: Callable[[Document], Iterator[Hit]]


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule("oas3-schema", Level.ERR, "valid OpenAPI 3.0", "spectral", checks.oas3_schema),
        Rule(
            "oas3-valid-schema-example",
            Level.ERR,
            "schema examples and defaults match the schema",
            "spectral",
            checks.valid_schema_example,
        ),
        Rule(
            "oas3-valid-media-example",
            Level.ERR,
            "media type and parameter examples match their schema",
            "spectral",
            checks.valid_media_example,
        ),
        Rule(
            "operation-operationId",
            Level.WARN,
            "every operation has an operationId",
            "spectral",
            checks.operation_id,
        ),
        Rule(
            "operation-operationId-unique",
            Level.ERR,
            "operationIds are unique",
            "spectral",
            checks.operation_id_unique,
        ),
        Rule(
            "operation-success-response",
            Level.WARN,
            "every operation documents a 2xx or 3xx response",
            "spectral",
            checks.success_response,
        ),
        Rule(
            "operation-summary",
            Level.WARN,
            "every operation has a summary",
            "groupkit",
            checks.text_field("summary"),
        ),
        Rule(
            "operation-description",
            Level.WARN,
            "every operation has a description",
            "spectral",
            checks.text_field("description"),
        ),
        Rule("operation-tags", Level.WARN, "every operation has tags", "spectral", checks.operation_tags),
        Rule(
            "operation-tag-defined",
            Level.WARN,
            "operation tags are declared in the document's tags",
            "spectral",
            checks.tag_defined,
        ),
        Rule(
            "oas3-operation-security-defined",
            Level.WARN,
            "security requirements name defined schemes",
            "spectral",
            checks.security_defined,
        ),
        Rule(
            "oas3-unused-component",
            Level.WARN,
            "every component is reached by a $ref",
            "spectral",
            checks.unused_component,
        ),
        Rule(
            "oas3-links-parameters-expression",
            Level.ERR,
            "link values are valid runtime expressions",
            "spectral",
            links.links_expression,
        ),
        Rule(
            "link-target-defined",
            Level.ERR,
            "links name a real operation, its parameters and fields",
            "groupkit",
            links.link_target,
        ),
        Rule(
            "path-params",
            Level.ERR,
            "path templates and path parameters agree",
            "spectral",
            checks.path_params,
        ),
        Rule(
            "duplicated-entry-in-enum",
            Level.WARN,
            "enum values are unique",
            "spectral",
            checks.duplicated_enum,
        ),
        Rule("typed-enum", Level.WARN, "enum values match the schema's type", "spectral", checks.typed_enum),
        Rule(
            "error-code-table",
            Level.ERR,
            "x-status-of-code pairs each Error.code with a status",
            "groupkit",
            checks.error_code_table,
        ),
        Rule("no-yaml-anchors", Level.ERR, "no YAML anchors or aliases", "groupkit", checks.no_yaml_anchors),
    )
}
