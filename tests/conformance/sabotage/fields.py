"""Sabotage variants for field drift and coverage: a Group field renamed to a near miss (`owner_id` for the
documented, optional `ownerId`; in the exit-1 suite, `VARIANTS`), and, kept out of it because the first must pass
without `--strict-fields` and the second only fails with `--require-coverage` (tests/conformance/test_field_drift.py,
test_coverage.py), a Group carrying an extra undocumented property and one operation that always answers 404."""

from __future__ import annotations

import json
from typing import Any

import httpx

from groupkit.app import MockApp
from tests.conformance.sabotage.seams import (
    ACME,
    AS_ALICE,
    Headers,
    Reply,
    expect,
    mock,
    operation,
    rewriting,
    variant,
    with_header,
)
from tests.conformance.sabotage.wire import groups_changed


def _renamed(group: dict[str, Any]) -> dict[str, Any]:
    renamed = {key: value for key, value in group.items() if key != "ownerId"}
    if "ownerId" in group:
        renamed["owner_id"] = group["ownerId"]
    return renamed


def owner_id_renamed() -> MockApp:
    """Every Group answered carries `owner_id` instead of the contract's `ownerId` (schema-valid: optional)."""
    return mock(operations=groups_changed(_renamed))


@variant(
    "owner-id-renamed",
    "every Group answered carries owner_id where the contract documents the optional ownerId (schema-valid)",
    build=owner_id_renamed,
    include=("GET /group", "GET /user/groups"),
    checks="response_fields_are_documented",
    max_examples=3,
)
def owner_id_is_renamed(http: httpx.Client) -> bool:
    group = acme(http)
    return "owner_id" in group and "ownerId" not in group


VARIANTS = (owner_id_is_renamed,)


def extra_property() -> MockApp:
    """Every Group answered carries `extra`, which the contract does not document."""
    return mock(operations=groups_changed(lambda group: {**group, "extra": "x"}))


NOT_FOUND = json.dumps({"message": "Group not found", "code": "NOT_FOUND"}).encode()


def _not_found(status: int, headers: Headers, body: bytes) -> Reply:
    if status != 200:
        return status, headers, body
    return 404, with_header(headers, b"content-type", "application/json"), NOT_FOUND


def devices_always_404() -> MockApp:
    """GET /group/devices answers 404 (a documented status, a well-formed Error) where it should answer 200: every
    other answer is right, so only a check of its success path can tell."""
    return mock(middleware=[rewriting(operation("GET", "/group/devices"), response=_not_found)])


def acme(http: httpx.Client) -> dict[str, Any]:
    group: dict[str, Any] = expect(
        http.get("/group", params={"groupId": ACME}, headers=AS_ALICE), 200
    ).json()[0]
    return group


def devices_status(http: httpx.Client) -> int:
    return http.get("/group/devices", params={"groupId": ACME}, headers=AS_ALICE).status_code
