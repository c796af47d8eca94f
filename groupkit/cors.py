"""The API's CORS policy: starlette's `CORSMiddleware`, open by default to what a frontend under development
sends (any origin, any method, any request header its preflight asks for; every response header readable),
with a refused preflight answered with the contract's `Error` body instead of starlette's text/plain.

The control API never passes through it: `MockApp` sends `/__mock__/` requests around it.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp

from .problems import MEDIA_TYPE, Problems
from .sessions import SESSION_HEADER

ANY = "*"


class Cors(CORSMiddleware):
    """`origins` and `allow_headers` are lists of names or `("*",)` for any. A list of headers always lets
    `Authorization` (the API's security header) and `X-Mock-Session` (`groupkit.sessions`) through besides
    starlette's CORS-safelisted ones (`Accept`, `Accept-Language`, `Content-Language`, `Content-Type`). A page on a public origin that asks to reach the
    mock on a private address (Chromium's Private Network Access preflight) is let through only when its
    origin is listed by name: naming it is the user's consent, `*` is not."""

    def __init__(
        self, app: ASGIApp, problems: Problems, origins: Sequence[str], allow_headers: Sequence[str]
    ) -> None:
        always = ["Authorization", SESSION_HEADER]
        headers = [ANY] if ANY in allow_headers else list(dict.fromkeys([*always, *allow_headers]))
        super().__init__(
            app,
            allow_origins=list(origins),
            allow_methods=[ANY],  # a wrong method then gets the mock's 405, readable, not a failed fetch
            allow_headers=headers,
            expose_headers=[ANY],
            allow_private_network=ANY not in origins,
            max_age=600,
        )
        self.problems = problems
        self.origins = tuple(origins)
        self.listed_headers = tuple(headers)

    def preflight_response(self, request_headers: Headers) -> Response:
        answer = super().preflight_response(request_headers)
        if answer.status_code < 400:
            return answer
        reason = bytes(answer.body).decode()  # starlette's "Disallowed CORS origin, headers"
        asked = request_headers.get("access-control-request-headers", "")
        message = (
            f"CORS preflight refused ({reason}) for origin {request_headers['origin']!r}, method "
            f"{request_headers['access-control-request-method']!r}, headers {asked!r}: this mock allows the "
            f"origins {', '.join(self.origins)} (--cors-origin) and the request headers "
            f"{', '.join(self.listed_headers)} (--cors-allow-header)"
        )
        if "private-network" in reason:
            message += "; a public page reaches the mock's private address only if --cors-origin names it"
        kept = {
            name: value
            for name, value in answer.headers.items()
            if name not in ("content-type", "content-length")
        }
        body = self.problems.body(400, message)
        return Response(body, status_code=400, headers=kept, media_type=MEDIA_TYPE)
