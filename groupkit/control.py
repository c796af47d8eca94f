"""The control API under `/__mock__/`, outside the contract: health, demo users, reset, state export and
import, and the request journal. It is for tools (curl, scripts, test code), never for web pages.

    GET    /__mock__/health                 {"status": "ok", counts}
    GET    /__mock__/users                  the demo users and their tokens
    POST   /__mock__/reset                  back to the world the mock started with
    GET    /__mock__/state                  the whole state as a world (fixtures format)
    PUT    /__mock__/state                  replace the state with a world (checked first: 400, state kept)
    GET    /__mock__/journal?operationId=&method=&path=
    DELETE /__mock__/journal
    GET    /__mock__/sessions               the live sessions: name, created, last used, counts
    DELETE /__mock__/sessions/{name}        end a session (its world and journal are dropped)
    GET    /__mock__/behaviour              latency and fault settings; PUT replaces, DELETE restores (faults.py)

With `X-Mock-Session: <name>` the calls above act on that session's world and journal instead of the default
one (`groupkit.sessions`): `POST /reset` and `PUT /state` create it if needed, the others answer 404 for a
session that does not exist, and a bad name is a 400.

Who may call it, checked in this order (each refusal is the contract's `Error` body, without CORS headers):

1. A loopback client (403), unless the mock runs with `--control-from-anywhere`.
2. No cross-origin request (403): a request whose `Origin` is not the mock's own (preflights included), or
   that a browser marks as sent by another origin (`Sec-Fetch-Site` other than `same-origin` or `none`:
   browsers send it even where they leave `Origin` out, as on a `no-cors` GET). The control API sends no
   CORS headers whatever `--cors-origin` or `--no-cors` say, so a page on another origin can read nothing
   from it either.
3. With `--admin-token` (or `GROUPKIT_ADMIN_TOKEN`) set: `X-Mock-Admin-Token: <token>` on every call (401).
4. A state-changing call (reset, state import, journal clear, session delete) must be one a page cannot send without a
   preflight (403): it carries `X-Mock-Control: 1` or a JSON `Content-Type`. Reads need neither.

    curl -X POST -H 'X-Mock-Control: 1' http://127.0.0.1:8080/__mock__/reset
    curl -X PUT -H 'Content-Type: application/json' -d @world.json http://127.0.0.1:8080/__mock__/state

(The mock's `Host` check, `groupkit.hosts`, comes before all of these and covers the API too.)
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, Router
from starlette.types import Receive, Scope, Send

from . import strict_json
from . import world as worlds
from .errors import SharedStoreUnavailable
from .problems import Problems, method_not_allowed
from .sessions import SESSION_HEADER, InvalidSessionName, Sessions, World, name_of

PREFIX = "/__mock__"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
CONTROL_HEADER = "X-Mock-Control"
ADMIN_TOKEN_HEADER = "X-Mock-Admin-Token"
READS = ("GET", "HEAD")
_SESSION_KEY = SESSION_HEADER.lower().encode()
NOT_FOR_PAGES = "the control API is for tools and test code, not web pages, and sends no CORS headers"


def is_json(content_type: str | None) -> bool:
    """Whether a `Content-Type` names JSON (`application/json`, `application/*+json`): a type a page cannot
    send without a preflight, unlike text/plain, forms and multipart."""
    essence = (content_type or "").split(";", 1)[0].strip().lower()
    return essence == "application/json" or (essence.startswith("application/") and essence.endswith("+json"))


def cross_origin(headers: Headers) -> str | None:
    """What shows that a browser sent this request from another origin, or None: an `Origin` that is not the
    server the request is addressed to (`Host`), or a `Sec-Fetch-Site` other than `same-origin` or `none`."""
    origin, site = headers.get("origin"), headers.get("sec-fetch-site", "none")
    if origin is not None:
        try:
            netloc = urlsplit(origin).netloc.lower()
        except ValueError:
            netloc = ""
        if not netloc or netloc != headers.get("host", "").strip().lower():
            return f"Origin {origin[:100]!r}"
    if site not in ("same-origin", "none"):
        return f"Sec-Fetch-Site {site[:20]!r}"
    return None


class NoSuchSession(LookupError):
    """Raised for a control call naming a session that does not exist (404)."""


class Control:
    """The control API over `sessions`: each call acts on the default world, or on the session its
    `X-Mock-Session` header names."""

    def __init__(
        self,
        sessions: Sessions,
        problems: Problems,
        *,
        from_anywhere: bool,
        admin_token: str | None,
        routes: Sequence[BaseRoute] = (),
    ) -> None:
        self.sessions = sessions
        self.problems = problems
        self.from_anywhere = from_anywhere
        self.admin_token = admin_token or None
        self.router = Router(
            routes=[
                Route(f"{PREFIX}/health", self.health, methods=["GET"]),
                Route(f"{PREFIX}/users", self.users, methods=["GET"]),
                Route(f"{PREFIX}/reset", self.reset, methods=["POST"]),
                Route(f"{PREFIX}/state", self.export_state, methods=["GET"]),
                Route(f"{PREFIX}/state", self.import_state, methods=["PUT"]),
                Route(f"{PREFIX}/journal", self.read_journal, methods=["GET"]),
                Route(f"{PREFIX}/journal", self.clear_journal, methods=["DELETE"]),
                Route(f"{PREFIX}/sessions", self.list_sessions, methods=["GET"]),
                Route(f"{PREFIX}/sessions/{{name}}", self.delete_session, methods=["DELETE"]),
                *routes,  # other features' endpoints (`faults.py`: /behaviour), under the same rules
            ],
            default=self._not_found,
            # No slash redirect: its Location would echo the Host header; `/health/` is a JSON 404, as on the API.
            redirect_slashes=False,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self._refusal(scope)
        if refusal is not None:
            status, message, headers = refusal
            await self.problems.send(send, status, message, headers)
            return
        try:
            await self.router(scope, receive, send)
        except InvalidSessionName as error:
            await self.problems.send(send, 400, str(error))
        except NoSuchSession as error:
            await self.problems.send(send, 404, str(error))
        except SharedStoreUnavailable as error:
            await self.problems.send_unavailable(send, error)

    def _refusal(self, scope: Scope) -> tuple[int, str, dict[str, str]] | None:
        """Why the control API will not serve this request (status, message, headers), or None: the rules of
        the module's docstring, in its order, with an unknown method (405) before the last."""
        client = scope.get("client")
        if not self.from_anywhere and (client is None or client[0] not in LOOPBACK):
            return 403, "The control API answers loopback clients only", {}
        headers = Headers(scope=scope)
        foreign = cross_origin(headers)
        if foreign is not None:
            return 403, f"The control API answers no cross-origin requests ({foreign}): {NOT_FOR_PAGES}", {}
        given = headers.get(ADMIN_TOKEN_HEADER, "").encode()
        if self.admin_token is not None and not hmac.compare_digest(given, self.admin_token.encode()):
            return (
                401,
                f"The control API needs the mock's admin token: send {ADMIN_TOKEN_HEADER}: <token>",
                {},
            )
        method, path = scope["method"], scope["path"]
        allowed = self._methods(path)
        if allowed and method not in allowed:
            # starlette's answer would be text/plain and name only one route's methods
            message, allow = method_not_allowed(method, path, allowed)
            return 405, message, allow
        marked = CONTROL_HEADER in headers or is_json(headers.get("content-type"))
        if allowed and method not in READS and not marked:
            message = (
                f"{method} {path} changes the mock's state: send {CONTROL_HEADER}: 1 (or a JSON Content-Type)"
            )
            return 403, f"{message}; {NOT_FOR_PAGES}", {}
        return None

    def _methods(self, path: str) -> tuple[str, ...]:
        """Every method the control API serves at `path` (HEAD with GET, as starlette serves it)."""
        methods = {
            method
            for route in self.router.routes
            if isinstance(route, Route) and route.path_regex.match(path)
            for method in route.methods or ()
        }
        return tuple(sorted(methods))

    async def _not_found(self, scope: Scope, _receive: Receive, send: Send) -> None:
        await self.problems.send(send, 404, f"No control API endpoint at {scope['path']}")

    @staticmethod
    def _name(request: Request) -> str | None:
        """The session a call's header names, None without one; InvalidSessionName for a bad header."""
        values = [value for key, value in request.scope["headers"] if key == _SESSION_KEY]
        return name_of(values) if values else None

    async def _world(self, request: Request, create: bool = False) -> World:
        """The world a call acts on, caught up with the shared store if it is shared: the default one, or the
        session its header names (created if `create`; else NoSuchSession if it does not exist).
        InvalidSessionName for a bad header."""
        name = self._name(request)
        if name is None:
            return await self.sessions.default.fresh()
        world = await self.sessions.aselect(name) if create else await self.sessions.afind(name)
        if world is None:
            raise NoSuchSession(
                f"No session {name!r}: a request with {SESSION_HEADER}: {name} creates it (so do POST"
                f" {PREFIX}/reset and PUT {PREFIX}/state); GET {PREFIX}/sessions lists the live ones"
            )
        return world

    @staticmethod
    def _counts(world: World) -> dict[str, object]:
        session = {"session": world.name} if world.name is not None else {}
        return {**world.store.counts(), **session}

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", **self._counts(await self._world(request))})

    async def users(self, request: Request) -> Response:
        store = (await self._world(request)).store
        items = [{"id": u.id, "email": u.email, "name": u.name, "token": u.token} for u in store.demo_users()]
        return JSONResponse({"items": items})

    async def reset(self, request: Request) -> Response:
        world = await self._world(request, create=True)
        await self.sessions.areset(world)
        return JSONResponse({"status": "reset", **self._counts(world)})

    async def export_state(self, request: Request) -> Response:
        return JSONResponse((await self._world(request)).store.export())

    async def import_state(self, request: Request) -> Response:
        name = self._name(request)  # a bad session name is refused before the body is read
        try:
            data = strict_json.loads(await request.body())  # no NaN or lone surrogate gets stored
        except ValueError as error:
            return self.problems.starlette_response(400, f"The body is not JSON: {error}")
        world = self.sessions.default if name is None else await self.sessions.afind(name)
        try:
            if world is None:  # a new session: the world is checked first, so a refused import creates none
                worlds.build(data)
                world = await self.sessions.aselect(str(name))
            await self.sessions.areplace(world, data)  # checked and built in one pass; swapped only if sound
        except worlds.InvalidWorld as invalid:
            return self.problems.starlette_response(
                400, "Not a valid world; the state is unchanged", invalid.problems
            )
        return JSONResponse({"status": "imported", **self._counts(world)})

    async def read_journal(self, request: Request) -> Response:
        query = request.query_params
        journal = (await self._world(request)).journal
        entries = await journal.aentries(query.get("operationId"), query.get("method"), query.get("path"))
        return JSONResponse({"items": entries})

    async def clear_journal(self, request: Request) -> Response:
        world = await self._world(request)
        return JSONResponse({"cleared": await world.journal.aclear()})

    async def list_sessions(self, _request: Request) -> Response:
        return JSONResponse(
            {
                "items": await self.sessions.alisting(),
                "maxSessions": self.sessions.max_sessions,
                "sessionIdleSeconds": self.sessions.idle_seconds,
            }
        )

    async def delete_session(self, request: Request) -> Response:
        name = request.path_params["name"]
        if not await self.sessions.adrop(name):
            raise NoSuchSession(f"No session {name!r}; GET {PREFIX}/sessions lists the live ones")
        return JSONResponse({"deleted": name})
