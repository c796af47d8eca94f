"""Check machinery shared by the kit's checks: registration with schemathesis, the run-context lookup,
and small readers of a case and its response.

`groupkit_check` turns `func(run, response, case)` into a schemathesis check named like `func`:
  - without a groupkit run context (a schema `groupkit.conformance.load()` did not make), it skips;
  - it runs once per response, so `case.call_and_validate(additional_checks=CHECKS)` on top of the
    registered (hence default-on) checks does not repeat their follow-up requests;
  - a `ProbeSkipped` becomes a note in the report instead of an error.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

import schemathesis
from schemathesis.core.transport import Response

from .calls import AnyCase
from .context import ProbeSkipped, RunContext, context_for
from .failures import GroupkitFailure

DomainCheck = Callable[[RunContext, Response, AnyCase], bool | None]
SKIPPED = True  # what a schemathesis check returns when it did not apply

_last = threading.local()


def groupkit_check(func: DomainCheck) -> Callable[..., bool | None]:
    name = func.__name__

    @functools.wraps(func)
    def check(ctx: Any, response: Response, case: AnyCase) -> bool | None:
        run = context_for(case.operation.schema)
        if run is None:
            return SKIPPED
        seen: dict[str, Response] = _last.__dict__
        if seen.get(name) is response:
            return SKIPPED
        seen[name] = response
        try:
            return func(run, response, case)
        except ProbeSkipped as skipped:
            run.note(f"{name}: {skipped}")
            return SKIPPED

    return schemathesis.check(check)


# ----------------------------------------------------------------- reading a case and its response


def is_documented_call(case: AnyCase) -> bool:
    """False for the coverage phase's requests with a method the operation does not have."""
    return str(case.method).upper() == str(case.operation.method).upper()


def is_positive(case: AnyCase) -> bool:
    """Whether the case's data fits the contract (a case built by hand counts as positive)."""
    meta = case.meta
    return meta is None or meta.generation.mode.is_positive


def sent_own_token(run: RunContext, response: Response) -> bool:
    """Whether the request went out with the run's token (not without one, or with a generated one)."""
    sent = response.request.headers.get("Authorization")
    return isinstance(sent, str) and sent == run.settings.token


def json_body(response: Response) -> Any:
    try:
        return response.json()
    except Exception:
        return None


def sent_body(case: AnyCase) -> dict[str, Any]:
    return case.body if isinstance(case.body, dict) else {}


def sent_query(case: AnyCase, name: str) -> Any:
    return (case.query or {}).get(name)


def strings(data: dict[str, Any], *names: str) -> dict[str, str]:
    """The named fields of `data` that are strings (what a check can compare with a read)."""
    return {name: data[name] for name in names if isinstance(data.get(name), str)}


def reads_as_one_group(body: Any) -> dict[str, Any] | None:
    """GET /group answers an array holding exactly one Group (contract decision)."""
    if isinstance(body, list) and len(body) == 1 and isinstance(body[0], dict):
        return body[0]
    return None


def differences(expected: dict[str, Any], seen: dict[str, Any] | None) -> list[str]:
    """`field: expected X, seen Y` for each expected field the read does not show."""
    seen = seen or {}
    return [
        f"{key}: expected {value!r}, seen {seen.get(key, '<absent>')!r}"
        for key, value in expected.items()
        if seen.get(key) != value
    ]


def verified_write(run: RunContext, response: Response, check: str) -> bool:
    """Whether `check` should read back this generated write: it succeeded, was sent with the run's token, and
    per-case verification is on (see `per_case_verification`)."""
    return response.status_code == 200 and sent_own_token(run, response) and per_case_verification(run, check)


def per_case_verification(run: RunContext, check: str) -> bool:
    """Verify the fuzzer's own writes only with one worker: with several, another worker's write to the same
    resource could land between the write and the read and make a correct server look wrong."""
    if run.settings.workers <= 1:
        return True
    run.note(f"{check}: with --workers > 1 only the check's own probe runs (not every generated write)")
    return False


def probe(run: RunContext, attempt: Callable[[], None]) -> None:
    """Run a check's own probe; with several workers, a failure must repeat on a fresh probe to count."""
    try:
        try:
            attempt()
        except AssertionError:
            if run.settings.workers <= 1:
                raise
            attempt()
    except GroupkitFailure as failure:
        failure.from_probe = True
        raise
