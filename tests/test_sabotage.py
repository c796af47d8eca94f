"""The sabotage suite: the conformance kit must fail (exit 1) on every broken variant of the mock, and name
the check that catches the defect.

Each variant is also proven broken on its own, with plain httpx requests that show the defect (and the
same requests against the healthy mock show it is absent), so a pass here never rests on a variant that
is not really broken.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from groupkit.conformance.runner import Options, run

from .conftest import DEFAULT_WORLD, group_id, serve, user_id
from .sabotage import ALICE, EVA, VARIANTS, Variant

ACME = group_id(DEFAULT_WORLD, "ACME Logistics")
DAN = user_id(DEFAULT_WORLD, "dan")

Proof = Callable[[httpx.Client], None]
PROOFS: dict[str, Proof] = {}


def proof(name: str) -> Callable[[Proof], Proof]:
    def register(fn: Proof) -> Proof:
        PROOFS[name] = fn
        return fn

    return register


def as_(token: str | None) -> dict[str, str]:
    return {"Authorization": token} if token is not None else {}


ALICE_H = as_(ALICE)


def walk(http: httpx.Client, path: str, limit: int, pages: int = 10, **params: Any) -> tuple[list[Any], bool]:
    """Follow nextTokens from the first page (at most `pages` pages): the items seen, and whether it ended."""
    items: list[Any] = []
    token: str | None = None
    for _ in range(pages):
        query = {**params, "limit": limit, **({"nextToken": token} if token else {})}
        response = http.get(path, params=query, headers=ALICE_H)
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        token = response.json()["nextToken"]
        if token is None:
            return items, True
    return items, False


# ------------------------------------------------------------------------------- the proofs of the defects


@proof("missing-required-field")
def _(http: httpx.Client) -> None:
    response = http.get("/group", params={"groupId": ACME}, headers=ALICE_H)
    assert response.status_code == 200
    assert "userId" not in response.json()[0]


@proof("wrong-type")
def _(http: httpx.Client) -> None:
    groups = http.get("/user/groups", headers=ALICE_H).json()["items"]
    assert isinstance(groups[0]["numberOfDevices"], str)


@proof("undocumented-status")
def _(http: httpx.Client) -> None:
    assert http.post("/group", json={"name": "Sabotage"}, headers=ALICE_H).status_code == 201


@proof("wrong-content-type")
def _(http: httpx.Client) -> None:
    response = http.get("/group/roles", headers=ALICE_H)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")


@proof("ignored-auth")
def _(http: httpx.Client) -> None:
    for headers in ({}, as_("demo-token-mallory"), as_("")):
        response = http.get("/user/groups", headers=headers)
        assert response.status_code == 200
        assert ACME in {g["id"] for g in response.json()["items"]}


@proof("cross-group-leak")
def _(http: httpx.Client) -> None:
    eva = as_(EVA)
    assert http.get("/group", params={"groupId": ACME}, headers=eva).status_code == 200
    devices = http.get("/group/devices", params={"groupId": ACME}, headers=eva)
    assert devices.status_code == 200 and devices.json()["items"]


@proof("delete-does-nothing")
def _(http: httpx.Client) -> None:
    key = {"groupId": ACME, "type": "SIGFOX"}
    assert http.delete("/group/apiKey", params=key, headers=ALICE_H).status_code == 200
    assert http.delete("/group/apiKey", params=key, headers=ALICE_H).status_code == 200  # still there


@proof("update-lost")
def _(http: httpx.Client) -> None:
    answer = http.put("/group", json={"groupId": ACME, "name": "Renamed"}, headers=ALICE_H)
    assert answer.status_code == 200 and answer.json()["name"] == "Renamed"
    assert http.get("/group", params={"groupId": ACME}, headers=ALICE_H).json()[0]["name"] == "ACME Logistics"


@proof("pagination-repeats")
def _(http: httpx.Client) -> None:
    roles, ended = walk(http, "/group/roles", limit=2)
    ids = [r["id"] for r in roles]
    assert ended and len(ids) > len(set(ids))


@proof("pagination-drops")
def _(http: httpx.Client) -> None:
    everything = http.get("/group/roles", params={"limit": 100}, headers=ALICE_H).json()["items"]
    roles, ended = walk(http, "/group/roles", limit=2)
    assert ended and len(roles) < len(everything)


@proof("next-token-never-ends")
def _(http: httpx.Client) -> None:
    roles, ended = walk(http, "/group/roles", limit=100, pages=10)
    assert not ended and len(roles) == 4


@proof("bad-next-token-accepted")
def _(http: httpx.Client) -> None:
    response = http.get("/group/roles", params={"nextToken": "not-a-token"}, headers=ALICE_H)
    assert response.status_code == 200 and response.json()["items"]


@proof("accepts-invalid-body")
def _(http: httpx.Client) -> None:
    body = {"groupId": ACME, "type": "LORA", "name": "no token"}
    response = http.post("/group/apiKey", json=body, headers=ALICE_H)
    assert response.status_code == 200, response.text


@proof("rejects-valid-body")
def _(http: httpx.Client) -> None:
    response = http.post("/group", json={"name": "Tagged", "tags": ["cold"]}, headers=ALICE_H)
    assert response.status_code == 400


@proof("server-error-on-input")
def _(http: httpx.Client) -> None:
    response = http.put("/group", json={"groupId": ACME, "name": "O'Brien Depot"}, headers=ALICE_H)
    assert response.status_code == 500


@proof("server-error-on-non-latin1")
def _(http: httpx.Client) -> None:
    response = http.put("/group", json={"groupId": ACME, "name": "ACME \u2744 Cold"}, headers=ALICE_H)
    assert response.status_code == 500


@proof("wrong-date-format")
def _(http: httpx.Client) -> None:
    group = http.get("/group", params={"groupId": ACME}, headers=ALICE_H).json()[0]
    assert group["createdAt"].endswith("T00:00:00Z")


@proof("error-body-wrong-shape")
def _(http: httpx.Client) -> None:
    response = http.get("/group", params={"groupId": "no-such-group"}, headers=ALICE_H)
    assert response.status_code == 404 and response.json() == {"error": "not found"}


@proof("member-not-removed")
def _(http: httpx.Client) -> None:
    removed = http.delete("/group/user", params={"groupId": ACME, "userId": DAN}, headers=ALICE_H)
    assert removed.status_code == 200
    members, _ = walk(http, "/group/users", limit=100, groupId=ACME)
    assert DAN in {m["id"] for m in members}


@proof("invite-not-listed")
def _(http: httpx.Client) -> None:
    body = {"groupId": ACME, "email": "new.hire@acme-logistics.example", "roleId": "viewer"}
    invited = http.put("/group/invite", json=body, headers=ALICE_H)
    assert invited.status_code == 200
    members, _ = walk(http, "/group/users", limit=100, groupId=ACME)
    assert invited.json()["userId"] not in {m["id"] for m in members}


@proof("role-change-lost")
def _(http: httpx.Client) -> None:
    body = {"groupId": ACME, "userId": DAN, "roleId": "installer"}
    changed = http.put("/group/user", json=body, headers=ALICE_H)
    assert changed.status_code == 200 and changed.json()["role"]["id"] == "installer"
    members, _ = walk(http, "/group/users", limit=100, groupId=ACME)
    assert next(m for m in members if m["id"] == DAN)["role"]["id"] == "viewer"


@proof("key-not-stored")
def _(http: httpx.Client) -> None:
    body = {"groupId": ACME, "type": "LORA", "token": "secret", "name": "LoRa backend"}
    assert http.post("/group/apiKey", json=body, headers=ALICE_H).status_code == 200
    read = http.put("/group/apiKey", json={"groupId": ACME, "type": "LORA"}, headers=ALICE_H)
    assert read.status_code == 404


@proof("created-group-unreadable")
def _(http: httpx.Client) -> None:
    created = http.post("/group", json={"name": "Ghost"}, headers=ALICE_H)
    assert created.status_code == 200
    assert http.get("/group", params={"groupId": created.json()["id"]}, headers=ALICE_H).status_code == 404


# ------------------------------------------------------------------------------- the tests

PARAMS = [pytest.param(variant, id=variant.name) for variant in VARIANTS]


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[str]:
    variant: Variant = request.param
    with serve(variant.build()) as url:
        yield url


def test_the_suite_has_at_least_15_variants_each_with_a_proof() -> None:
    names = [variant.name for variant in VARIANTS]
    assert len(names) == len(set(names)) >= 15
    assert set(PROOFS) == set(names)


@pytest.mark.parametrize("served", PARAMS, indirect=True)
def test_variant_is_really_broken(served: str, request: pytest.FixtureRequest) -> None:
    with httpx.Client(base_url=served, timeout=10) as http:
        PROOFS[request.node.callspec.id](http)


@pytest.mark.parametrize("name", [variant.name for variant in VARIANTS])
def test_the_defect_is_absent_from_the_healthy_mock(client: httpx.Client, name: str) -> None:
    with pytest.raises(AssertionError):
        PROOFS[name](client)


@pytest.mark.parametrize("served", PARAMS, indirect=True)
def test_kit_fails_and_names_the_check(served: str, request: pytest.FixtureRequest) -> None:
    variant: Variant = request.node.callspec.params["served"]
    out = io.StringIO()
    options = Options(
        base_url=served,
        token=ALICE,
        other_token=EVA,
        include=list(variant.include),
        max_examples=variant.max_examples,
        seed=1,
        workers=1,
        **variant.options,
    )
    result = run(options, out=out)
    reported = {finding.check for finding in result.failures}
    assert result.exit_code == 1, f"kit passed {variant.name} ({variant.defect}):\n{out.getvalue()}"
    assert reported & variant.checks, (
        f"{variant.name}: expected one of {sorted(variant.checks)}, kit reported {sorted(reported)}:\n"
        + out.getvalue()
    )
