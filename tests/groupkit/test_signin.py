"""Sign-in like the real service (`groupkit/signin.py`): the world's clients get Bearer tokens from
`POST /oauth2/token?grant_type=client_credentials`, which act as the client's user until they expire; refusals
follow RFC 6749 §5.2 and carry the contract's Error fields too; the fixed demo tokens keep working."""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from groupkit import world as worlds
from groupkit.app import create_app
from groupkit.signin import TOKEN_PREFIX
from tests.conftest import DEFAULT_WORLD, serve

ALICE_CLIENT = ("demo-client-alice", "demo-secret-alice")
TOKEN_URL = "/oauth2/token?grant_type=client_credentials"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def http(clock: Clock) -> Iterator[TestClient]:
    app = create_app(seed=3, clock=clock, token_lifetime=60)
    with TestClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 5000)) as client:
        yield client


def sign_in(http: Any, credentials: tuple[str, str] = ALICE_CLIENT) -> str:
    answer = http.post(TOKEN_URL, headers=basic(*credentials))
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def test_a_client_gets_a_bearer_token_like_the_real_endpoint(http: TestClient) -> None:
    answer = http.post(
        TOKEN_URL, headers={**basic(*ALICE_CLIENT), "Content-Type": "application/x-www-form-urlencoded"}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 60
    assert body["access_token"].startswith(TOKEN_PREFIX) and len(body["access_token"]) > 30
    assert answer.headers["cache-control"] == "no-store"  # RFC 6749 §5.1
    assert sign_in(http) != body["access_token"]  # a new token each time


def test_an_issued_token_acts_as_the_clients_user_raw_or_bearer(http: TestClient) -> None:
    token = sign_in(http)
    as_token = http.get("/user/groups", headers={"Authorization": f"Bearer {token}"}).json()
    as_demo = http.get("/user/groups", headers={"Authorization": "demo-token-alice"}).json()
    assert as_token == as_demo and as_token["items"]
    assert http.get("/user/groups", headers={"Authorization": token}).status_code == 200
    eva = sign_in(http, ("demo-client-eva", "demo-secret-eva"))
    names = {g["name"] for g in http.get("/user/groups", headers={"Authorization": eva}).json()["items"]}
    assert "Nordic Cold Chain" in names and "ACME Logistics" not in names
    journal = http.get("/__mock__/journal", params={"operationId": "listUserGroups"}).json()
    assert journal["items"][-1]["caller"] == "a411e1b5-c8a4-591b-89c6-09c9a01ac9e7"  # Eva, never her token


def test_a_token_expires_after_its_lifetime_and_demo_tokens_do_not(http: TestClient, clock: Clock) -> None:
    token = sign_in(http)
    clock.now += 59.9
    assert http.get("/group/roles", headers={"Authorization": token}).status_code == 200
    clock.now += 0.1
    expired = http.get("/group/roles", headers={"Authorization": token})
    assert expired.status_code == 401
    assert expired.json() == {"message": "Unauthorized", "code": "UNAUTHORIZED"}
    assert http.get("/group/roles", headers={"Authorization": "demo-token-alice"}).status_code == 200
    assert http.get("/group/roles", headers={"Authorization": sign_in(http)}).status_code == 200


@pytest.mark.parametrize(
    ("headers", "url", "status", "error"),
    [
        pytest.param({}, TOKEN_URL, 401, "invalid_client", id="no-authorization"),
        pytest.param(
            basic("demo-client-alice", "wrong"), TOKEN_URL, 401, "invalid_client", id="wrong-secret"
        ),
        pytest.param(
            basic("nobody", "demo-secret-alice"), TOKEN_URL, 401, "invalid_client", id="unknown-client"
        ),
        pytest.param({"Authorization": "Basic !!!"}, TOKEN_URL, 401, "invalid_client", id="not-base64"),
        pytest.param(
            {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
            TOKEN_URL,
            401,
            "invalid_client",
            id="no-colon",
        ),
        pytest.param({"Authorization": "demo-token-alice"}, TOKEN_URL, 401, "invalid_client", id="not-basic"),
        pytest.param(basic(*ALICE_CLIENT), "/oauth2/token", 400, "invalid_request", id="no-grant-type"),
        pytest.param(
            basic(*ALICE_CLIENT),
            "/oauth2/token?grant_type=password",
            400,
            "unsupported_grant_type",
            id="password-grant",
        ),
    ],
)
def test_refusals_follow_rfc_6749_and_the_contracts_error_body(
    http: TestClient, headers: dict[str, str], url: str, status: int, error: str
) -> None:
    answer = http.post(url, headers=headers)
    assert answer.status_code == status
    body = answer.json()
    assert body["error"] == error and body["error_description"]
    assert body["code"] == {400: "BAD_REQUEST", 401: "UNAUTHORIZED"}[status] and body["message"]
    assert answer.headers["content-type"] == "application/json"
    if status == 401:
        assert answer.headers["www-authenticate"].startswith("Basic")


def test_grant_type_may_come_in_a_form_body_and_other_methods_are_405(http: TestClient) -> None:
    form = http.post(
        "/oauth2/token",
        content="grant_type=client_credentials",
        headers={**basic(*ALICE_CLIENT), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 200 and form.json()["token_type"] == "Bearer"
    refused = http.get(TOKEN_URL, headers=basic(*ALICE_CLIENT))
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"
    assert refused.json()["code"] == "METHOD_NOT_ALLOWED"
    big = http.post(TOKEN_URL, content="x" * 5000, headers=basic(*ALICE_CLIENT))
    assert big.status_code == 400 and big.json()["error"] == "invalid_request"


def test_a_browser_may_sign_in_from_another_origin(http: TestClient) -> None:
    preflight = http.options(
        "/oauth2/token",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 200
    answer = http.post(TOKEN_URL, headers={**basic(*ALICE_CLIENT), "Origin": "http://localhost:5173"})
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] in (
        "*",
        "http://localhost:5173",
    )


def test_clients_are_checked_with_the_world_and_exported_with_it() -> None:
    world = copy.deepcopy(DEFAULT_WORLD)
    assert worlds.export(worlds.build(copy.deepcopy(world)))["clients"] == world["clients"]
    world["clients"].append({"clientId": "demo-client-alice", "clientSecret": "x", "userId": "nobody"})
    world["clients"].append({"clientId": "c", "clientSecret": 5, "userId": world["users"][0]["id"]})
    problems = worlds.problems(world)
    assert "clients[2].clientId: 'demo-client-alice' is already a client's id" in problems
    assert "clients[2].userId: no user has the id 'nobody'" in problems
    assert any(p.startswith("clients[3].clientSecret") for p in problems), problems
    without = {k: v for k, v in DEFAULT_WORLD.items() if k != "clients"}
    assert "clients" not in worlds.export(worlds.build(copy.deepcopy(without)))  # optional, as before


def test_a_world_without_clients_refuses_every_client(clock: Clock) -> None:
    world = {k: v for k, v in copy.deepcopy(DEFAULT_WORLD).items() if k != "clients"}
    with TestClient(create_app(world, clock=clock), base_url="http://127.0.0.1") as http:
        assert http.post(TOKEN_URL, headers=basic(*ALICE_CLIENT)).status_code == 401
        assert http.get("/group/roles", headers={"Authorization": "demo-token-alice"}).status_code == 200


def test_a_lifetime_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        create_app(token_lifetime=0)


@pytest.mark.slow  # a real server (~1 s)
def test_over_the_wire_a_token_expires(clock: Clock) -> None:
    """The one wire test: a real uvicorn on loopback, the clock moved past the token's lifetime."""
    with serve(create_app(seed=4, clock=clock, token_lifetime=30)) as url:
        with httpx.Client(base_url=url, timeout=10) as client:
            answer = client.post(TOKEN_URL, auth=ALICE_CLIENT)  # httpx sends Basic credentials
            assert answer.status_code == 200
            bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
            assert client.get("/user/groups", headers=bearer).status_code == 200
            clock.now += 30
            assert client.get("/user/groups", headers=bearer).status_code == 401
