"""The `Host` check: the mock answers requests addressed to a loopback name (127.0.0.1, localhost, [::1], any
port) or to a name it was given, and refuses the rest with the contract's 403 `Error` body.

It guards against DNS rebinding: a page on `evil.example` whose name is re-pointed at 127.0.0.1 becomes
same-origin with the mock, so neither CORS nor the control API's Origin rule stops it; only the `Host` header,
still `evil.example`, tells it apart. The check covers the whole mock, the API as well as the control API:
the API's demo tokens are printed in the README, so a rebound page could use them and, with `--cors-origin`
set, get around the origin list. starlette's `TrustedHostMiddleware` has the same rule but answers text/plain
400 and would reject `[::1]` as written by a user, hence this small replacement.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from .problems import Problems

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
ANY_HOST = "*"

# a name (letters, digits, dots, hyphens; underscores, as in container names) or a bracketed IPv6 address,
# then an optional port
_HOST = re.compile(
    r"(?:(?P<name>[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?)|\[(?P<ipv6>[0-9a-f:.]+)\])(?::(?P<port>[0-9]{1,5}))?"
)


def _parse(value: str) -> tuple[str, str | None] | None:
    """The host (lower case; an IPv6 address compressed, in brackets) and port of `value`, or None."""
    match = _HOST.fullmatch(value.strip().lower())
    if match is None:
        return None
    if match["ipv6"] is None:
        return match["name"], match["port"]
    try:
        return f"[{ipaddress.IPv6Address(match['ipv6']).compressed}]", match["port"]
    except ValueError:
        return None


def host_name(value: str) -> str | None:
    """The host part of a `Host` header value, in one spelling; None for a value that is not a host name or
    address with an optional port."""
    parsed = _parse(value)
    return parsed[0] if parsed is not None else None


def allowed_name(name: str) -> str:
    """A configured host name in the spelling `host_name` gives (`::1` and `[::1]` alike), or `*`;
    ValueError for anything else, a port included, so that a typo stops the mock at start."""
    if name == ANY_HOST:
        return name
    bare = name.strip()
    if ":" in bare and not bare.startswith("["):
        bare = f"[{bare}]"  # an IPv6 address as `--host` takes it
    parsed = _parse(bare)
    if parsed is None or parsed[1] is not None:
        raise ValueError(f"{name!r} is not an allowed host: give a host name or address without a port, or *")
    return parsed[0]


class HostGuard:
    """Passes on to `app` the requests whose single `Host` header names one of `allowed` (with any port);
    answers the others 403. `*` among `allowed` turns the check off."""

    def __init__(self, app: ASGIApp, problems: Problems, allowed: Iterable[str]) -> None:
        self.app = app
        self.problems = problems
        self.allowed = {allowed_name(name) for name in allowed}
        self.any = ANY_HOST in self.allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.any or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        hosts = Headers(scope=scope).getlist("host")
        if len(hosts) == 1 and host_name(hosts[0]) in self.allowed:
            await self.app(scope, receive, send)
            return
        await self.problems.send(send, 403, self._refusal(hosts))

    def _refusal(self, hosts: list[str]) -> str:
        names = ", ".join(sorted(self.allowed))
        if not hosts:
            seen = "a request with no Host header"
        elif len(hosts) > 1:
            seen = "a request with several Host headers"
        else:
            shown = hosts[0] if len(hosts[0]) <= 100 else hosts[0][:100] + "…"
            seen = f"Host {shown!r}"
        return (
            f"The mock answers requests addressed to {names} only, not {seen} (a guard against DNS "
            "rebinding); to allow a name, start it with --allowed-host NAME"
        )
