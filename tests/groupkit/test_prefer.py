"""Response selection (`groupkit.prefer`): Prism's `Prefer` header and `__code`/`__example`/`__dynamic`
query parameters, limited to what the contract documents, after security and validation, never changing
the state."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from groupkit import contract, prefer
from groupkit.app import MockApp, create_app
from groupkit.errors import BadRequest

from ..conftest import auth

DOCUMENT = contract.default()
TABLE = contract.error_table(DOCUMENT)
RESPONSES = prefer.responses_of(DOCUMENT)
OPERATIONS = {
    operation_id: (method, path) for (method, path), operation_id in contract.operations(DOCUMENT).items()
}


def request_of(operation_id: str) -> dict[str, Any]:
    """A request the contract's own examples make valid for `operation_id` (httpx's keyword arguments)."""
    method, path = OPERATIONS[operation_id]
    operation = DOCUMENT["paths"][path][method.lower()]
    parameters = [contract._resolved(DOCUMENT, p) for p in operation.get("parameters", [])]
    query = {p["name"]: p["example"] for p in parameters if p.get("required")}
    arguments: dict[str, Any] = {"method": method, "url": path, "params": query}
    if "requestBody" in operation:
        media = contract._resolved(DOCUMENT, operation["requestBody"])["content"]["application/json"]
        arguments["json"] = media.get("example", contract._resolved(DOCUMENT, media["schema"]).get("example"))
    return arguments


@pytest.fixture(scope="module")
def mock() -> MockApp:
    """One mock for the module: nothing here may change its state (each test that could checks it)."""
    return create_app(seed=7)


def in_process(app: MockApp) -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 50000))


@pytest.fixture(scope="module")
def http(mock: MockApp) -> Iterator[TestClient]:
    with in_process(mock) as client:
        yield client


def send(
    http: httpx.Client, operation_id: str, prefer_header: str | None = None, **query: str
) -> httpx.Response:
    arguments = request_of(operation_id)
    arguments["params"] = {**arguments["params"], **query}
    headers = {**auth("alice"), **({"Prefer": prefer_header} if prefer_header else {})}
    return http.request(headers=headers, **arguments)


# ---------------------------------------------------------------------- reading the choice


def scope(prefer_values: tuple[str, ...] = (), query: str = "") -> dict[str, Any]:
    return {"headers": [(b"prefer", v.encode()) for v in prefer_values], "query_string": query.encode()}


@pytest.mark.parametrize(
    ("values", "query", "expected"),
    [
        pytest.param((), "", None, id="nothing"),
        pytest.param((), "limit=5", None, id="other-query"),
        pytest.param(("code=404",), "", prefer.Choice(code=404), id="code"),
        pytest.param(("code=404, example=big",), "", prefer.Choice(404, "big"), id="comma"),
        pytest.param(
            ('Code="404"; dynamic=TRUE',), "", prefer.Choice(404, None, True), id="quoted-semicolon"
        ),
        pytest.param(("code=404", "dynamic=false"), "", prefer.Choice(404, None, False), id="two-headers"),
        pytest.param(("return=minimal, respond-async",), "", None, id="others-ignored"),
        pytest.param(("code=404",), "__code=409&__example=x", prefer.Choice(409, "x"), id="query-wins"),
        pytest.param((), "__dynamic=true", prefer.Choice(dynamic=True), id="query-only"),
    ],
)
def test_choice_of_reads_the_header_and_the_query(values: tuple[str, ...], query: str, expected: Any) -> None:
    assert prefer.choice_of(scope(values, query)) == expected


@pytest.mark.parametrize(
    ("values", "query", "words"),
    [
        pytest.param(("code=abc",), "", "Prefer: code=abc is not an HTTP status code", id="code-word"),
        pytest.param(("code=4040",), "", "code=4040 is not", id="code-long"),
        pytest.param((), "__code=٤٠٤", "is not an HTTP status code", id="code-not-ascii"),
        pytest.param(("dynamic=maybe",), "", "dynamic is true or false", id="dynamic"),
    ],
)
def test_a_value_that_is_no_choice_is_refused(values: tuple[str, ...], query: str, words: str) -> None:
    with pytest.raises(BadRequest, match=words):
        prefer.choice_of(scope(values, query))


# ---------------------------------------------------------------------- forced error statuses

FORCED = [(op, status) for op, r in sorted(RESPONSES.items()) for status in r.statuses if status >= 400]


@pytest.mark.parametrize(("operation_id", "status"), FORCED, ids=[f"{o}-{s}" for o, s in FORCED])
def test_every_documented_error_status_can_be_forced_without_changing_state(
    mock: MockApp, http: TestClient, operation_id: str, status: int
) -> None:
    before = mock.store.export()
    response = send(http, operation_id, f"code={status}")
    assert response.status_code == status
    assert response.json() == {
        "message": response.json()["message"],
        "code": TABLE.general_code[status],
    }
    assert f"Prefer: code={status}" in response.json()["message"]
    assert mock.store.export() == before


def test_the_query_parameter_forces_too_and_passes_validation(http: TestClient) -> None:
    response = send(http, "getGroup", __code="404")
    assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")


def test_a_status_the_operation_does_not_document_is_a_400_naming_the_documented_ones(
    http: TestClient,
) -> None:
    for code in ("409", "418", "500"):
        response = send(http, "getGroup", f"code={code}")
        assert response.status_code == 400
        assert response.json() == {
            "message": f"Prefer code={code}: GET /group (getGroup) documents the statuses 200, 400, 401, 404",
            "code": "BAD_REQUEST",
        }


def test_security_and_validation_come_first(http: TestClient) -> None:
    no_token = http.get("/group", params={"groupId": "x"}, headers={"Prefer": "code=404"})
    assert (no_token.status_code, no_token.json()["message"]) == (401, "Unauthorized")
    missing_group = http.get("/group", headers={**auth("alice"), "Prefer": "code=404"})
    assert missing_group.status_code == 400
    assert "groupId" in missing_group.json()["message"]


# ---------------------------------------------------------------------- examples, dynamic, the usual answer


def test_a_named_example_is_answered_as_the_contract_writes_it(http: TestClient) -> None:
    expected = RESPONSES["getGroup"].examples[200]["oneGroup"]
    response = send(http, "getGroup", "example=oneGroup", groupId="no-such-group")
    assert (response.status_code, response.json()) == (200, expected)
    by_query = send(http, "getGroup", None, groupId="no-such-group", __example="oneGroup")
    assert by_query.json() == expected


@pytest.mark.parametrize(
    ("operation_id", "asked", "message"),
    [
        pytest.param(
            "getGroup",
            "example=nope",
            "Prefer example=nope: the 200 response of GET /group (getGroup) has no example of that name; "
            "its named examples: oneGroup",
            id="unknown-name",
        ),
        pytest.param(
            "listRoles",
            "example=oneGroup",
            "Prefer example=oneGroup: the 200 response of GET /group/roles (listRoles) has no example of "
            "that name; its named examples: none",
            id="operation-without-examples",
        ),
        pytest.param(
            "getGroup",
            "code=404, example=oneGroup",
            "Prefer example=oneGroup: the 404 response of GET /group (getGroup) has no example of that "
            "name; its named examples: none",
            id="example-of-another-status",
        ),
        pytest.param(
            "getGroup",
            "example=oneGroup, dynamic=true",
            "Prefer example= and dynamic=true exclude each other: choose one",
            id="example-and-dynamic",
        ),
    ],
)
def test_an_impossible_choice_is_a_400_saying_what_is_available(
    http: TestClient, operation_id: str, asked: str, message: str
) -> None:
    response = send(http, operation_id, asked)
    assert (response.status_code, response.json()) == (400, {"message": message, "code": "BAD_REQUEST"})


@pytest.mark.parametrize("operation_id", sorted(RESPONSES))
def test_dynamic_answers_a_valid_body_and_changes_nothing(
    mock: MockApp, http: TestClient, operation_id: str
) -> None:
    before = mock.store.export()
    response = send(http, operation_id, "dynamic=true")
    assert response.status_code == 200
    validator = contract.validator(DOCUMENT, RESPONSES[operation_id].success_schema or {})
    assert list(validator.iter_errors(response.json())) == []
    usual = send(http, operation_id, "dynamic=false") if operation_id.startswith("list") else None
    assert usual is None or usual.json() != response.json()
    assert mock.store.export() == before


def test_dynamic_bodies_follow_the_seed() -> None:
    with in_process(create_app(seed=3)) as client:
        headers = {**auth("alice"), "Prefer": "dynamic=true"}
        served = [client.get("/group/roles", headers=headers).json() for _ in range(3)]

    def expected(seed: int) -> list[Any]:
        selector = prefer.Selector(DOCUMENT, seed)
        return [selector.answer(RESPONSES["listRoles"], prefer.Choice(dynamic=True)) for _ in range(3)]

    assert [(body, 200) for body in served] == expected(3)
    assert expected(3) != expected(4)
    assert served[0] != served[1]  # a sequence, not one body repeated


def test_code_200_alone_is_the_usual_stateful_answer(http: TestClient) -> None:
    usual = send(http, "listUserGroups")
    assert (send(http, "listUserGroups", "code=200")).json() == usual.json()
    assert (send(http, "listUserGroups", "dynamic=false")).json() == usual.json()


def test_a_selected_answer_is_journaled(mock: MockApp, http: TestClient) -> None:
    mock.journal.clear()
    send(http, "inviteUser", "code=409")
    (entry,) = mock.journal.entries(None, None, None)
    assert (entry["operationId"], entry["status"]) == ("inviteUser", 409)


# ---------------------------------------------------------------------- over the wire


def test_prefer_over_the_wire(client: httpx.Client) -> None:
    forced = client.get(
        "/group/users", params={"groupId": "x"}, headers={**auth("alice"), "Prefer": "code=404"}
    )
    assert (forced.status_code, forced.headers["content-type"], forced.json()["code"]) == (
        404,
        "application/json",
        "NOT_FOUND",
    )
    example = client.get("/group", params={"groupId": "x", "__example": "oneGroup"}, headers=auth("alice"))
    assert example.json() == RESPONSES["getGroup"].examples[200]["oneGroup"]
    refused = client.get("/group", params={"groupId": "x"}, headers={**auth("alice"), "Prefer": "code=418"})
    assert refused.status_code == 400


def test_the_readme_shows_the_refusal_the_mock_gives(http: TestClient) -> None:
    from ..conftest import ROOT

    readme = (ROOT / "README.md").read_text("utf-8")
    shown = readme.split("-H 'Prefer: code=500' http://127.0.0.1:8080/user/groups\n# 400 ", 1)[1].split(
        ", ...}"
    )[0]
    response = http.get("/user/groups", headers={**auth("alice"), "Prefer": "code=500"})
    assert response.status_code == 400
    assert shown + "}" == '{"message": ' + f'"{response.json()["message"]}"' + "}"
