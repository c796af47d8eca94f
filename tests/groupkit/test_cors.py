"""CORS on the API, over a real socket: a browser's preflight passes with whatever request headers a frontend
sends (tracing, caching, request ids) unless the mock is told a list; refusals are the contract's JSON error."""

from __future__ import annotations

import httpx
import pytest

from groupkit.app import create_app
from groupkit.cli import build_parser
from groupkit.mockcli import security_options
from tests.conftest import auth, serve

PAGE = "http://127.0.0.1:5173"  # a frontend's dev server
ASKED = "authorization, content-type, x-request-id, sentry-trace, baggage, if-none-match"
SENT = {
    "X-Request-Id": "r-1",
    "sentry-trace": "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1",
    "baggage": "sentry-environment=dev",
    "If-None-Match": '"v1"',
}


def preflight(method: str = "GET", headers: str = ASKED, origin: str = PAGE) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


def assert_refused_preflight(response: httpx.Response, *words: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["code"] == "BAD_REQUEST" and body["message"].startswith("CORS preflight refused"), body
    for word in words:
        assert word in body["message"], body


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH"])
def test_the_preflight_passes_with_the_headers_frontends_send(client: httpx.Client, method: str) -> None:
    response = client.options("/user/groups", headers=preflight(method))
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    assert method in response.headers["access-control-allow-methods"]
    allowed = {name.strip() for name in response.headers["access-control-allow-headers"].split(",")}
    assert allowed >= {name.strip() for name in ASKED.split(",")}


def test_the_answer_carries_cors_headers_and_exposes_every_header(client: httpx.Client) -> None:
    response = client.get("/user/groups", headers={"Origin": PAGE, **SENT, **auth("alice")})
    assert response.status_code == 200 and response.json()["items"]
    assert response.headers["access-control-allow-origin"] == "*"
    assert (
        response.headers["access-control-expose-headers"] == "*"
    )  # Allow, Location, ...: readable by the page
    wrong_method = client.post("/group/roles", headers={"Origin": PAGE, **auth("alice")})
    assert wrong_method.status_code == 405 and wrong_method.headers["access-control-allow-origin"] == "*"


def test_a_listed_set_of_headers_is_enforced_with_a_json_error() -> None:
    app = create_app(cors_allow_headers=("X-Request-Id",))  # Authorization goes with any list
    with serve(app) as url, httpx.Client(base_url=url) as http:
        allowed = http.options("/user/groups", headers=preflight(headers="authorization, x-request-id"))
        assert allowed.status_code == 200, allowed.text
        refused = http.options("/user/groups", headers=preflight(headers="authorization, sentry-trace"))
        assert_refused_preflight(refused, "headers", "sentry-trace", "--cors-allow-header")


def test_a_listed_origin_is_enforced_with_a_json_error() -> None:
    with serve(create_app(cors_origins=(PAGE,))) as url, httpx.Client(base_url=url) as http:
        allowed = http.options("/user/groups", headers=preflight())
        assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == PAGE
        refused = http.options("/user/groups", headers=preflight(origin="http://127.0.0.1:9"))
        assert_refused_preflight(refused, "origin", "http://127.0.0.1:9", "--cors-origin")
        answer = http.get("/user/groups", headers={"Origin": "http://127.0.0.1:9", **auth("alice")})
        assert "access-control-allow-origin" not in answer.headers  # the browser keeps the body from the page


ASKING_PRIVATE = {**preflight(), "Access-Control-Request-Private-Network": "true"}


def test_private_network_access_is_granted_to_listed_origins_only(client: httpx.Client) -> None:
    """Chromium asks before a public page reaches a loopback server; naming the origin is consent, `*` is not."""
    assert_refused_preflight(client.options("/user/groups", headers=ASKING_PRIVATE), "private-network")
    with serve(create_app(cors_origins=(PAGE,))) as url:
        response = httpx.options(f"{url}/user/groups", headers=ASKING_PRIVATE)
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-private-network"] == "true"


def test_no_cors_sends_no_cors_headers() -> None:
    with serve(create_app(cors_origins=())) as url:
        answer = httpx.get(f"{url}/user/groups", headers={"Origin": PAGE, **auth("alice")})
    assert answer.status_code == 200 and not [h for h in answer.headers if h.startswith("access-control-")]


@pytest.mark.parametrize(
    "argv, origins, headers",
    [
        pytest.param([], ("*",), ("*",), id="default"),
        pytest.param(["--cors-origin", PAGE], (PAGE,), ("*",), id="origin"),
        pytest.param(
            ["--cors-allow-header", "X-Request-Id", "--cors-allow-header", "Authorization"],
            ("*",),
            ("X-Request-Id", "Authorization"),
            id="headers",
        ),
        pytest.param(["--no-cors", "--cors-origin", PAGE], (), ("*",), id="off"),
    ],
)
def test_the_mock_command_passes_its_cors_options(
    argv: list[str], origins: tuple[str, ...], headers: tuple[str, ...]
) -> None:
    options = security_options(build_parser().parse_args(["mock", *argv]))
    assert (options["cors_origins"], options["cors_allow_headers"]) == (origins, headers)
