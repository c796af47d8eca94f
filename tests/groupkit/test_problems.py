"""The one error table and the one renderer: every error the mock sends, from every source, is the contract's
Error body with the code the contract's table pairs with its status; the mock and the kit read that table from
the contract they are given, not from Python."""

from __future__ import annotations

import ast
import asyncio
import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from schemathesis.errors import FailureGroup

import groupkit.conformance as conformance
from groupkit import contract, errors
from groupkit.app import MockApp, create_app
from groupkit.conformance.error_bodies import error_body_conforms
from groupkit.problems import Problems
from tests.conftest import ROOT, TOKENS, auth, serve

ERROR = contract.component(contract.default(), "Error")
PROBLEMS = Problems.of(contract.default())


def error_of(status: int, body: bytes | str, content_type: str) -> dict[str, Any]:
    """The Error body of an answer, checked against the contract: schema, media type, status/code pairing."""
    assert content_type == "application/json"
    parsed = httpx.Response(200, content=body).json()
    assert list(ERROR.iter_errors(parsed)) == [], parsed
    assert parsed["code"] in contract.error_table(contract.default()).codes_of(status), parsed
    return dict(parsed)


def variant(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the contract with `change` applied to `Error.code`, written to a file."""
    document = copy.deepcopy(contract.default())
    change(document["components"]["schemas"]["Error"]["properties"]["code"])
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


# ------------------------------------------------------------------------------- domain errors


@pytest.mark.parametrize(
    "error, status",
    [
        pytest.param(errors.BadRequest("x"), 400, id="BadRequest"),
        pytest.param(errors.BadRequest("x", code="INVALID_NEXT_TOKEN"), 400, id="InvalidNextToken"),
        pytest.param(errors.NotFound("x"), 404, id="NotFound"),
        pytest.param(errors.Forbidden("x"), 403, id="Forbidden"),
        pytest.param(errors.Conflict("x"), 409, id="Conflict"),
    ],
)
def test_every_domain_error_is_mapped(error: errors.GroupkitError, status: int) -> None:
    response = PROBLEMS.domain_error(None, error)  # type: ignore[arg-type]
    assert response.status_code == status
    body = error_of(status, response.body, response.content_type)
    assert body == {"message": "x", "code": error.code}


def test_every_error_class_has_a_row_in_the_contracts_table() -> None:
    classes = {
        cls
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.GroupkitError)
    }
    assert len(classes) == 5
    assert {cls.code for cls in classes} <= set(PROBLEMS.table.status_of_code)


def test_a_code_the_contract_does_not_know_is_a_500() -> None:
    error = errors.BadRequest("x", code="NO_SUCH_CODE")
    response = PROBLEMS.domain_error(None, error)  # type: ignore[arg-type]
    assert response.status_code == 500
    assert error_of(500, response.body, response.content_type)["code"] == "INTERNAL_ERROR"


def test_a_code_is_only_sent_with_its_own_status() -> None:
    with pytest.raises(ValueError, match="NOT_FOUND is not a code of 400"):
        PROBLEMS.body(400, "x", code="NOT_FOUND")


# ------------------------------------------------------------------------------- the mock reads its contract


@pytest.mark.slow
def test_the_mock_renders_with_the_table_of_the_contract_it_serves(tmp_path: Path) -> None:
    """With a contract naming INVALID_NEXT_TOKEN the general 400, a schema violation answers with it."""
    served = variant(tmp_path, lambda code: code["x-general-code"].update({"400": "INVALID_NEXT_TOKEN"}))
    for path, expected in ((contract.CONTRACT_PATH, "BAD_REQUEST"), (served, "INVALID_NEXT_TOKEN")):
        with serve(create_app(contract_path=path)) as url:
            response = httpx.get(f"{url}/group", headers=auth("alice"))  # groupId missing
        assert response.status_code == 400 and response.json()["code"] == expected


def test_the_mock_refuses_a_contract_without_a_usable_table(tmp_path: Path) -> None:
    missing = variant(tmp_path, lambda code: code.pop("x-status-of-code"))
    with pytest.raises(ValueError, match="needs x-status-of-code"):
        create_app(contract_path=missing)


def test_the_mock_refuses_a_table_without_a_status_it_sends(tmp_path: Path) -> None:
    def drop_405(code: dict[str, Any]) -> None:
        code["enum"].remove("METHOD_NOT_ALLOWED")
        code["x-status-of-code"].pop("METHOD_NOT_ALLOWED")

    with pytest.raises(ValueError, match=r"no code for \[405\]"):
        create_app(contract_path=variant(tmp_path, drop_405))


# ------------------------------------------------------------------------------- the control API


def from_address(app: MockApp, address: str, path: str) -> httpx.Response:
    """GET `path` in-process with `address` as the client address in the ASGI scope (nothing is contacted)."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(address, 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            return await http.get(path)

    return asyncio.run(go())


@pytest.mark.parametrize(
    "method, path, status, allow",
    [
        pytest.param("GET", "/__mock__/nope", 404, None, id="unknown-route"),
        pytest.param("GET", "/__mock__/", 404, None, id="prefix-only"),
        pytest.param("POST", "/__mock__/health", 405, {"GET", "HEAD"}, id="wrong-method"),
        pytest.param("DELETE", "/__mock__/state", 405, {"GET", "HEAD", "PUT"}, id="wrong-method-two-routes"),
        pytest.param("PUT", "/__mock__/journal", 405, {"GET", "HEAD", "DELETE"}, id="wrong-method-journal"),
    ],
)
def test_the_control_apis_routing_errors_are_error_bodies(
    client: httpx.Client, method: str, path: str, status: int, allow: set[str] | None
) -> None:
    response = client.request(method, path)
    assert response.status_code == status, response.text
    body = error_of(status, response.content, response.headers["content-type"])
    assert path in body["message"]
    if allow is None:
        assert "allow" not in response.headers
    else:
        assert set(response.headers["allow"].split(", ")) == allow
        assert response.headers["allow"] in body["message"]


def test_the_control_apis_refusals_are_error_bodies(client: httpx.Client) -> None:
    refused = from_address(create_app(), "192.0.2.10", "/__mock__/health")  # TEST-NET-1: not loopback
    assert refused.status_code == 403
    assert error_of(403, refused.content, refused.headers["content-type"])["code"] == "FORBIDDEN"
    not_json = client.put("/__mock__/state", content=b"{", headers={"content-type": "application/json"})
    broken = client.put("/__mock__/state", json={"format": "other/9"})
    # no redirect, which would build its Location from the Host header
    slashed = client.get("/__mock__/health/", follow_redirects=False)
    assert error_of(400, not_json.content, not_json.headers["content-type"])["message"].startswith(
        "The body is not JSON"
    )
    body = error_of(400, broken.content, broken.headers["content-type"])
    assert body["message"] == "Not a valid world; the state is unchanged" and body["details"]
    assert error_of(404, slashed.content, slashed.headers["content-type"])["code"] == "NOT_FOUND"
    assert "location" not in slashed.headers


# ------------------------------------------------------------------------------- one renderer


def test_no_module_but_problems_builds_an_error_body() -> None:
    """No dict display with both `message` and `code` keys outside groupkit/problems.py."""
    builders = []
    for folder in ("groupkit", "handlers", "conformance", "fixtures"):
        for path in sorted((ROOT / folder).glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                keys = {k.value for k in getattr(node, "keys", []) if isinstance(k, ast.Constant)}
                if isinstance(node, ast.Dict) and {"message", "code"} <= keys:
                    builders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert len(builders) == 1 and builders[0].startswith("groupkit/problems.py:"), builders


# ------------------------------------------------------------------------------- the kit reads its contract


def test_the_kit_judges_codes_by_the_table_of_the_contract_the_run_uses(tmp_path: Path) -> None:
    """Against the same mock, a 404 NOT_FOUND passes with the shipped contract and is a code mismatch with
    a contract whose table gives 404 another code."""

    def renamed_404(code: dict[str, Any]) -> None:
        code["enum"].append("MISSING")
        code["x-status-of-code"].update(MISSING=404, NOT_FOUND=410)

    app = create_app(seed=3)
    for path, failures in ((contract.CONTRACT_PATH, []), (variant(tmp_path, renamed_404), ["MISSING"])):
        schema = conformance.load(app=app, token=TOKENS["alice"], contract=path)
        case = schema["/group"]["GET"].Case(
            query={"groupId": "no-such-group"}, headers={"Authorization": TOKENS["alice"]}
        )
        try:
            response = case.call_and_validate(checks=[error_body_conforms])
            found: list[str] = []
            assert response.status_code == 404
        except FailureGroup as group:
            found = [str(failure) for failure in group.exceptions]
            assert [failure.title for failure in group.exceptions] == ["Error code does not match the status"]
        assert len(found) == len(failures) and all(f in text for f, text in zip(failures, found, strict=True))
