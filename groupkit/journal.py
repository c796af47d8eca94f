"""The request journal: what clients sent to the mock, who sent it and what it answered, for end-to-end tests.

A bounded, in-memory list of entries (oldest dropped first), filled by an ASGI middleware that sees every
request except the control API's own. An entry keeps the raw bodies, each cut at `MAX_BODY_KEPT` bytes, and
is rendered when the journal is read: a body that is strict JSON as JSON, anything else as text, and every
secret masked (`SECRET_NAMES`, in bodies and query strings). Recording never parses, so a hostile request is
journaled like any other, and rendering cannot produce what JSON cannot carry (NaN, lone surrogates). The
caller is the id of the user whose token the request carried, never the token. Read and cleared through
`/__mock__/journal`. The middleware awaits the journal's async methods (`arecord`...), the seam a shared journal
(`groupkit.redisjournal`) fills; here they call the sync ones.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import strict_json

MAX_BODY_KEPT = 16 * 1024
MASK = "[Filtered]"  # what schemathesis, and so `groupkit conform`'s reports, show for a secret
# Field and query names whose values are secrets, compared case-insensitively: an API key's and a group's
# `token`, and the usual credential names. `nextToken` (a cursor) is not a secret.
SECRET_NAMES = frozenset(
    {"token", "authorization", "password", "secret", "apikey", "api_key", "access_token", "refresh_token"}
)
_SECRET_IN_TEXT = re.compile(
    r'("(?:' + "|".join(map(re.escape, sorted(SECRET_NAMES))) + r')"\s*:\s*)"(?:[^"\\]|\\.)*"?',
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Body:
    """The first `MAX_BODY_KEPT` bytes of a body and its full size."""

    head: bytes
    size: int

    def render(self) -> Any:
        if not self.size:
            return None
        text = self.head.decode("utf-8", errors="replace")
        if self.size <= MAX_BODY_KEPT:
            try:
                return masked(strict_json.loads(self.head))
            except strict_json.InvalidJson:
                pass
        else:
            text += f"... [{self.size} bytes, the first {MAX_BODY_KEPT} kept]"
        return _SECRET_IN_TEXT.sub(rf'\1"{MASK}"', text)


@dataclass(frozen=True)
class Entry:
    """One journaled request as recorded: raw, to be rendered (`render`) when the journal is read."""

    time: str
    method: str
    path: str
    query: bytes
    operation_id: str | None
    caller: str | None
    body: Body
    status: int
    response: Body
    duration_ms: float

    def render(self, entry_id: int) -> dict[str, Any]:
        query = parse_qs(self.query.decode("latin-1"), keep_blank_values=True)
        return {
            "id": entry_id,
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "query": {k: [MASK] * len(v) if k.lower() in SECRET_NAMES else v for k, v in query.items()},
            "operationId": self.operation_id,
            "caller": self.caller,
            "body": self.body.render(),
            "status": self.status,
            "responseBody": self.response.render(),
            "durationMs": self.duration_ms,
        }


def matches(entry: Entry, operation_id: str | None, method: str | None, path: str | None) -> bool:
    """Whether `entry` is one a journal read filtered by these (None: any) should answer."""
    return (
        (operation_id is None or entry.operation_id == operation_id)
        and (method is None or entry.method == method.upper())
        and (path is None or entry.path == path)
    )


def masked(value: Any) -> Any:
    """`value` with the value of every field named in `SECRET_NAMES` replaced by `MASK`, at any depth."""
    if isinstance(value, dict):
        return {
            key: MASK if key.lower() in SECRET_NAMES and item is not None else masked(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


class Journal:
    """The last `size` entries, thread-safe; `operations` maps (METHOD, path) to the contract's operationId."""

    def __init__(self, size: int, operations: Mapping[tuple[str, str], str]) -> None:
        self.size = size
        self._entries: deque[tuple[int, Entry]] = deque(maxlen=max(size, 1))
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._operations = operations

    def operation_of(self, method: str, path: str) -> str | None:
        return self._operations.get((method, path))

    def record(self, entry: Entry) -> None:
        with self._lock:
            self._entries.append((next(self._ids), entry))

    def entries(
        self, operation_id: str | None = None, method: str | None = None, path: str | None = None
    ) -> list[dict[str, Any]]:
        """The entries, oldest first, rendered (bodies parsed, secrets masked), filtered as asked."""
        with self._lock:
            chosen = [
                (entry_id, entry)
                for entry_id, entry in self._entries
                if matches(entry, operation_id, method, path)
            ]
        return [entry.render(entry_id) for entry_id, entry in chosen]

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            return count

    # The async seam: what the middleware and the control API await. In memory they are the sync methods.

    async def arecord(self, entry: Entry) -> None:
        self.record(entry)

    async def aentries(
        self, operation_id: str | None = None, method: str | None = None, path: str | None = None
    ) -> list[dict[str, Any]]:
        return self.entries(operation_id, method, path)

    async def aclear(self) -> int:
        return self.clear()

    async def alength(self) -> int:
        return len(self)


class _Capture:
    """Keeps the first `MAX_BODY_KEPT` bytes of a body that goes by in chunks, and counts them all."""

    def __init__(self) -> None:
        self.kept = bytearray()
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if len(self.kept) < MAX_BODY_KEPT:
            self.kept.extend(chunk[: MAX_BODY_KEPT - len(self.kept)])

    def body(self) -> Body:
        return Body(bytes(self.kept), self.size)


class JournalMiddleware:
    """Journals each request to `app` that is not under `skip_prefix`, in `journal` (or the journal a
    function of no arguments gives for the request: its session's, `groupkit.sessions`); `caller` maps an
    `Authorization` header to the id of its user (None for an unknown token). The entry is recorded before the
    final body message is passed on, so a client holding its answer finds its request in the journal; a request
    that ends without one (an exception, a drop) is recorded when it ends."""

    def __init__(
        self,
        app: ASGIApp,
        journal: Journal | Callable[[], Journal],
        skip_prefix: str,
        caller: Callable[[str], str | None] = lambda _header: None,
    ) -> None:
        self.app = app
        self.journal_of = journal if callable(journal) else lambda: journal
        self.skip_prefix = skip_prefix
        self.caller = caller

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        journal = self.journal_of()
        if scope["type"] != "http" or journal.size == 0 or path.startswith(self.skip_prefix):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        authorization = next((v for k, v in scope["headers"] if k == b"authorization"), None)
        caller = self.caller(authorization.decode("latin-1")) if authorization is not None else None
        request, response = _Capture(), _Capture()
        status = 0
        recorded = False

        async def record() -> None:
            nonlocal recorded
            recorded = True  # once, even if recording fails
            method = scope["method"]
            await journal.arecord(
                Entry(
                    time=datetime.now(UTC).isoformat(timespec="milliseconds"),
                    method=method,
                    path=path,
                    query=scope.get("query_string", b""),
                    operation_id=journal.operation_of(method, path),
                    caller=caller,
                    body=request.body(),
                    status=status,
                    response=response.body(),
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                )
            )

        async def receive_recorded() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request.add(message.get("body", b""))
            return message

        async def send_recorded(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                response.add(message.get("body", b""))
                if not message.get("more_body", False) and not recorded:
                    # before the client can hold the answer, so any worker it asks next finds the request
                    await record()
            await send(message)

        try:
            await self.app(scope, receive_recorded, send_recorded)
        finally:
            if not recorded:  # no final body went out: an exception, a drop, a disconnect
                await record()
