"""Sign-in like the real service: `POST /oauth2/token?grant_type=client_credentials` with HTTP Basic client
credentials (the world's `clients`) issues a Bearer access token that expires; served outside connexion.

The endpoint answers as UnaConnect's (an AWS Cognito token endpoint) does, per RFC 6749:

- 200 `{"access_token", "expires_in", "token_type": "Bearer"}` with `Cache-Control: no-store` (§5.1);
- 401 `invalid_client` with `WWW-Authenticate: Basic` when the `Authorization: Basic base64(id:secret)`
  header is missing, malformed or names no client with that secret (§5.2);
- 400 `invalid_request` without `grant_type` (in the query, as UnaConnect documents it, or in a form body),
  400 `unsupported_grant_type` for any grant but `client_credentials`; 405 for any method but POST.

Every error body carries both RFC 6749's `error`/`error_description` and the contract's `message`/`code`
(rendered by `problems.py`), so OAuth2 libraries and the mock's other clients each read their own fields.
An issued token acts as the client's user until it expires (`lifetime` seconds, then 401 like any unknown
token); the world's fixed tokens keep working beside it.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote_plus

from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import SharedStoreUnavailable
from .problems import MEDIA_TYPE, Problems

PATH = "/oauth2/token"
DEFAULT_LIFETIME = 3600  # seconds, as UnaConnect's tokens (`expires_in: 3600`)
MAX_TOKENS = 10_000  # live tokens kept at most; beyond, the oldest is forgotten (memory stays flat)
MAX_BODY = 4096  # a form body holds `grant_type` and little else
TOKEN_PREFIX = "gk_at_"


class SharedTokens(Protocol):
    """Where the workers of a shared store publish the tokens they issue (`groupkit.redisextras.RedisTokens`)."""

    async def publish(self, token: str, user_id: str, seconds: float) -> None: ...

    async def lookup(self, token: str) -> tuple[str, float] | None: ...


@dataclass(frozen=True)
class Client:
    """An OAuth2 client of the world: its credentials and the user its tokens act as."""

    client_id: str
    secret: str
    user_id: str


class SignInError(Exception):
    """A token request refused: its status, RFC 6749 error code and description."""

    def __init__(self, status: int, error: str, description: str, headers: Mapping[str, str] | None = None):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description
        self.headers = dict(headers or {})


class Signin:
    """The world's clients and the tokens issued to them. `clock` (seconds, monotonic) and `new_token` are
    injectable so that tests can let a token expire without waiting."""

    def __init__(
        self,
        clients: Iterable[Client],
        problems: Problems,
        *,
        lifetime: float = DEFAULT_LIFETIME,
        clock: Callable[[], float] = time.monotonic,
        new_token: Callable[[], str] = lambda: TOKEN_PREFIX + secrets.token_urlsafe(24),
    ) -> None:
        if lifetime <= 0:
            raise ValueError(f"a token lifetime is a positive number of seconds, not {lifetime}")
        self.clients = {client.client_id: client for client in clients}
        self.problems = problems
        self.lifetime = lifetime
        self.clock = clock
        self.new_token = new_token
        self._issued: dict[str, tuple[str, float]] = {}  # token -> (user id, expiry), oldest first
        self._lock = threading.Lock()
        self.shared: SharedTokens | None = None  # where other workers find the tokens issued here

    def remember(self, token: str, user_id: str, seconds: float) -> None:
        """Know `token` as acting as `user_id` for `seconds` more (one another worker issued)."""
        with self._lock:
            while len(self._issued) >= MAX_TOKENS:
                del self._issued[next(iter(self._issued))]
            self._issued[token] = (user_id, self.clock() + seconds)

    @classmethod
    def of_world(cls, world: Mapping[str, Any], problems: Problems, **options: Any) -> Signin:
        """The sign-in of a (checked) world: its `clients` list, if any."""
        clients = [Client(c["clientId"], c["clientSecret"], c["userId"]) for c in world.get("clients", [])]
        return cls(clients, problems, **options)

    # ------------------------------------------------------------------ tokens

    def user_of(self, token: str) -> str | None:
        """The user id an issued token acts as, or None (never issued, forgotten or expired)."""
        if not token.startswith(TOKEN_PREFIX):
            return None  # not ours: no lock taken
        with self._lock:
            found = self._issued.get(token)
            if found is None:
                return None
            user_id, expiry = found
            if self.clock() >= expiry:
                del self._issued[token]
                return None
            return user_id

    def issue(self, authorization: str | None, grant_type: str | None) -> dict[str, Any]:
        """The token response body for a request's `Authorization` header and `grant_type`, or SignInError."""
        client = self._client(authorization)
        if not grant_type:
            raise SignInError(
                400, "invalid_request", "grant_type is required (grant_type=client_credentials)"
            )
        if grant_type != "client_credentials":
            raise SignInError(
                400,
                "unsupported_grant_type",
                f"grant_type {grant_type!r} is not supported; use client_credentials",
            )
        token = self.new_token()
        with self._lock:
            now = self.clock()
            for old in [t for t, (_, expiry) in self._issued.items() if expiry <= now]:
                del self._issued[old]
            while len(self._issued) >= MAX_TOKENS:
                del self._issued[next(iter(self._issued))]
            self._issued[token] = (client.user_id, now + self.lifetime)
        return {"access_token": token, "expires_in": int(self.lifetime), "token_type": "Bearer"}

    def _client(self, authorization: str | None) -> Client:
        challenge = {"WWW-Authenticate": 'Basic realm="groupkit"'}
        scheme, _, credentials = (authorization or "").strip().partition(" ")
        if scheme.lower() != "basic" or not credentials.strip():
            raise SignInError(
                401, "invalid_client", "send Authorization: Basic base64(client_id:client_secret)", challenge
            )
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise SignInError(
                401, "invalid_client", "the Basic credentials are not base64 of UTF-8", challenge
            ) from None
        raw_id, colon, raw_secret = decoded.partition(":")
        client = self.clients.get(unquote_plus(raw_id)) if colon else None
        if client is None or not hmac.compare_digest(
            unquote_plus(raw_secret).encode(), client.secret.encode()
        ):
            raise SignInError(401, "invalid_client", "unknown client or wrong secret", challenge)
        return client

    # ------------------------------------------------------------------ HTTP

    def route(self, app: ASGIApp) -> ASGIApp:
        """`app`, with `/oauth2/token` answered here first."""

        async def routed(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope["path"] == PATH:
                await self(scope, receive, send)
                return
            if self.shared is not None and scope["type"] == "http":
                try:
                    await self._learn(scope)
                except SharedStoreUnavailable as error:
                    await self.problems.send_unavailable(send, error)
                    return
            await app(scope, receive, send)

        return routed

    async def _learn(self, scope: Scope) -> None:
        """Fetch from the shared store an issued token this worker does not know (another one issued it)."""
        assert self.shared is not None
        for name, value in scope["headers"]:
            if name == b"authorization":
                token = value.decode("latin-1").strip(" \t").rpartition(" ")[2]
                if token.startswith(TOKEN_PREFIX) and self.user_of(token) is None:
                    found = await self.shared.lookup(token)
                    if found is not None:
                        self.remember(token, *found)

    async def _published(self, token: str, send: Send) -> bool:
        """Publish a token just issued for the other workers; if the shared store fails, the token is
        forgotten here too and the client gets the 503 (False)."""
        assert self.shared is not None
        user_id = self.user_of(token)
        try:
            if user_id is not None:
                await self.shared.publish(token, user_id, self.lifetime)
            return True
        except SharedStoreUnavailable as error:
            with self._lock:
                self._issued.pop(token, None)
            await self.problems.send_unavailable(send, error)
            return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
        }
        try:
            if scope["method"] != "POST":
                raise SignInError(
                    405,
                    "invalid_request",
                    f"{scope['method']} is not allowed here; use POST",
                    {"Allow": "POST"},
                )
            body = await _read(receive)
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            form = parse_qs(body) if "x-www-form-urlencoded" in headers.get("content-type", "") else {}
            grant = (query.get("grant_type") or form.get("grant_type") or [None])[0]
            answer, status = self.issue(headers.get("authorization"), grant), 200
            if self.shared is not None and not await self._published(answer["access_token"], send):
                return
            extra = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        except SignInError as refused:
            error = json.loads(self.problems.body(refused.status, refused.description))
            answer = {"error": refused.error, "error_description": refused.description, **error}
            status, extra = refused.status, {**refused.headers, "Cache-Control": "no-store"}
        payload = json.dumps(answer).encode()
        raw = [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(payload)).encode())]
        raw += [(name.lower().encode(), value.encode()) for name, value in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": payload})


async def _read(receive: Receive) -> str:
    """The request body as text (a form is ASCII); over MAX_BODY bytes or not UTF-8: invalid_request."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise SignInError(400, "invalid_request", f"the request body is over {MAX_BODY} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise SignInError(400, "invalid_request", "the request body is not UTF-8") from None
