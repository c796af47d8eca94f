"""Tests of the role matrix: the contract's `x-permission` table (one row per operation), the mock's own access
rules agreeing with it for every built-in role and write, and `permissions_are_enforced` against the correct
mock with the demo users as personas. That the check catches a role that goes too far is the sabotage
suite's job (tests/conformance/sabotage/roles.py)."""

from __future__ import annotations

import io

import pytest
from starlette.testclient import TestClient

from groupkit import contract, roles
from groupkit.app import MockApp, create_app
from groupkit.conformance.options import Options
from groupkit.conformance.results import ExitCode
from groupkit.conformance.role_matrix import WRITES, permission_table
from groupkit.conformance.runner import run
from tests.conftest import DEFAULT_WORLD, TOKENS, group_id

ACME = group_id(DEFAULT_WORLD, "ACME Logistics")
LYON = group_id(DEFAULT_WORLD, "ACME Lyon Warehouse")
TABLE = permission_table(contract.load())
# A demo user of each built-in role, and the group they hold it in (docs: the default world)
HOLDERS = {
    "subscriber": ("alice", ACME),
    "administrator": ("bruno", ACME),
    "installer": ("chloe", LYON),
    "viewer": ("dan", ACME),
}


def test_every_operation_declares_a_known_permission() -> None:
    assert len(TABLE) == 13 == len(contract.operations(contract.load()))
    assert set(TABLE.values()) <= {*roles.ALL, "none"}
    assert set(WRITES) == {label for label in TABLE if not label.startswith("GET ")}


def _as(name: str) -> dict[str, str]:
    return {"Authorization": TOKENS[name]}


def _key(http: TestClient, group: str, kind: str) -> None:
    body = {"groupId": group, "type": kind, "token": "t", "name": kind}
    assert http.post("/group/apiKey", json=body, headers=_as("alice")).status_code == 200


def _member(http: TestClient, group: str) -> str:
    body = {"groupId": group, "email": "target@example.com", "roleId": "viewer"}
    answer = http.put("/group/invite", json=body, headers=_as("alice"))
    assert answer.status_code == 200
    return str(answer.json()["userId"])


def _send(http: TestClient, label: str, group: str, who: dict[str, str]) -> int:
    """The write `label` in `group` as `who`, its target set up first by Alice (Subscriber of ACME)."""
    if label == "POST /group":
        return http.post(
            "/group", params={"parentId": group}, json={"name": "child"}, headers=who
        ).status_code
    if label == "PUT /group":
        return http.put("/group", json={"groupId": group, "description": "d"}, headers=who).status_code
    if label == "POST /group/apiKey":
        body = {"groupId": group, "type": "NEW", "token": "t", "name": "n"}
        return http.post("/group/apiKey", json=body, headers=who).status_code
    if label == "PUT /group/apiKey":
        _key(http, group, "K")
        return http.put(
            "/group/apiKey", json={"groupId": group, "type": "K", "name": "m"}, headers=who
        ).status_code
    if label == "DELETE /group/apiKey":
        _key(http, group, "K")
        return http.delete("/group/apiKey", params={"groupId": group, "type": "K"}, headers=who).status_code
    if label == "PUT /group/invite":
        body = {"groupId": group, "email": "newcomer@example.com", "roleId": "viewer"}
        return http.put("/group/invite", json=body, headers=who).status_code
    member = _member(http, group)
    if label == "PUT /group/user":
        body = {"groupId": group, "userId": member, "roleId": "installer"}
        return http.put("/group/user", json=body, headers=who).status_code
    return http.delete("/group/user", params={"groupId": group, "userId": member}, headers=who).status_code


@pytest.fixture(scope="module")
def mock() -> MockApp:
    return create_app(seed=1)


@pytest.mark.parametrize("label", WRITES)
@pytest.mark.parametrize("role", list(HOLDERS))
def test_the_mock_enforces_the_contracts_table(mock: MockApp, role: str, label: str) -> None:
    """For each built-in role and write: 200 when GET /group/roles gives the role the permission the
    contract's x-permission names, else 403 (the mock's rules live in code; this holds them together)."""
    name, group = HOLDERS[role]
    mock.reset()
    with TestClient(mock, base_url="http://127.0.0.1") as http:
        listed = http.get("/group/roles", params={"limit": 100}, headers=_as(name)).json()["items"]
        permissions = {item["id"]: set(item["permissions"]) for item in listed}
        assert http.get("/group/users", params={"groupId": group}, headers=_as(name)).status_code == 200
        allowed = TABLE[label] in permissions[role]
        assert _send(http, label, group, _as(name)) == (200 if allowed else 403)


@pytest.mark.slow  # a kit run with six personas (about 10 s)
def test_the_correct_mock_passes_with_every_role() -> None:
    out = io.StringIO()
    options = Options(
        base_url="http://127.0.0.1",
        token=TOKENS["alice"],
        persona=[f"{name}={TOKENS[name]}" for name in ("alice", "bruno", "chloe", "dan", "eva", "giulia")],
        include=list(WRITES),
        phases=["examples"],
        max_examples=1,
        seed=1,
        app=create_app(seed=1),
    )
    result = run(options, out=out)
    assert result.exit_code == ExitCode.OK, out.getvalue()
    tested = [note for note in result.notes if note.startswith("permissions_are_enforced: persona")]
    roles_tested = {note.split(" holds ")[1].split(";")[0] for note in tested}
    assert roles_tested == {"subscriber", "administrator", "installer", "viewer"}, tested
    assert not any(TOKENS["dan"] in line for line in out.getvalue().splitlines())


@pytest.mark.slow  # a kit run (about 1.5 s)
def test_without_personas_the_check_says_it_was_skipped() -> None:
    out = io.StringIO()
    options = Options(
        base_url="http://127.0.0.1",
        token=TOKENS["alice"],
        include=["PUT /group"],
        phases=["examples"],
        max_examples=1,
        seed=1,
        app=create_app(seed=1),
    )
    result = run(options, out=out)
    assert result.exit_code == ExitCode.OK, out.getvalue()
    assert any(note.startswith("permissions_are_enforced: skipped (give --persona") for note in result.notes)
