"""Sabotage variants whose answers break the contract's shapes: a missing field, a wrong type or date
format, an undocumented status or content type, an error body of the wrong shape."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from groupkit import contract
from groupkit.app import Handler
from groupkit.handlers import OPERATIONS
from tests.conformance.sabotage.seams import (
    ACME,
    AS_ALICE,
    Headers,
    Reply,
    answering,
    expect,
    mock,
    operation,
    rewriting,
    variant,
    with_header,
)

JSON = dict[str, Any]
ERROR = contract.component(contract.default(), "Error")

# How each operation answering Groups holds them: one Group, a list of one (GET /group), or a page.
GROUP_ANSWERS: dict[str, Callable[[Any, Callable[[JSON], JSON]], Any]] = {
    "getGroup": lambda body, change: [change(group) for group in body],
    "listUserGroups": lambda body, change: {**body, "items": [change(group) for group in body["items"]]},
    "createGroup": lambda body, change: change(body),
    "updateGroup": lambda body, change: change(body),
}


def groups_changed(change: Callable[[JSON], JSON], *operations: str) -> dict[str, Handler]:
    """The handler table with every Group that `operations` (all that answer Groups, if none) answer
    passed through `change`."""

    def each_group(name: str) -> Callable[[Any], Any]:
        return lambda body: GROUP_ANSWERS[name](body, change)

    table = dict(OPERATIONS)
    for name in operations or tuple(GROUP_ANSWERS):
        table[name] = answering(OPERATIONS[name], each_group(name))
    return table


def get_acme(http: httpx.Client) -> JSON:
    group: JSON = expect(http.get("/group", params={"groupId": ACME}, headers=AS_ALICE), 200).json()[0]
    return group


@variant(
    "missing-required-field",
    "GET /group drops the required `userId` from the Group",
    build=lambda: mock(
        operations=groups_changed(lambda g: {k: v for k, v in g.items() if k != "userId"}, "getGroup")
    ),
    include="GET /group",
    checks="response_schema_conformance",
)
def missing_required_field(http: httpx.Client) -> bool:
    return "userId" not in get_acme(http)


@variant(
    "wrong-type",
    "Group.numberOfDevices is served as a string",
    build=lambda: mock(
        operations=groups_changed(lambda g: {**g, "numberOfDevices": str(g["numberOfDevices"])})
    ),
    include="GET /user/groups",
    checks="response_schema_conformance",
)
def wrong_type(http: httpx.Client) -> bool:
    groups = expect(http.get("/user/groups", headers=AS_ALICE), 200).json()["items"]
    return any(isinstance(group["numberOfDevices"], str) for group in groups)


@variant(
    "wrong-date-format",
    "Group.createdAt is a date-time (2024-03-12T00:00:00Z), not the contract's `format: date`",
    build=lambda: mock(
        operations=groups_changed(lambda g: {**g, "createdAt": g["createdAt"] + "T00:00:00Z"})
    ),
    include="GET /user/groups",
    checks="response_schema_conformance",
)
def wrong_date_format(http: httpx.Client) -> bool:
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", get_acme(http)["createdAt"]) is None


def created(status: int, headers: Headers, body: bytes) -> Reply:
    return (201 if status == 200 else status), headers, body


@variant(
    "undocumented-status",
    "POST /group answers 201, which the contract does not document (200)",
    build=lambda: mock(middleware=[rewriting(operation("POST", "/group"), response=created)]),
    include="POST /group",
    checks="status_code_conformance",
)
def undocumented_status(http: httpx.Client) -> bool:
    return (
        expect(http.post("/group", json={"name": "Sabotage"}, headers=AS_ALICE), 200, 201).status_code == 201
    )


def as_text(status: int, headers: Headers, body: bytes) -> Reply:
    return status, with_header(headers, b"content-type", "text/plain; charset=utf-8"), body


@variant(
    "wrong-content-type",
    "GET /group/roles is served as text/plain",
    build=lambda: mock(middleware=[rewriting(operation("GET", "/group/roles"), response=as_text)]),
    include="GET /group/roles",
    checks="content_type_conformance",
)
def wrong_content_type(http: httpx.Client) -> bool:
    response = expect(http.get("/group/roles", headers=AS_ALICE), 200)
    return not response.headers["content-type"].startswith("application/json")


def ad_hoc_404(status: int, headers: Headers, body: bytes) -> Reply:
    if status != 404:
        return status, headers, body
    return status, with_header(headers, b"content-type", "application/json"), b'{"error": "not found"}'


@variant(
    "error-body-wrong-shape",
    'every 404 body is {"error": "not found"} instead of the Error {"message", "code"}',
    build=lambda: mock(middleware=[rewriting(lambda method, path: True, response=ad_hoc_404)]),
    include=("GET /group", "DELETE /group/apiKey"),
    checks=("error_body_conforms", "response_schema_conformance"),
)
def error_body_wrong_shape(http: httpx.Client) -> bool:
    response = expect(http.get("/group", params={"groupId": "no-such-group"}, headers=AS_ALICE), 404)
    return any(ERROR.iter_errors(response.json()))


VARIANTS = (
    missing_required_field,
    wrong_type,
    wrong_date_format,
    undocumented_status,
    wrong_content_type,
    error_body_wrong_shape,
)
