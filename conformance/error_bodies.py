"""`error_body_conforms`: every error answer has a status the operation documents, an `application/json`
body that matches the contract's `Error` schema, and an `Error.code` that names the same kind of error as
the status (404 is NOT_FOUND, never BAD_REQUEST), as the contract's error table pairs them (`Error.code`'s
`x-status-of-code`, read from the contract the run uses).

The stock checks cover part of this for documented statuses (`status_code_conformance`,
`content_type_conformance`, `response_schema_conformance`); this one also holds the answers to methods an
operation does not have (405) to the Error body, and checks what no schema can say: the code/status pairing.
It judges every error the run provokes, and, once per operation, provokes two itself (the same request
without a token, and with a group id that names nothing), since the fuzzer may never meet a 404 when it
draws real ids from the responses it saw.
"""

from __future__ import annotations

import json
from typing import Any

from schemathesis.core.transport import Response

from groupkit import contract

from .calls import AnyCase, Reply
from .context import ProbeSkipped, RunContext
from .failures import ErrorCodeMismatch, GroupkitFailure, MalformedErrorBody, UndocumentedErrorStatus
from .machinery import SKIPPED, groupkit_check, is_documented_call, probe

_UNPARSABLE = object()


@groupkit_check
def error_body_conforms(run: RunContext, response: Response, case: AnyCase) -> bool | None:
    checked = response.status_code >= 400
    if checked:
        try:
            body: Any = response.json()
        except Exception:
            body = _UNPARSABLE
        failure = _judge(
            run, case, response.status_code, _content_type(response.headers), body, response.text
        )
        if failure is not None:
            raise failure
    if is_documented_call(case) and run.claim("error_body_conforms", case.operation.label):
        probe(run, lambda: _provoke(run, case))
        checked = True
    return None if checked else SKIPPED


def _provoke(run: RunContext, case: AnyCase) -> None:
    unknown = f"{run.prefix}no-such-group"
    replies = [run.caller.resend(case, token=None)]
    if "groupId" in (case.query or {}):
        replies.append(run.caller.resend(case, query={**case.query, "groupId": unknown}))
    elif isinstance(case.body, dict) and "groupId" in case.body:
        replies.append(run.caller.resend(case, body={**case.body, "groupId": unknown}))
    for reply in replies:
        if reply.status >= 400:
            body = reply.body if reply.body is not None or not reply.text else _UNPARSABLE
            failure = _judge(
                run, case, reply.status, reply.headers.get("content-type", ""), body, reply.text, reply
            )
            if failure is not None:
                raise failure


def _judge(
    run: RunContext,
    case: AnyCase,
    status: int,
    content_type: str,
    body: Any,
    text: str,
    reply: Reply | None = None,
) -> GroupkitFailure | None:
    label = case.operation.label
    sent = reply.target if reply is not None else f"{case.method.upper()} {case.path}"
    steps = [reply.curl] if reply is not None else []
    if (
        is_documented_call(case) and status < 500
    ):  # a 5xx is not_a_server_error's (and status_code_conformance's)
        documented = [str(key).upper() for key in case.operation.definition.raw.get("responses", {})]
        if (
            str(status) not in documented
            and f"{status // 100}XX" not in documented
            and "DEFAULT" not in documented
        ):
            return UndocumentedErrorStatus(
                operation=label,
                detail=f"{sent} answered {status}; the contract documents {', '.join(documented)} for it",
                steps=steps,
            )
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        return MalformedErrorBody(
            operation=label,
            detail=f"the {status} answer to {sent} has Content-Type {content_type or '<none>'!r}; "
            "expected application/json with an Error body {message, code}",
            steps=steps,
        )
    if body is _UNPARSABLE:
        return MalformedErrorBody(
            operation=label,
            detail=f"the {status} answer to {sent} is not JSON: {text[:200]!r}; expected an Error body",
            steps=steps,
        )
    problem = _schema_problem(run, case, body)
    if problem:
        return MalformedErrorBody(
            operation=label,
            detail=f"the {status} body of {sent}, {_short(body)}, does not match the Error schema: {problem}",
            steps=steps,
        )
    allowed = _codes_of_status(run, case, status)
    code = body.get("code") if isinstance(body, dict) else None
    if allowed and code not in allowed:
        return ErrorCodeMismatch(
            operation=label,
            detail=f"a {status} answer to {sent} has code {code!r}; expected {' or '.join(sorted(allowed))}",
            steps=steps,
        )
    return None


def _content_type(headers: Any) -> str:
    for key, values in headers.items():
        if key.lower() == "content-type" and values:
            return str(values[0])
    return ""


def _codes_of_status(run: RunContext, case: AnyCase, status: int) -> frozenset[str]:
    """The codes the contract pairs with `status` (any 5xx with its server-error codes); none for a
    contract without an error table, which is noted."""
    raw = case.operation.schema.raw_schema
    try:
        table = run.memo(("error-table", id(raw)), lambda: _error_table(raw))
    except ProbeSkipped as skipped:
        run.note(f"error_body_conforms: {skipped}")
        return frozenset()
    if status >= 500:
        return frozenset(code for code, paired in table.status_of_code.items() if paired >= 500)
    return table.codes_of(status)


def _error_table(raw: dict[str, Any]) -> contract.ErrorTable:
    try:
        return contract.error_table(raw)
    except ValueError as error:
        raise ProbeSkipped(f"{error}; the code/status pairing is not checked") from None


def _schema_problem(run: RunContext, case: AnyCase, body: Any) -> str:
    raw = case.operation.schema.raw_schema
    if "Error" not in raw.get("components", {}).get("schemas", {}):
        return ""
    validator = run.memo(("error-validator", id(raw)), lambda: contract.component(raw, "Error"))
    error = next(iter(validator.iter_errors(body)), None)
    if error is None:
        return ""
    where = "/".join(str(part) for part in error.absolute_path)
    return f"{error.message}" + (f" (at {where})" if where else "")


def _short(body: Any) -> str:
    text = json.dumps(body) if not isinstance(body, str) else body
    return text if len(text) <= 200 else text[:197] + "..."
