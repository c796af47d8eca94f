"""The control API under `/__mock__/`, outside the contract: health, demo users, reset, state export and
import, and the request journal. Reachable from loopback addresses only unless the mock is told otherwise.

    GET    /__mock__/health                 {"status": "ok", counts}
    GET    /__mock__/users                  the demo users and their tokens
    POST   /__mock__/reset                  back to the world the mock started with
    GET    /__mock__/state                  the whole state as a world (fixtures format)
    PUT    /__mock__/state                  replace the state with a world (checked first: 400, state kept)
    GET    /__mock__/journal?operationId=&method=&path=
    DELETE /__mock__/journal
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from . import world as worlds
from .guard import send_error
from .journal import Journal
from .store import Store

PREFIX = "/__mock__"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"message": message, "code": code}, status_code=status)


class Control:
    def __init__(
        self, store: Store, reset: Callable[[], None], journal: Journal, from_anywhere: bool
    ) -> None:
        self.store = store
        self._reset = reset
        self.journal = journal
        self.from_anywhere = from_anywhere
        self.router = Router(
            routes=[
                Route(f"{PREFIX}/health", self.health, methods=["GET"]),
                Route(f"{PREFIX}/users", self.users, methods=["GET"]),
                Route(f"{PREFIX}/reset", self.reset, methods=["POST"]),
                Route(f"{PREFIX}/state", self.export_state, methods=["GET"]),
                Route(f"{PREFIX}/state", self.import_state, methods=["PUT"]),
                Route(f"{PREFIX}/journal", self.read_journal, methods=["GET"]),
                Route(f"{PREFIX}/journal", self.clear_journal, methods=["DELETE"]),
            ]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if not self.from_anywhere and (client is None or client[0] not in LOOPBACK):
            await send_error(send, 403, "FORBIDDEN", "The control API answers loopback clients only")
            return
        await self.router(scope, receive, send)

    def _counts(self) -> dict[str, int]:
        return {"users": len(self.store.users), "groups": len(self.store.groups)}

    async def health(self, _request: Request) -> Response:
        return JSONResponse({"status": "ok", **self._counts()})

    async def users(self, _request: Request) -> Response:
        items = [
            {"id": u.id, "email": u.email, "name": u.name, "token": u.token} for u in self.store.demo_users()
        ]
        return JSONResponse({"items": items})

    async def reset(self, _request: Request) -> Response:
        self._reset()
        return JSONResponse({"status": "reset", **self._counts()})

    async def export_state(self, _request: Request) -> Response:
        return JSONResponse(self.store.export())

    async def import_state(self, request: Request) -> Response:
        try:
            data = json.loads(await request.body())
        except ValueError as error:
            return _error(400, "BAD_REQUEST", f"The body is not JSON: {error}")
        problems = worlds.problems(data)
        if problems:
            return JSONResponse(
                {
                    "message": "Not a valid world; the state is unchanged",
                    "code": "BAD_REQUEST",
                    "details": problems,
                },
                status_code=400,
            )
        self.store.replace(data)
        return JSONResponse({"status": "imported", **self._counts()})

    async def read_journal(self, request: Request) -> Response:
        query = request.query_params
        entries = self.journal.entries(query.get("operationId"), query.get("method"), query.get("path"))
        return JSONResponse({"items": entries})

    async def clear_journal(self, _request: Request) -> Response:
        return JSONResponse({"cleared": self.journal.clear()})
