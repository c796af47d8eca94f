"""Response selection as Prism does it: `Prefer: code=404`, `Prefer: example=NAME`, `Prefer: dynamic=true`
(or the query parameters `__code`, `__example`, `__dynamic`), limited to what the contract documents for the
operation. The choice is made in front of each handler, after connexion's routing, security and validation.

    a documented error status (code=404)  the contract's Error body for it; the handler does not run
    example=NAME (code=200 or no code)    that named example of the 200 response; the handler does not run
    dynamic=true (code=200 or no code)    a body generated from the 200 schema (seeded); the handler does not run
    code=200 alone, dynamic=false alone   the usual, stateful answer
    anything the contract does not document for the operation, or example and dynamic together: 400
    BAD_REQUEST, whose message names what is available

So a selected answer never changes the mock's state (as Prism's, it is stateless), a request without a
valid token is still 401 and an invalid one still 400 (Prism checks security and the request first, too).
Preferences other than these three are ignored, as RFC 7240 asks; the query parameters win over the header,
as in Prism. The decisions are written in `docs/response-selection.md` and the contract's `x-prefer` note.
"""

from __future__ import annotations

import copy
import functools
import inspect
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from connexion.context import _scope

from . import contract, samples
from .errors import BadRequest, GroupkitError
from .problems import MESSAGES

Handler = Callable[..., Any]
QUERY = {"__code": "code", "__example": "example", "__dynamic": "dynamic"}
SUCCESS = 200


@dataclass(frozen=True)
class Choice:
    """What a request asked for (None: not asked)."""

    code: int | None = None
    example: str | None = None
    dynamic: bool | None = None


@dataclass(frozen=True)
class Responses:
    """What the contract documents for one operation: its statuses, the named examples of each, and the
    schema of its success body."""

    name: str  # "GET /group (getGroup)", for messages
    statuses: tuple[int, ...]
    examples: Mapping[int, Mapping[str, Any]]
    success_schema: dict[str, Any] | None


class Forced(GroupkitError):
    """Raised to answer a documented error status a request chose with `Prefer: code=`."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def choice_of(scope: Mapping[str, Any]) -> Choice | None:
    """The selection a request carries, or None when it carries none (the fast path: one look at the query
    string and the header names); BadRequest for a value that is not one (`code=abc`, `dynamic=maybe`)."""
    query: bytes = scope.get("query_string", b"")
    prefer = [value for name, value in scope.get("headers", ()) if name == b"prefer"]
    if not prefer and b"__" not in query:
        return None
    asked: dict[str, tuple[str, str]] = {}  # preference -> (value, how it was written), query over header
    for item in b",".join(prefer).decode("latin-1").replace(";", ",").split(","):
        name, _, value = item.strip().partition("=")
        if name.strip().lower() in QUERY.values():
            value = value.strip().strip('"')
            asked[name.strip().lower()] = (value, f"Prefer: {name.strip().lower()}={value}")
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if name in QUERY:
            asked[QUERY[name]] = (value, f"{name}={value}")
    if not asked:
        return None
    code = example = dynamic = None
    if "code" in asked:
        value, written = asked["code"]
        if not (len(value) == 3 and value.isascii() and value.isdigit()):
            raise BadRequest(f"{written} is not an HTTP status code (three digits, e.g. code=404)")
        code = int(value)
    if "example" in asked:
        example = asked["example"][0]
    if "dynamic" in asked:
        value, written = asked["dynamic"]
        if value.lower() not in ("true", "false"):
            raise BadRequest(f"{written}: dynamic is true or false")
        dynamic = value.lower() == "true"
    return Choice(code, example, dynamic)


def responses_of(document: dict[str, Any]) -> dict[str, Responses]:
    """operationId -> what the contract documents for its responses."""
    result = {}
    for (method, path), operation_id in contract.operations(document).items():
        documented = document["paths"][path][method.lower()].get("responses", {})
        statuses, examples = [], {}
        success_schema = None
        for key, response in documented.items():
            if not str(key).isdigit():
                continue  # `default` and ranges are not statuses a client can choose
            status = int(key)
            statuses.append(status)
            media = contract._resolved(document, response).get("content", {}).get("application/json", {})
            named = {
                name: contract._resolved(document, example).get("value")
                for name, example in media.get("examples", {}).items()
            }
            if named:
                examples[status] = named
            if status == SUCCESS:
                success_schema = media.get("schema")
        name = f"{method} {path} ({operation_id})"
        result[operation_id] = Responses(name, tuple(sorted(statuses)), examples, success_schema)
    return result


class Selector:
    """Answers a request's choice for one mock: the contract's documented responses, its error table, and
    the seeded generator of dynamic bodies."""

    def __init__(self, document: dict[str, Any], seed: int | None = None) -> None:
        self.document = document
        self.responses = responses_of(document)
        self.table = contract.error_table(document)
        self.rng = random.Random(seed)

    def wrap(self, operation_id: str, handler: Handler) -> Handler:
        """`handler`, answering a request's choice instead of running when it carries one. connexion reads
        the handler's parameters through `__wrapped__`, so it passes the wrapper what it passes `handler`."""
        responses = self.responses.get(operation_id)
        if responses is None:  # not an operation of this contract: nothing to choose from
            return handler

        @functools.wraps(handler)
        async def selecting(*args: Any, **kwargs: Any) -> Any:
            choice = choice_of(_scope.get({}))
            answer = self.answer(responses, choice) if choice is not None else None
            return await handler(*args, **kwargs) if answer is None else answer

        @functools.wraps(handler)
        def selecting_sync(*args: Any, **kwargs: Any) -> Any:  # in connexion's thread pool (context copied)
            choice = choice_of(_scope.get({}))
            answer = self.answer(responses, choice) if choice is not None else None
            return handler(*args, **kwargs) if answer is None else answer

        return selecting if inspect.iscoroutinefunction(handler) else selecting_sync

    def answer(self, responses: Responses, choice: Choice) -> tuple[Any, int] | None:
        """The (body, status) a choice selects, None for the usual answer; raises `Forced` for an error
        status and BadRequest for a choice the contract does not document."""
        code = choice.code
        if code is not None and code not in responses.statuses:
            listed = ", ".join(map(str, responses.statuses))
            raise BadRequest(f"Prefer code={code}: {responses.name} documents the statuses {listed}")
        if choice.example is not None and choice.dynamic:
            raise BadRequest("Prefer example= and dynamic=true exclude each other: choose one")
        status = code if code is not None else SUCCESS
        if choice.example is not None:
            named = responses.examples.get(status, {})
            if choice.example not in named:
                available = ", ".join(sorted(named)) or "none"
                raise BadRequest(
                    f"Prefer example={choice.example}: the {status} response of {responses.name} has no "
                    f"example of that name; its named examples: {available}"
                )
            if status >= 400:  # an error example is still answered with the contract's Error for its status
                raise self._forced(status, f"example={choice.example}")
            return copy.deepcopy(named[choice.example]), status
        if status >= 400:
            raise self._forced(status, f"code={status}")
        if choice.dynamic and responses.success_schema is not None:
            return samples.generate(responses.success_schema, self.document, self.rng), status
        return None

    def _forced(self, status: int, asked: str) -> Forced:
        what = MESSAGES.get(status, "Error")
        return Forced(
            f"{what} (chosen with Prefer: {asked}; nothing was changed)", self.table.general_code[status]
        )


def selecting(operations: Mapping[str, Handler], selector: Selector) -> dict[str, Handler]:
    """The operation table with every handler wrapped by `selector`."""
    return {
        operation_id: selector.wrap(operation_id, handler) for operation_id, handler in operations.items()
    }
