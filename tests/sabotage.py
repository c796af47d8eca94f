"""The sabotage suite's variants: the real mock with ONE realistic defect injected from outside.

Every variant builds a fresh `create_app(seed=..., validate_responses=False)` (response validation off, so
connexion does not turn the defect into a 500) and breaks it in one of three ways, never by editing
`handlers/` or `groupkit/`:

* overriding one of that app instance's `store` methods (an instance attribute shadows the class's; the
  handlers are bound to this store instance, so only this app is affected);
* replacing the security handler while that one app is built (`groupkit.app._security_map` is swapped
  for the duration of `create_app` and restored, so no global state stays modified);
* an ASGI wrapper that rewrites one operation's response (status, content type, body) or request body.

Each `Variant` names the defect, the kit options that exercise it (which operations, how many examples)
and the check names the kit may report for it (any one of them counts as detection).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from connexion.security import ApiKeySecurityHandler
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import groupkit.app as mock_app
from groupkit import groups, roles
from groupkit.app import MockApp, create_app
from groupkit.errors import BadRequest, NotFound
from groupkit.guard import replaying
from groupkit.model import GroupChanges, GroupView
from groupkit.pagination import Page, decode_token, encode_token
from groupkit.store import Store

SEED = 7

ALICE = "demo-token-alice"
EVA = "demo-token-eva"

Headers = list[tuple[bytes, bytes]]
Rewrite = Callable[[int, Headers, bytes], tuple[int, Headers, bytes]]


@dataclass(frozen=True)
class Variant:
    """One broken mock. `build()` gives a fresh ASGI app (its state is its own)."""

    name: str
    defect: str
    build: Callable[[], ASGIApp]
    include: tuple[str, ...]
    checks: frozenset[str]
    max_examples: int = 10
    options: dict[str, Any] = field(default_factory=dict)  # further kit `Options` fields, if any


# --------------------------------------------------------------------------------------- building blocks


def fresh_mock() -> MockApp:
    return create_app(seed=SEED, validate_responses=False)


def override(store: Store, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Replace `store.<name>` on this instance only; the replacement gets the original bound method first."""
    original = getattr(store, name)

    def install(replacement: Callable[..., Any]) -> Callable[..., Any]:
        def method(*args: Any, **kwargs: Any) -> Any:
            return replacement(original, *args, **kwargs)

        setattr(store, name, method)
        return replacement

    return install


@contextmanager
def swapped(module: Any, name: str, value: Any) -> Iterator[None]:
    """Swap a module attribute while one app is constructed; always restored."""
    saved = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, saved)


def _with_header(headers: Headers, name: bytes, value: str) -> Headers:
    return [(k, v) for k, v in headers if k.lower() != name] + [(name, value.encode("latin-1"))]


class RewriteResponse:
    """ASGI wrapper: buffers the responses of matching requests and passes them through `rewrite`.

    Attributes other than the ASGI call (`store`, `journal`, ...) are the wrapped mock's."""

    def __init__(self, app: ASGIApp, match: Callable[[str, str], bool], rewrite: Rewrite) -> None:
        self.app = app
        self.match = match
        self.rewrite = rewrite

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.match(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            status, headers, body = self.rewrite(
                start["status"], list(start.get("headers", [])), b"".join(chunks)
            )
            headers = _with_header(headers, b"content-length", str(len(body)))
            await send({**start, "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)


class RewriteRequestBody:
    """ASGI wrapper: reads the body of matching requests, passes it through `rewrite`, replays the result."""

    def __init__(
        self, app: ASGIApp, match: Callable[[str, str], bool], rewrite: Callable[[bytes], bytes]
    ) -> None:
        self.app = app
        self.match = match
        self.rewrite = rewrite

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.match(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = self.rewrite(b"".join(chunks))
        headers = [
            (k, v) for k, v in scope["headers"] if k.lower() not in (b"content-length", b"transfer-encoding")
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        await self.app({**scope, "headers": headers}, replaying(body, receive), send)


def operation(method: str, path: str) -> Callable[[str, str], bool]:
    return lambda m, p: m == method and p == path


# Every list the store serves, with the scope its nextTokens are issued for. The list methods take the
# caller first (except `list_roles`), then the group (for group lists), then `limit` and `token`.
ListCall = Callable[[int, str | None], Page[Any]]
Pager = Callable[[ListCall, str, int, str | None], Page[Any]]


def sabotage_lists(store: Store, pager: Pager) -> None:
    """Route every list of `store` through `pager(call, scope, limit, token)`; `call(limit, token)` is the
    correct list."""

    @override(store, "list_user_groups")
    def _(original: Any, user_id: str, limit: int, token: str | None) -> Page[Any]:
        return pager(lambda n, t: original(user_id, n, t), "user-groups", limit, token)

    @override(store, "list_group_devices")
    def _(original: Any, user_id: str, group_id: str, limit: int, token: str | None) -> Page[Any]:
        return pager(lambda n, t: original(user_id, group_id, n, t), f"devices:{group_id}", limit, token)

    @override(store, "list_group_users")
    def _(original: Any, user_id: str, group_id: str, limit: int, token: str | None) -> Page[Any]:
        return pager(lambda n, t: original(user_id, group_id, n, t), f"users:{group_id}", limit, token)

    @override(store, "list_roles")
    def _(original: Any, limit: int, token: str | None) -> Page[Any]:
        return pager(original, "roles", limit, token)


def sabotage_groups(
    store: Store, change: Callable[[GroupView], GroupView], *, read_only: bool = False
) -> None:
    """Pass every Group the store answers through `change` (only `GET /group`'s if `read_only`)."""

    @override(store, "get_group")
    def _(original: Any, user_id: str, group_id: str) -> GroupView:
        return change(original(user_id, group_id))

    if not read_only:

        @override(store, "list_user_groups")
        def _(original: Any, user_id: str, limit: int, token: str | None) -> Page[GroupView]:
            page = original(user_id, limit, token)
            return Page([change(view) for view in page.items], page.next_token)

        for name in ("create_group", "update_group"):

            @override(store, name)
            def _(original: Any, *args: Any, **kwargs: Any) -> GroupView:
                return change(original(*args, **kwargs))


# --------------------------------------------------------------------------------------- the variants


def missing_required_field() -> ASGIApp:
    app = fresh_mock()
    # The wire leaves out what is unset: a view without its viewer is a Group without `userId`.
    sabotage_groups(app.store, lambda view: replace(view, viewer_id=None), read_only=True)
    return app


def wrong_type() -> ASGIApp:
    app = fresh_mock()
    sabotage_groups(app.store, lambda view: replace(view, device_count=str(view.device_count)))
    return app


def wrong_date_format() -> ASGIApp:
    app = fresh_mock()

    def date_time(view: GroupView) -> GroupView:
        return replace(view, group=replace(view.group, created_at=view.group.created_at + "T00:00:00Z"))

    sabotage_groups(app.store, date_time)
    return app


def undocumented_status() -> ASGIApp:
    def created(status: int, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
        return (201 if status == 200 else status), headers, body

    return RewriteResponse(fresh_mock(), operation("POST", "/group"), created)


def wrong_content_type() -> ASGIApp:
    def text(status: int, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
        return status, _with_header(headers, b"content-type", "text/plain; charset=utf-8"), body

    return RewriteResponse(fresh_mock(), operation("GET", "/group/roles"), text)


def error_body_wrong_shape() -> ASGIApp:
    def framework_404(status: int, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
        if status != 404:
            return status, headers, body
        return status, _with_header(headers, b"content-type", "application/json"), b'{"error": "not found"}'

    return RewriteResponse(fresh_mock(), lambda m, p: True, framework_404)


def ignored_auth() -> ASGIApp:
    """A development fallback left on: a request without a valid token is served as the first demo user."""

    def security_map(store: Store) -> dict[str, type]:
        alice = store.user_for_token(ALICE)
        assert alice is not None

        class AnyoneIsAlice(ApiKeySecurityHandler):
            def _resolve_func(self, security_scheme: Any) -> Any:
                return store.user_for_token

            def _get_verify_func(
                self, api_key_info_func: Any, loc: Any, name: Any, required_scopes: Any
            ) -> Any:
                def verify(request: Any) -> dict[str, str]:
                    user = store.user_for_token(mock_app._token_of(request.headers.get(name) or ""))
                    return {"sub": (user or alice).id}

                return verify

        return {"apiKey": AnyoneIsAlice}

    with swapped(mock_app, "_security_map", security_map):
        return fresh_mock()


def cross_group_leak() -> ASGIApp:
    """`GET /group` and `GET /group/devices` look the group up but never check the caller's membership."""
    app = fresh_mock()
    store = app.store

    def any_group(user_id: str, group_id: str) -> tuple[Any, roles.Role]:
        group = store._state.group(group_id)
        if group is None:
            raise NotFound("Group not found")
        return group, store.effective_role(user_id, group_id) or roles.VIEWER

    @override(store, "get_group")
    def _(original: Any, user_id: str, group_id: str) -> GroupView:
        with store.lock:
            group, role = any_group(user_id, group_id)
            return groups.view(store._state, user_id, group, role)

    @override(store, "list_group_devices")
    def _(original: Any, user_id: str, group_id: str, limit: int, token: str | None) -> Page[Any]:
        with store.lock:
            group, _ = any_group(user_id, group_id)
            return store._state.page_devices(group.id, limit, token)

    return app


def delete_does_nothing() -> ASGIApp:
    """`DELETE /group/apiKey` checks the key exists and the caller may delete it, then forgets to delete."""
    app = fresh_mock()
    store = app.store

    @override(store, "delete_api_key")
    def _(original: Any, user_id: str, group_id: str, kind: str) -> None:
        with store.lock:
            store._api_key(user_id, group_id, kind)

    return app


def update_lost() -> ASGIApp:
    """`PUT /group` answers the merged group but the write is never committed (rolled back)."""
    app = fresh_mock()
    store = app.store

    @override(store, "update_group")
    def _(original: Any, user_id: str, group_id: str, changes: GroupChanges) -> GroupView:
        with store.lock:
            saved = store._state.group(group_id)
            answer = original(user_id, group_id, changes)
            if saved is not None:
                store._state.put_group(saved)  # the old record back, under its old parent
            return answer

    return app


def member_not_removed() -> ASGIApp:
    """`DELETE /group/user` answers 200 but the membership is put back (last in the list)."""
    app = fresh_mock()
    store = app.store

    @override(store, "remove_member")
    def _(original: Any, user_id: str, group_id: str, member_id: str | None) -> Any:
        with store.lock:
            target = user_id if member_id is None else member_id
            membership = store._state.membership(target, group_id)
            removal = original(user_id, group_id, member_id)
            store._state.add_membership(group_id, target, membership.role_id)
            return removal

    return app


def invite_not_listed() -> ASGIApp:
    """`PUT /group/invite` answers the new membership but never stores it."""
    app = fresh_mock()
    store = app.store

    @override(store, "invite")
    def _(original: Any, user_id: str, group_id: str, email: str, role_id: str) -> Any:
        with store.lock:
            relation = original(user_id, group_id, email, role_id)
            store._state.remove_membership(store._state.membership(relation.user_id, group_id))
            return relation

    return app


def role_change_lost() -> ASGIApp:
    """`PUT /group/user` answers the member with the new role but the old role stays stored."""
    app = fresh_mock()
    store = app.store

    @override(store, "update_member")
    def _(original: Any, user_id: str, group_id: str, member_id: str, role_id: str) -> Any:
        with store.lock:
            before = store._state.membership(member_id, group_id)
            relation = original(user_id, group_id, member_id, role_id)
            store._state.put_membership(before)  # the old record, with the old role
            return relation

    return app


def key_not_stored() -> ASGIApp:
    """`POST /group/apiKey` answers the new key but never stores it."""
    app = fresh_mock()
    store = app.store

    @override(store, "create_api_key")
    def _(original: Any, user_id: str, group_id: str, key_type: str, name: str, token: str) -> Any:
        with store.lock:
            key = original(user_id, group_id, key_type, name, token)
            store._state.delete_api_key(key.group_id, key.type)
            return key

    return app


def created_group_unreadable() -> ASGIApp:
    """`POST /group` answers the new group, but it is never stored: reading it back answers 404."""
    app = fresh_mock()
    store = app.store

    @override(store, "create_group")
    def _(original: Any, user_id: str, **fields: Any) -> GroupView:
        with store.lock:
            created = original(user_id, **fields)
            state = store._state  # groups are never deleted, so this reaches into the state's own dicts
            group = state._groups.pop(created.group.id)
            for membership in list(state.members(group.id)):
                state.remove_membership(membership)
            if group.parent is not None:
                state._children[group.parent].discard(group.id)
            return created

    return app


def pagination_repeats() -> ASGIApp:
    """The cursor is read as inclusive: each next page starts again with the previous page's last item."""
    app = fresh_mock()

    def inclusive(call: ListCall, scope: str, limit: int, token: str | None) -> Page[Any]:
        if token:
            after = decode_token(scope, token)
            token = encode_token(scope, after - 1) if after > 0 else None
        return call(limit, token)

    sabotage_lists(app.store, inclusive)
    return app


def pagination_drops() -> ASGIApp:
    """Off by one the other way: each next page skips the first item after the cursor."""
    app = fresh_mock()

    def skipping(call: ListCall, scope: str, limit: int, token: str | None) -> Page[Any]:
        if token:
            skipped = call(1, token)
            if skipped.next_token is None:
                return Page([], None)
            token = skipped.next_token
        return call(limit, token)

    sabotage_lists(app.store, skipping)
    return app


def next_token_never_ends() -> ASGIApp:
    """The last page still carries a nextToken; it leads to an empty page carrying yet another one."""
    app = fresh_mock()
    beyond = 10**6  # above every sequence number the default world and a kit run reach

    def endless(call: ListCall, scope: str, limit: int, token: str | None) -> Page[Any]:
        page = call(limit, token)
        if page.next_token is not None:
            return page
        after = decode_token(scope, token)
        return Page(page.items, encode_token(scope, max(after, beyond) + 1))

    sabotage_lists(app.store, endless)
    return app


def bad_next_token_accepted() -> ASGIApp:
    """A nextToken the server never issued is not refused: the list silently starts over."""
    app = fresh_mock()

    def forgiving(call: ListCall, scope: str, limit: int, token: str | None) -> Page[Any]:
        try:
            return call(limit, token)
        except BadRequest as error:
            if error.code != "INVALID_NEXT_TOKEN":
                raise
            return call(limit, None)

    sabotage_lists(app.store, forgiving)
    return app


def accepts_invalid_body() -> ASGIApp:
    """`POST /group/apiKey` reads its body leniently instead of validating it: missing fields default to
    "", other values are stringified, so a body without `token` is stored and answered 200."""

    def lenient(raw: bytes) -> bytes:
        try:
            body = json.loads(raw)
        except ValueError:
            return raw
        if not isinstance(body, dict):
            return raw
        for key in ("groupId", "type", "token", "name"):
            value = body.get(key, "")
            body[key] = value if isinstance(value, str) else json.dumps(value)
        return json.dumps(body).encode()

    return RewriteRequestBody(fresh_mock(), operation("POST", "/group/apiKey"), lenient)


def rejects_valid_body() -> ASGIApp:
    """`POST /group` refuses the documented `tags` field with 400 (an allow-list that forgot it)."""
    app = fresh_mock()

    @override(app.store, "create_group")
    def _(original: Any, user_id: str, **fields: Any) -> GroupView:
        if fields.get("tags") is not None:  # the handler passes None when the body has no `tags`
            raise BadRequest("Unknown field: tags")
        return original(user_id, **fields)

    return app


def server_error_on_input() -> ASGIApp:
    """`PUT /group` pastes the new name into a hand-built query (a uniqueness check run before the group is
    loaded): a name with a quote breaks it and the server answers 500."""
    app = fresh_mock()

    @override(app.store, "update_group")
    def _(original: Any, user_id: str, group_id: str, changes: GroupChanges) -> GroupView:
        name = changes.name
        if isinstance(name, str) and "'" in name:
            raise RuntimeError(f'syntax error at or near "{name.split(chr(39), 1)[1][:10]}"')
        return original(user_id, group_id, changes)

    return app


def server_error_on_non_latin1() -> ASGIApp:
    """`PUT /group` stores the name in a Latin-1 column: a name outside Latin-1 (an emoji, CJK, ...) raises
    UnicodeEncodeError and the server answers 500."""
    app = fresh_mock()

    @override(app.store, "update_group")
    def _(original: Any, user_id: str, group_id: str, changes: GroupChanges) -> GroupView:
        name = changes.name
        if isinstance(name, str):
            name.encode("latin-1")
        return original(user_id, group_id, changes)

    return app


def _variants() -> list[Variant]:
    def v(
        name: str,
        defect: str,
        build: Callable[[], ASGIApp],
        include: str | tuple[str, ...],
        *checks: str,
        **kw: Any,
    ) -> Variant:
        return Variant(
            name, defect, build, (include,) if isinstance(include, str) else include, frozenset(checks), **kw
        )

    return [
        v(
            "missing-required-field",
            "GET /group drops the required `userId` from the Group",
            missing_required_field,
            "GET /group",
            "response_schema_conformance",
        ),
        v(
            "wrong-type",
            "Group.numberOfDevices is served as a string",
            wrong_type,
            "GET /user/groups",
            "response_schema_conformance",
        ),
        v(
            "undocumented-status",
            "POST /group answers 201, which the contract does not document (200)",
            undocumented_status,
            "POST /group",
            "status_code_conformance",
        ),
        v(
            "wrong-content-type",
            "GET /group/roles is served as text/plain",
            wrong_content_type,
            "GET /group/roles",
            "content_type_conformance",
        ),
        v(
            "ignored-auth",
            "a missing or unknown token is served as Alice instead of 401",
            ignored_auth,
            ("GET /group/roles", "PUT /group"),
            "ignored_auth",
            "auth_is_enforced",
        ),
        v(
            "cross-group-leak",
            "GET /group and GET /group/devices skip the membership check: Eva reads ACME",
            cross_group_leak,
            ("GET /group", "GET /group/devices"),
            "isolation_between_users",
        ),
        v(
            "delete-does-nothing",
            "DELETE /group/apiKey answers 200 but the key stays",
            delete_does_nothing,
            "DELETE /group/apiKey",
            "deleted_key_stays_deleted",
        ),
        v(
            "update-lost",
            "PUT /group answers the new values but never stores them",
            update_lost,
            "PUT /group",
            "update_is_persisted",
        ),
        v(
            "pagination-repeats",
            "each next page repeats the last item of the previous page",
            pagination_repeats,
            "GET /group/roles",
            "pagination_is_complete",
        ),
        v(
            "pagination-drops",
            "each next page skips the first item after the cursor",
            pagination_drops,
            "GET /group/devices",
            "pagination_is_complete",
        ),
        v(
            "next-token-never-ends",
            "the last page still has a nextToken, leading to endless empty pages",
            next_token_never_ends,
            "GET /user/groups",
            "pagination_is_complete",
        ),
        v(
            "bad-next-token-accepted",
            "a nextToken the server never issued is read as the first page instead of 400",
            bad_next_token_accepted,
            "GET /group/users",
            "pagination_is_complete",
        ),
        v(
            "accepts-invalid-body",
            "POST /group/apiKey does not validate its body: a body without `token` is stored (200)",
            accepts_invalid_body,
            "POST /group/apiKey",
            "negative_data_rejection",
        ),
        v(
            "rejects-valid-body",
            "POST /group answers 400 to a valid body with `tags`",
            rejects_valid_body,
            "POST /group",
            "positive_data_acceptance",
        ),
        v(
            "server-error-on-input",
            "PUT /group answers 500 when the name contains a quote (')",
            server_error_on_input,
            "PUT /group",
            "not_a_server_error",
            max_examples=50,
        ),
        v(
            "server-error-on-non-latin1",
            "PUT /group answers 500 when the name holds a character outside Latin-1",
            server_error_on_non_latin1,
            "PUT /group",
            "not_a_server_error",
            max_examples=50,
        ),
        v(
            "wrong-date-format",
            "Group.createdAt is a date-time (2024-03-12T00:00:00Z), not the contract's `format: date`",
            wrong_date_format,
            "GET /user/groups",
            "response_schema_conformance",
        ),
        v(
            "error-body-wrong-shape",
            'every 404 body is {"error": "not found"} instead of the Error {"message", "code"}',
            error_body_wrong_shape,
            ("GET /group", "DELETE /group/apiKey"),
            "error_body_conforms",
            "response_schema_conformance",
        ),
        v(
            "member-not-removed",
            "DELETE /group/user answers 200 but the member stays",
            member_not_removed,
            "DELETE /group/user",
            "removed_member_is_gone",
        ),
        v(
            "invite-not-listed",
            "PUT /group/invite answers the new membership but never stores it",
            invite_not_listed,
            "PUT /group/invite",
            "invited_member_is_listed",
        ),
        v(
            "role-change-lost",
            "PUT /group/user answers the new role but the member keeps the old one",
            role_change_lost,
            "PUT /group/user",
            "updated_role_is_listed",
        ),
        v(
            "key-not-stored",
            "POST /group/apiKey answers the new key but never stores it",
            key_not_stored,
            "POST /group/apiKey",
            "created_key_is_stored",
        ),
        v(
            "created-group-unreadable",
            "POST /group answers the new group but never stores it (GET /group answers 404)",
            created_group_unreadable,
            "POST /group",
            "created_group_is_readable",
        ),
    ]


VARIANTS: list[Variant] = _variants()
BY_NAME: dict[str, Variant] = {variant.name: variant for variant in VARIANTS}

__all__ = ["VARIANTS", "BY_NAME", "Variant"]
