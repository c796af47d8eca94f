"""Swagger UI's "Try it out", on the wire: every operation's example request (its parameters' examples, its
body's example, the token the contract's description names) answers 2xx from a fresh default mock, each on
its own mock and all of them in the order Swagger UI lists them on one mock."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from groupkit import contract
from groupkit.app import create_app
from tests.conftest import serve

DOCUMENT = contract.default()
TOKEN = "demo-token-alice"  # the token the contract's description tells Swagger UI users to use


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """A `$ref` followed to what it names (within the contract)."""
    while "$ref" in node:
        target: Any = DOCUMENT
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def example_request(path: str, method: str, operation: dict[str, Any]) -> dict[str, Any]:
    """The request Swagger UI sends for an operation with "Try it out" and no edits: each parameter's
    example, the body's example (the media type's, else its schema's)."""
    params = {}
    for parameter in map(resolve, operation.get("parameters", [])):
        example = parameter.get("example", resolve(parameter["schema"]).get("example"))
        if example is not None:
            params[parameter["name"]] = example
    request: dict[str, Any] = {"method": method.upper(), "url": path, "params": params}
    body = operation.get("requestBody")
    if body is not None:
        media = resolve(body)["content"]["application/json"]
        if "example" in media:
            request["json"] = media["example"]
        elif "examples" in media:
            request["json"] = resolve(next(iter(media["examples"].values())))["value"]
        else:
            request["json"] = resolve(media["schema"])["example"]
    return request


def swagger_ui_order() -> list[tuple[str, dict[str, Any]]]:
    """(operationId, request) of every operation, in the order Swagger UI shows them: by the contract's
    list of tags, then in the order of the paths."""
    operations = [
        (tag["name"], item[method]["operationId"], example_request(path, method, item[method]))
        for tag in DOCUMENT["tags"]
        for path, item in DOCUMENT["paths"].items()
        for method in contract.HTTP_METHODS
        if method in item and item[method]["tags"][0] == tag["name"]
    ]
    return [(operation_id, request) for _, operation_id, request in operations]


OPERATIONS = swagger_ui_order()


def test_every_operation_has_an_example_request() -> None:
    assert len(OPERATIONS) == len(contract.operations(DOCUMENT)) == 13


@pytest.mark.parametrize(("operation_id", "request_"), [pytest.param(o, r, id=o) for o, r in OPERATIONS])
def test_each_example_succeeds_on_a_fresh_mock(
    client: httpx.Client, operation_id: str, request_: dict[str, Any]
) -> None:
    """`client` is the shared mock, reset to the default world for this test."""
    response = client.request(**request_, headers={"Authorization": TOKEN})
    assert 200 <= response.status_code < 300, (operation_id, response.text)


def test_the_examples_in_swagger_ui_order_succeed_on_one_mock() -> None:
    with serve(create_app()) as url, httpx.Client(base_url=url, timeout=10) as http:
        for operation_id, request_ in OPERATIONS:
            response = http.request(**request_, headers={"Authorization": TOKEN})
            assert 200 <= response.status_code < 300, (operation_id, response.text)
