"""The request journal: what clients sent to the mock and what it answered, for end-to-end tests.

A bounded, in-memory list of entries (oldest dropped first), filled by an ASGI middleware that sees every
request except the control API's own. Read and cleared through `/__mock__/journal`.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_KEPT = 16 * 1024


class Journal:
    def __init__(self, size: int, operations: Mapping[tuple[str, str], str]) -> None:
        self.size = size
        self._entries: deque[dict[str, Any]] = deque(maxlen=max(size, 1))
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._operations = operations

    def operation_of(self, method: str, path: str) -> str | None:
        return self._operations.get((method, path))

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            entry["id"] = next(self._ids)
            self._entries.append(entry)

    def entries(
        self, operation_id: str | None = None, method: str | None = None, path: str | None = None
    ) -> list[dict[str, Any]]:
        with self._lock:
            return [
                entry
                for entry in self._entries
                if (operation_id is None or entry["operationId"] == operation_id)
                and (method is None or entry["method"] == method.upper())
                and (path is None or entry["path"] == path)
            ]

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            return count


def _body_of(raw: bytes) -> Any:
    if not raw:
        return None
    text = raw[:MAX_BODY_KEPT].decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


class JournalMiddleware:
    def __init__(self, app: ASGIApp, journal: Journal, skip_prefix: str) -> None:
        self.app = app
        self.journal = journal
        self.skip_prefix = skip_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or self.journal.size == 0 or path.startswith(self.skip_prefix):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        body = bytearray()
        status = 0

        async def receive_recorded() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(body) < MAX_BODY_KEPT:
                body.extend(message.get("body", b""))
            return message

        async def send_recorded(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive_recorded, send_recorded)
        finally:
            method = scope["method"]
            query = scope.get("query_string", b"").decode("latin-1")
            self.journal.record(
                {
                    "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                    "method": method,
                    "path": path,
                    "query": {key: values for key, values in parse_qs(query, keep_blank_values=True).items()},
                    "operationId": self.journal.operation_of(method, path),
                    "body": _body_of(bytes(body)),
                    "status": status,
                    "durationMs": round((time.perf_counter() - started) * 1000, 2),
                }
            )
