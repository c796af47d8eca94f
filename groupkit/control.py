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
from .journal import Journal
from .problems import Problems, method_not_allowed
from .store import Store

PREFIX = "/__mock__"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class Control:
    def __init__(
        self,
        store: Store,
        reset: Callable[[], None],
        journal: Journal,
        from_anywhere: bool,
        problems: Problems,
    ) -> None:
        self.store = store
        self.problems = problems
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
            ],
            default=self._not_found,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if not self.from_anywhere and (client is None or client[0] not in LOOPBACK):
            await self.problems.send(send, 403, "The control API answers loopback clients only")
            return
        allowed = self._methods(scope["path"])
        if scope["type"] == "http" and allowed and scope["method"] not in allowed:
            # starlette's answer would be text/plain and name only one route's methods
            message, headers = method_not_allowed(scope["method"], scope["path"], allowed)
            await self.problems.send(send, 405, message, headers)
            return
        await self.router(scope, receive, send)

    def _methods(self, path: str) -> tuple[str, ...]:
        """Every method the control API serves at `path` (HEAD with GET, as starlette serves it)."""
        methods = {
            method
            for route in self.router.routes
            if isinstance(route, Route) and route.path == path
            for method in route.methods or ()
        }
        return tuple(sorted(methods))

    async def _not_found(self, scope: Scope, _receive: Receive, send: Send) -> None:
        await self.problems.send(send, 404, f"No control API endpoint at {scope['path']}")

    def _counts(self) -> dict[str, int]:
        return self.store.counts()

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
            return self.problems.starlette_response(400, f"The body is not JSON: {error}")
        try:
            self.store.replace(data)  # checked and built in one pass; the state is swapped only if sound
        except worlds.InvalidWorld as invalid:
            return self.problems.starlette_response(
                400, "Not a valid world; the state is unchanged", invalid.problems
            )
        return JSONResponse({"status": "imported", **self._counts()})

    async def read_journal(self, request: Request) -> Response:
        query = request.query_params
        entries = self.journal.entries(query.get("operationId"), query.get("method"), query.get("path"))
        return JSONResponse({"items": entries})

    async def clear_journal(self, _request: Request) -> Response:
        return JSONResponse({"cleared": self.journal.clear()})
