"""Small broken servers for the triage and baseline tests: the mock behind an ASGI wrapper that rewrites the
JSON of one operation's 200 answers, always (a deterministic defect) or every other time (a flaky one)."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from typing import Any

from groupkit.app import create_app
from tests.conformance.sabotage.seams import Headers, buffering

Message = dict[str, Any]
Edit = Callable[[Any], Any]  # the parsed 200 body -> the body sent instead


class Rewrite:
    """Answers `METHOD /path` as the app does, with `edit` applied to the JSON body of its 200 answers."""

    def __init__(self, app: Any, label: str, edit: Edit) -> None:
        self.app, self.edit = app, edit
        self.method, self.path = label.split(" ", 1)

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) != (self.method, self.path):
            await self.app(scope, receive, send)
            return

        def rewrite(status: int, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
            if status == 200:
                body = json.dumps(self.edit(json.loads(body))).encode()
            return status, headers, body

        await self.app(scope, receive, buffering(send, rewrite))


def hide_probe_invitees(page: Any) -> Any:
    """GET /group/users leaves out members the kit's probes invited (`gk-conform-…@example.com`)."""
    page["items"] = [m for m in page["items"] if not str(m.get("email", "")).startswith("gk-conform-")]
    return page


def misname_roles(page: Any) -> Any:
    """GET /group/roles gives each role a number for a name (the contract: a string)."""
    for role in page["items"]:
        role["name"] = 42
    return page


def every_other(edit: Edit) -> Edit:
    """`edit` on the 1st, 3rd, 5th... call, the body unchanged on the others."""
    calls = itertools.count(1)
    return lambda body: edit(body) if next(calls) % 2 else body


def invitees_hidden() -> Rewrite:
    """Deterministic: invited_member_is_listed fails on its probe, whatever the seed."""
    return Rewrite(create_app(seed=1), "GET /group/users", hide_probe_invitees)


def invitees_hidden_and_roles_misnamed() -> Rewrite:
    """Two deterministic defects: one a probe finds, one on the generated requests of GET /group/roles."""
    return Rewrite(invitees_hidden(), "GET /group/roles", misname_roles)


def roles_misnamed(*, flaky: bool) -> Rewrite:
    """response_schema_conformance fails on GET /group/roles: on every answer, or (flaky) every other one."""
    return Rewrite(
        create_app(seed=1), "GET /group/roles", every_other(misname_roles) if flaky else misname_roles
    )


class Drip:
    """Answers `METHOD /path` as the app does, but sends its body one byte every `pause` seconds (the headers at
    once): a server that never times out a read, and never finishes."""

    def __init__(self, app: Any, label: str, pause: float = 1.0) -> None:
        self.app, self.pause = app, pause
        self.method, self.path = label.split(" ", 1)

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) != (self.method, self.path):
            await self.app(scope, receive, send)
            return

        async def drip(message: Message) -> None:
            if message["type"] != "http.response.body":
                await send(message)
                return
            body: bytes = message.get("body", b"")
            for index in range(len(body)):
                await send({"type": "http.response.body", "body": body[index : index + 1], "more_body": True})
                await asyncio.sleep(self.pause)
            if not message.get("more_body", False):
                await send({"type": "http.response.body", "body": b""})

        await self.app(scope, receive, drip)


def devices_dripping() -> Drip:
    """GET /group/devices sends its body at one byte per second."""
    return Drip(create_app(seed=1), "GET /group/devices")
