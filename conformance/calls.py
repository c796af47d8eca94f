"""Follow-up requests the kit's checks make, built as schemathesis cases of the contract's operations.

A follow-up goes through `Case.call()`, so it takes the same road as a generated request: the network
transport with the run's base URL and rate limit, or the in-process ASGI app when the schema has one.
Only the `Authorization` header is set here (generated cases get it from the config; built ones do not).
Every reply keeps the masked curl command that reproduces it.
"""

from __future__ import annotations

import json
import shlex
import threading
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.structures import CaseInsensitiveDict
from schemathesis.core import NOT_SET
from schemathesis.filters import FilterSet
from schemathesis.generation.case import Case
from schemathesis.schemas import BaseSchema

AnyCase = Case[Any]  # a generated or built case of any operation

# Sentinel: send the run's own token.
OWN_TOKEN = "\x00own"


@dataclass(frozen=True)
class Reply:
    """One follow-up exchange: what was asked (`label`, `curl`) and what came back."""

    label: str
    target: str  # `METHOD /path?query` as sent
    status: int
    headers: dict[str, str]
    body: Any
    text: str
    curl: str

    def brief(self) -> str:
        """`METHOD /path?query answered STATUS`, for failure messages."""
        return f"{self.target} answered {self.status}"

    def items(self) -> list[Any]:
        body = self.body
        if isinstance(body, dict) and isinstance(body.get("items"), list):
            return list(body["items"])
        return []


class Caller:
    """Sends follow-up requests for one run; thread-safe (one keep-alive session per worker thread)."""

    def __init__(self, schema: BaseSchema, token: str, request_timeout: float | None) -> None:
        # An unfiltered clone: a check may need an operation the run does not test (e.g. POST /group).
        self.schema = schema.clone(filter_set=FilterSet())
        self.token = token
        self.request_timeout = request_timeout
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.clear()  # no User-Agent/Accept defaults: only what the case says is sent
            self._local.session = session
        return session

    def send(
        self,
        label: str,
        *,
        query: dict[str, Any] | None = None,
        body: Any = NOT_SET,
        token: str | None = OWN_TOKEN,
    ) -> Reply:
        """Send `label` ("METHOD /path") with `token` (default: the run's; None: no Authorization)."""
        method, path = label.split(" ", 1)
        operation = self.schema[path][method]
        headers: dict[str, str] = {}
        if token is not None:
            headers["Authorization"] = self.token if token == OWN_TOKEN else token
        query = {key: value for key, value in (query or {}).items() if value is not None}
        return self._exchange(operation.Case(query=query, body=body, headers=headers))

    def resend(
        self,
        case: AnyCase,
        *,
        token: str | None = OWN_TOKEN,
        query: dict[str, Any] | None = None,
        body: Any = NOT_SET,
        shown: bool = False,
    ) -> Reply:
        """`case` again, with `token` as its Authorization header (None: without one), and optionally
        another query or body. `shown`: `token` is one the kit made up (no secret), and its curl shows it."""
        headers = CaseInsensitiveDict(
            {name: value for name, value in case.headers.items() if name.lower() != "authorization"}
        )
        if token is not None:
            headers["Authorization"] = self.token if token == OWN_TOKEN else token
        derived = case.derive(headers=headers, query=query)
        if body is not NOT_SET:
            derived.body = body
        reply = self._exchange(derived)
        if shown and token is not None and token != OWN_TOKEN:
            masked = shlex.quote("Authorization: [Filtered]")
            reply = replace(reply, curl=reply.curl.replace(masked, shlex.quote(f"Authorization: {token}")))
        return reply

    def _exchange(self, case: AnyCase) -> Reply:
        label = f"{case.method.upper()} {case.path}"
        kwargs: dict[str, Any] = {}
        if self.schema.app is None:
            kwargs["session"] = self._session()
        if self.request_timeout is not None:
            kwargs["timeout"] = self.request_timeout
        response = case.call(**kwargs)
        try:
            parsed = json.loads(response.content) if response.content else None
        except ValueError:
            parsed = None
        url = urlsplit(str(response.request.url))
        return Reply(
            label=label,
            target=f"{case.method.upper()} {url.path}" + (f"?{url.query}" if url.query else ""),
            status=response.status_code,
            headers={name.lower(): values[0] for name, values in response.headers.items() if values},
            body=parsed,
            text=response.content.decode("utf-8", "replace")[:500],
            curl=case.as_curl_command(),
        )
