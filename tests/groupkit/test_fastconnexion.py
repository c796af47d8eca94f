"""groupkit.fastconnexion: connexion's app with the handler decorated once and signatures read once; a
request reads no signature, and what it answers is connexion's."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from connexion.decorators.parameter import pythonic as connexion_pythonic
from connexion.security import AbstractSecurityHandler
from starlette.testclient import TestClient

from groupkit import fastconnexion
from groupkit.app import MockApp, create_app
from tests.conftest import auth


@pytest.fixture
def mock() -> MockApp:
    return create_app(seed=7)


@pytest.fixture
def client(mock: MockApp) -> Iterator[TestClient]:
    with TestClient(mock, base_url="http://127.0.0.1", client=("127.0.0.1", 50000)) as http:
        yield http


def test_the_mock_serves_through_the_fast_app(mock: MockApp) -> None:
    assert isinstance(mock.connexion, fastconnexion.FastAsyncApp)


def test_a_request_reads_no_signature(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """connexion 3.3 runs inspect.signature three times per request (the handler's decoration, twice in
    the security check); here only the first request of an operation decorates its handler."""
    calls: list[Callable[..., Any]] = []
    signature = inspect.signature

    def counting(function: Callable[..., Any], *args: Any, **kwargs: Any) -> inspect.Signature:
        calls.append(function)
        return signature(function, *args, **kwargs)

    client.get("/user/groups", headers=auth("alice")).raise_for_status()  # decorates getUserGroups
    monkeypatch.setattr(inspect, "signature", counting)
    for _ in range(3):
        response = client.get("/user/groups", params={"limit": 2}, headers=auth("alice"))
        assert response.status_code == 200 and len(response.json()["items"]) == 2
        assert client.get("/user/groups", headers={"Authorization": "nobody"}).status_code == 401
    assert calls == []


def test_a_handlers_arguments_still_come_from_the_request(client: TestClient) -> None:
    """Decorated once, a handler still gets each request's own arguments (query, body, token)."""
    first = client.get("/user/groups", params={"limit": 1}, headers=auth("alice")).json()
    second = client.get("/user/groups", params={"limit": 3}, headers=auth("alice")).json()
    eva = client.get("/user/groups", headers=auth("eva")).json()
    assert (len(first["items"]), len(second["items"])) == (1, 3)
    assert {g["id"] for g in eva["items"]}.isdisjoint(g["id"] for g in second["items"])
    created = client.post("/group", json={"name": "Once"}, headers=auth("alice"))
    assert created.status_code == 200 and created.json()["name"] == "Once"


def _plain(api_key: str) -> None: ...


def _scopes(api_key: str, required_scopes: Any = None) -> None: ...


def _anything(api_key: str, **kwargs: Any) -> None: ...


@pytest.mark.parametrize("function", [_plain, _scopes, _anything, len])
@pytest.mark.parametrize("keyword", ["required_scopes", "request"])
def test_accepts_kwarg_answers_as_connexion_does(function: Callable[..., Any], keyword: str) -> None:
    expected = AbstractSecurityHandler._accepts_kwarg(function, keyword)
    assert fastconnexion.accepts_kwarg(function, keyword) is expected
    assert fastconnexion.accepts_kwarg(function, keyword) is expected  # remembered


@pytest.mark.parametrize("name", ["nextToken", "groupId", "limit", "id", "type", "X-Trace", "a[b]", ""])
def test_pythonic_names_are_connexions(name: str) -> None:
    assert fastconnexion.pythonic(name) == connexion_pythonic(name)


PATHS = [
    "/ui",
    "/ui/",
    "/ui/swagger-ui.css",
    "/openapi.json",
    "/openapi.json/",
    "/user/groups",
    "/user/groups/",
]
PATHS += ["/group", "/nope", "/u", "/openapi", "/uix"]


@pytest.mark.slow
def test_the_swagger_ui_and_the_api_answer_as_with_connexions_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """With `SwaggerUIByPath` (only paths that start like one of its routes go through its router), every
    path answers what connexion's own `AsyncApp` answers: the UI, its files and redirects, the contract, the
    API, and the 404s."""
    from connexion import AsyncApp

    def answers(mock: MockApp) -> list[tuple[int, str | None, str | None, bytes]]:
        with TestClient(mock, base_url="http://127.0.0.1", client=("127.0.0.1", 50000)) as http:
            found = []
            for path in PATHS:
                response = http.get(path, headers=auth("alice"), follow_redirects=False)
                headers = response.headers
                found.append(
                    (
                        response.status_code,
                        headers.get("content-type"),
                        headers.get("location"),
                        response.content,
                    )
                )
            return found

    fast = answers(create_app(seed=7))
    monkeypatch.setattr("groupkit.app.FastAsyncApp", AsyncApp)
    stock = create_app(seed=7)
    assert type(stock.connexion) is AsyncApp
    assert fast == answers(stock)
    assert {status for status, _, _, _ in fast} >= {200, 307, 404}
