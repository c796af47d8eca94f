"""The request half of `groupkit proxy`'s checks (`request_conforms`): the query parameters an operation
declares (present when required, integers written as integers, within their schema), and its body (present
when required, of a media type it takes, JSON that matches its schema). What a client sends is its own doing:
each problem is a warning, and the server's acceptance of a broken request is what the response checks judge.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from .exchange import JSON, WARNING, Exchange, Problem, Schemas, media, short


def request_problems(
    label: str, definition: dict[str, Any], exchange: Exchange, schemas: Schemas
) -> list[Problem]:
    """What the request to the operation `label` (`definition`, dereferenced) broke of the contract: the
    client's doing, so warnings."""
    said = f"{label} sent"
    problems = []
    query = parse_qs(exchange.query, keep_blank_values=True)
    for parameter in definition.get("parameters", []):
        if parameter.get("in") != "query":
            continue
        name, schema = parameter["name"], parameter.get("schema", {})
        values = query.get(name)
        if not values:
            if parameter.get("required"):
                problems.append(f"{said} no {name!r} query parameter, which is required")
            continue
        value: Any = values[0]
        if schema.get("type") == "integer":
            if not (value.isascii() and value.lstrip("-").isdigit()):
                problems.append(f"{said} {name}={value!r}, not an integer")
                continue
            value = int(value)
        problems += [f"{said} {name}={values[0]!r}: {error}" for error in schemas.errors(schema, value)]
    body = definition.get("requestBody")
    if body is not None and exchange.request_body is not None:
        content = body.get("content", {})
        if not exchange.request_body:
            if body.get("required"):
                problems.append(f"{said} no body; the contract requires one ({', '.join(content)})")
        elif media(exchange.request_type) not in content:
            problems.append(
                f"{said} a body of type {exchange.request_type or '<none>'!r}; the contract takes "
                f"{', '.join(content)}"
            )
        elif JSON in content:
            try:
                parsed = json.loads(exchange.request_body)
            except ValueError:
                problems.append(f"{said} a body that is not JSON: {short(exchange.request_body[:80])}")
            else:
                schema = content[JSON].get("schema", {})
                problems += [
                    f"{said} a body that breaks the schema at {e}" for e in schemas.errors(schema, parsed)
                ]
    return [
        Problem("request_conforms", WARNING, text, f"{label}: a request the contract does not allow")
        for text in problems
    ]
