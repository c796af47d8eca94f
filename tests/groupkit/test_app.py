"""The mock on the wire (a real uvicorn server on loopback): auth, every error source rendered as the
contract's Error body, and the body guard."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from groupkit import contract
from groupkit.app import create_app
from tests.conftest import DEFAULT_WORLD, auth, group_id, serve

ERROR = contract.component(contract.default(), "Error")
ACME = group_id(DEFAULT_WORLD, "ACME Logistics")


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(ERROR.iter_errors(body)) == []
    assert body["code"] == code
    return body


def test_raw_and_bearer_tokens_are_accepted(client: httpx.Client) -> None:
    raw = client.get("/user/groups", headers=auth("alice"))
    bearer = client.get("/user/groups", headers={"Authorization": "Bearer demo-token-alice"})
    assert raw.status_code == bearer.status_code == 200
    assert raw.json() == bearer.json()
    assert {g["name"] for g in raw.json()["items"]} >= {"ACME Logistics", "ACME Lyon Warehouse"}


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"Authorization": ""}, id="empty"),
        pytest.param({"Authorization": "demo-token-mallory"}, id="unknown"),
        pytest.param({"Authorization": "Bearer"}, id="bearer-without-token"),
        pytest.param({"Authorization": "Basic ZGVtbzpkZW1v"}, id="basic"),
    ],
)
@pytest.mark.parametrize(
    "method, path", [pytest.param(m, p, id=f"{m} {p}") for m, p in contract.operations(contract.default())]
)
@pytest.mark.slow
def test_every_operation_rejects_missing_and_invalid_tokens(
    client: httpx.Client, method: str, path: str, headers: dict[str, str]
) -> None:
    body = assert_error(client.request(method, path, headers=headers), 401, "UNAUTHORIZED")
    assert body["message"] == "Unauthorized"


@pytest.mark.parametrize(
    "request_kwargs, status, code",
    [
        pytest.param({"method": "GET", "url": "/group"}, 400, "BAD_REQUEST", id="missing-required-parameter"),
        pytest.param(
            {"method": "GET", "url": "/user/groups?limit=abc"}, 400, "BAD_REQUEST", id="non-integer"
        ),
        pytest.param(
            {"method": "GET", "url": "/user/groups?limit=0"}, 400, "BAD_REQUEST", id="limit-below-1"
        ),
        pytest.param(
            {"method": "GET", "url": "/user/groups?limit=101"}, 400, "BAD_REQUEST", id="limit-above-100"
        ),
        pytest.param(
            {"method": "GET", "url": "/user/groups?nextToken=not-ours"},
            400,
            "INVALID_NEXT_TOKEN",
            id="bad-token",
        ),
        pytest.param(
            {
                "method": "POST",
                "url": "/group",
                "content": b"{nope",
                "headers": {"content-type": "application/json"},
            },
            400,
            "BAD_REQUEST",
            id="malformed-json",
        ),
        pytest.param(
            {
                "method": "POST",
                "url": "/group",
                "content": b"\xff\xfe{}",
                "headers": {"content-type": "application/json"},
            },
            400,
            "BAD_REQUEST",
            id="not-utf8",
        ),
        pytest.param(
            {"method": "POST", "url": "/group", "json": {"name": 5}},
            400,
            "BAD_REQUEST",
            id="wrong-field-type",
        ),
        pytest.param(
            {"method": "POST", "url": "/group", "json": ["a"]}, 400, "BAD_REQUEST", id="body-not-object"
        ),
        pytest.param(
            {
                "method": "PUT",
                "url": "/group/invite",
                "json": {"email": "not-an-email", "groupId": ACME, "roleId": "viewer"},
            },
            400,
            "BAD_REQUEST",
            id="bad-email",
        ),
        pytest.param(
            {"method": "PUT", "url": "/group/apiKey", "json": {"groupId": ACME}},
            400,
            "BAD_REQUEST",
            id="missing-required-field",
        ),
        pytest.param(
            {
                "method": "POST",
                "url": "/group",
                "content": b"name=x",
                "headers": {"content-type": "text/plain"},
            },
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            id="wrong-content-type",
        ),
        pytest.param(
            {"method": "POST", "url": "/group", "content": b'{"name": "' + b"x" * 70_000 + b'"}'},
            413,
            "PAYLOAD_TOO_LARGE",
            id="oversized-body",
        ),
        pytest.param({"method": "GET", "url": "/no/such/path"}, 404, "NOT_FOUND", id="unknown-route"),
        pytest.param(
            {"method": "GET", "url": f"/group?groupId={ACME}x"}, 404, "NOT_FOUND", id="unknown-group"
        ),
    ],
)
def test_bad_input_gets_a_documented_error(
    client: httpx.Client, request_kwargs: dict[str, Any], status: int, code: str
) -> None:
    before = client.get("/__mock__/state").json()
    headers = {**auth("alice"), **request_kwargs.pop("headers", {})}
    assert_error(client.request(headers=headers, **request_kwargs), status, code)
    assert client.get("/__mock__/state").json() == before  # nothing stored was touched


def test_a_chunked_oversized_body_is_refused(client: httpx.Client) -> None:
    def chunks() -> Any:
        for _ in range(100):
            yield b"x" * 1024

    response = client.post(
        "/group", content=chunks(), headers={**auth("alice"), "content-type": "application/json"}
    )
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize("path, methods", list(contract.path_methods(contract.default()).items()))
def test_wrong_method_gets_405_with_the_full_allow_list(
    client: httpx.Client, path: str, methods: tuple[str]
) -> None:
    wrong = next(m for m in ("PATCH", "DELETE", "POST") if m not in methods)
    response = client.request(wrong, path, headers=auth("alice"))
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert set(response.headers["allow"].split(", ")) == set(methods)


@pytest.mark.slow
def test_response_validation_is_on_and_can_be_turned_off() -> None:
    """A handler answering outside the contract is caught by connexion's response validation (500), which
    the test suite relies on; with validation off the same answer goes out unchanged."""
    from groupkit.handlers import OPERATIONS

    async def broken(store: Any, user: str, group_id: str) -> Any:
        return {"not": "an array"}

    operations = {**OPERATIONS, "getGroup": broken}
    for validate, expected in ((True, 500), (False, 200)):
        with serve(create_app(validate_responses=validate, operations=operations)) as url:
            response = httpx.get(f"{url}/group", params={"groupId": ACME}, headers=auth("alice"))
        assert response.status_code == expected


def test_middleware_wrap_connexion_first_outermost_behind_the_body_guard() -> None:
    """`create_app(middleware=...)`: the first wraps the next, they see the API's requests but not the
    control API's, and a body the guard refuses never reaches them."""
    seen: list[str] = []

    def noting(name: str) -> Any:
        def wrap(app: Any) -> Any:
            async def middleware(scope: Any, receive: Any, send: Any) -> None:
                if scope["type"] == "http":
                    seen.append(f"{name} {scope['method']} {scope['path']}")
                await app(scope, receive, send)

            return middleware

        return wrap

    with serve(create_app(middleware=[noting("outer"), noting("inner")], max_body=16)) as url:
        assert httpx.get(f"{url}/group/roles", headers=auth("alice")).status_code == 200
        assert httpx.post(f"{url}/group", json={"name": "x" * 32}, headers=auth("alice")).status_code == 413
        httpx.get(f"{url}/__mock__/journal")
    assert seen == ["outer GET /group/roles", "inner GET /group/roles"]


def test_swagger_ui_and_the_contract_are_served(client: httpx.Client) -> None:
    assert "swagger" in client.get("/ui/").text.lower()
    served = client.get("/openapi.json").json()
    assert set(served["paths"]) == set(contract.default()["paths"])


@pytest.mark.parametrize(
    "coroutine, expected",
    [
        pytest.param(True, "event loop", id="async-handler"),
        pytest.param(False, "thread pool", id="sync-handler"),
    ],
)
def test_connexion_calls_async_handlers_on_the_event_loop(coroutine: bool, expected: str) -> None:
    """What groupkit/store.py's note on concurrency rests on: connexion awaits our `async def` handlers
    (bound by binding.bind) on the event loop, and sends only a plain function to its thread pool."""
    import asyncio
    import threading

    from groupkit.handlers import OPERATIONS
    from groupkit.store import Store

    seen: list[str] = []
    loop_thread = threading.get_ident()  # asyncio.run below runs the event loop in this thread

    class Spy(Store):
        def list_roles(self, limit: int, token: str | None) -> Any:
            seen.append("event loop" if threading.get_ident() == loop_thread else "thread pool")
            return super().list_roles(limit, token)

    list_roles = OPERATIONS["listRoles"]

    def plain(store: Any, user: str, limit: int = 20, next_token: str | None = None) -> Any:
        return asyncio.run(list_roles(store, user, limit, next_token))

    operations = OPERATIONS if coroutine else {**OPERATIONS, "listRoles": plain}
    app = create_app(store_class=Spy, operations=operations)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            return await http.get("/group/roles", headers=auth("dan"))

    assert asyncio.run(call()).status_code == 200
    assert seen == [expected]
