"""What `groupkit proxy` checks of one exchange against the contract: the operation found by path and method,
the request (`request_rules`), and the response: a documented status, content type and schema, the `Error`
body with the code the error table pairs with its status, and the field-drift rule (`conformance/drift.py`).

The checks carry the names `groupkit conform` gives the same invariants, so a violation seen through the proxy
and a failure found by the kit read alike. The contract's operations are dereferenced once per `Rules`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from groupkit import contract
from groupkit.conformance import drift

from .exchange import FIELDS_CHECK, JSON, VIOLATION, WARNING, Exchange, Problem, Schemas, media, short
from .request_rules import request_problems

# CORS preflights and HEAD: a server may answer them where the contract says nothing
UNJUDGED_METHODS = ("OPTIONS", "HEAD")


@dataclass
class _Operation:
    operation_id: str
    label: str
    definition: dict[str, Any]
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)


class Rules:
    """The contract's checks, ready to judge exchanges; `strict_fields` makes every undocumented property a
    violation (by default only a near miss of a documented name is)."""

    def __init__(self, document: dict[str, Any], *, strict_fields: bool = False) -> None:
        self.document = document
        self.strict_fields = strict_fields
        self.table = contract.error_table(document)
        self.path_methods = contract.path_methods(document)
        self.operations: dict[tuple[str, str], _Operation] = {}
        for (method, path), operation_id in contract.operations(document).items():
            definition = drift.dereferenced(document, document["paths"][path][method.lower()])
            responses = {str(key).upper(): value for key, value in definition.get("responses", {}).items()}
            self.operations[(method, path)] = _Operation(
                operation_id, f"{method} {path}", definition, responses
            )
        # templated paths (`/group/{id}`; the contract has none today) as patterns, tried after exact ones
        self._templates = [
            (re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$"), path)
            for path in self.path_methods
            if "{" in path
        ]
        self.schemas = Schemas()
        self._error_schema = drift.dereferenced(document, {"$ref": "#/components/schemas/Error"})

    def contract_path(self, path: str) -> str | None:
        """The contract's path that a request's path is (itself, or a template it fills); None if none."""
        if path in self.path_methods:
            return path
        return next((template for pattern, template in self._templates if pattern.match(path)), None)

    def _operation(self, method: str, path: str) -> _Operation | None:
        found = self.contract_path(path)
        return self.operations.get((method, found)) if found is not None else None

    def operation_label(self, method: str, path: str) -> str | None:
        """`GET /group` when the contract has the operation; None otherwise."""
        found = self._operation(method, path)
        return found.label if found else None

    def documented_paths(self, label: str, status: int) -> set[str]:
        """The property paths the contract documents for the `status` answer of an operation (`GET /group`)."""
        method, _, path = label.partition(" ")
        operation = self.operations.get((method, path))
        response = operation.responses.get(str(status)) if operation else None
        schema = ((response or {}).get("content") or {}).get(JSON, {}).get("schema")
        return drift.documented_paths(schema) if isinstance(schema, dict) else set()

    # ------------------------------------------------------------------ the request

    def request_problems(self, exchange: Exchange) -> list[Problem]:
        """What the request broke of the contract (warnings: `request_rules`)."""
        operation = self._operation(exchange.method, exchange.path)
        if operation is None:
            return []
        return request_problems(operation.label, operation.definition, exchange, self.schemas)

    # ------------------------------------------------------------------ the response

    def response_problems(self, exchange: Exchange, request_broken: bool) -> tuple[list[Problem], set[str]]:
        """What the response broke of the contract, and the documented property paths its body returned."""
        method, status = exchange.method, exchange.status
        operation = self._operation(method, exchange.path)
        if operation is None:
            path = self.contract_path(exchange.path)
            if method in UNJUDGED_METHODS or path is None:
                return [], set()
            return self._undocumented_method(exchange, path), set()
        label = operation.label
        answer = f"{label} answered {status}"
        problems: list[Problem] = []
        if status >= 500:
            problems.append(
                Problem("not_a_server_error", VIOLATION, f"{answer}", f"{label}: a {status} answer")
            )
        if request_broken and 200 <= status < 300:
            problems.append(
                Problem(
                    "negative_data_rejection",
                    VIOLATION,
                    f"{answer} to a request the contract does not allow; expected a 4xx",
                    f"{label}: a request the contract does not allow was accepted",
                )
            )
        response = operation.responses.get(str(status)) or operation.responses.get(f"{status // 100}XX")
        response = response or operation.responses.get("DEFAULT")
        if response is None:
            if status < 500:
                documented = ", ".join(operation.responses)
                problems.append(
                    Problem(
                        "status_code_conformance",
                        VIOLATION,
                        f"{answer}; the contract documents {documented} for it",
                        f"{label}: status {status} is not documented",
                    )
                )
            if status >= 400:
                problems += self._error_problems(label, exchange, self._error_schema)
            return problems, set()
        content = response.get("content") or {}
        if not content:
            if exchange.response_body:
                problems.append(
                    Problem(
                        "content_type_conformance",
                        VIOLATION,
                        f"{answer} with a body; the contract documents none for {status}",
                        f"{label}: a {status} body the contract does not document",
                    )
                )
            return problems, set()
        answered_type = media(exchange.response_type)
        if (
            status >= 400
        ):  # judged as the kit's error_body_conforms judges it: JSON, the Error schema, the code
            return problems + self._error_problems(
                label, exchange, content.get(JSON, {}).get("schema") or self._error_schema
            ), set()
        if answered_type not in content:
            problems.append(
                Problem(
                    "content_type_conformance",
                    VIOLATION,
                    f"{answer} with Content-Type {exchange.response_type or '<none>'!r}; the contract documents "
                    f"{', '.join(content)}",
                    f"{label}: Content-Type of a {status} answer",
                )
            )
            return problems, set()
        if answered_type != JSON or exchange.response_body is None:
            return problems, set()
        schema = content[JSON].get("schema", {})
        parsed, more = self._body(label, exchange, schema)
        problems += more
        if parsed is _UNREADABLE:
            return problems, set()
        drifts, seen = drift.inspect(schema, parsed)
        problems += self._drift_problems(answer, label, status, drifts)
        return problems, seen

    def _body(self, label: str, exchange: Exchange, schema: dict[str, Any]) -> tuple[Any, list[Problem]]:
        answer = f"{label} answered {exchange.status}"
        title = f"{label}: the {exchange.status} body does not match its schema"
        try:
            parsed = json.loads(exchange.response_body or b"")
        except ValueError:
            text = short((exchange.response_body or b"")[:80].decode("utf-8", "replace"))
            return _UNREADABLE, [
                Problem(
                    "response_schema_conformance",
                    VIOLATION,
                    f"{answer} with a body that is not JSON: {text}",
                    title,
                )
            ]
        errors = self.schemas.errors(schema, parsed)
        return parsed, [
            Problem(
                "response_schema_conformance",
                VIOLATION,
                f"{answer} with a body that breaks the schema at {error}",
                title,
            )
            for error in errors
        ]

    def _error_problems(self, label: str, exchange: Exchange, schema: dict[str, Any]) -> list[Problem]:
        status = exchange.status
        if media(exchange.response_type) != JSON:
            return [
                Problem(
                    "error_body_conforms",
                    VIOLATION,
                    f"{label} answered {status} with Content-Type {exchange.response_type or '<none>'!r}; expected "
                    "application/json with an Error body {message, code}",
                    f"{label}: a {status} answer without a JSON Error body",
                )
            ]
        if exchange.response_body is None:
            return []
        parsed, problems = self._body(label, exchange, schema)
        problems = [Problem("error_body_conforms", p.severity, p.message, p.title) for p in problems]
        if parsed is _UNREADABLE or problems:
            return problems
        allowed = self.table.codes_of(status) or (
            frozenset(code for code, paired in self.table.status_of_code.items() if paired >= 500)
            if status >= 500
            else frozenset()
        )
        code = parsed.get("code") if isinstance(parsed, dict) else None
        if allowed and code not in allowed:
            problems.append(
                Problem(
                    "error_body_conforms",
                    VIOLATION,
                    f"{label} answered {status} with code {code!r}; the contract pairs {status} with "
                    f"{' or '.join(sorted(allowed))}",
                    f"{label}: the code of a {status} answer",
                )
            )
        drifts = drift.find(schema, parsed)
        return problems + self._drift_problems(f"{label} answered {status}", label, status, drifts)

    def _drift_problems(
        self, answer: str, label: str, status: int, drifts: list[drift.Drift]
    ) -> list[Problem]:
        problems = []
        for found in drifts:
            near = found.documented is not None
            where = _ANY_INDEX.sub("/*", found.path)
            severity = VIOLATION if near or self.strict_fields else WARNING
            detail = f", a near miss of the documented {found.documented!r}" if near else ""
            problems.append(
                Problem(
                    FIELDS_CHECK,
                    severity,
                    f"{answer} with the undocumented property {found.path}{detail}",
                    f"{label}: the undocumented property {where} in a {status} body{detail}",
                )
            )
        return problems

    def _undocumented_method(self, exchange: Exchange, path: str) -> list[Problem]:
        allowed = ", ".join(self.path_methods[path])
        label = f"{exchange.method} {exchange.path}"
        if exchange.status < 400:
            return [
                Problem(
                    "unsupported_method",
                    VIOLATION,
                    f"{label} answered {exchange.status}; the contract documents only {allowed} for "
                    f"{path} (expected 405)",
                    f"{label}: a method the contract does not document was answered {exchange.status}",
                )
            ]
        return self._error_problems(label, exchange, self._error_schema)


_UNREADABLE = object()
_ANY_INDEX = re.compile(r"/[0-9]+(?=/|$)")
