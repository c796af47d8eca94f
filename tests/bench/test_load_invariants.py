"""The invariants bench/load.py and the shared-store wire tests check after concurrent load: the default world
keeps them all, each broken world is caught by the rule it breaks, and the ledger of writes answered 200
finds what is missing or holds a value nobody wrote."""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import DEFAULT_WORLD, ROOT, group_id, user_id

sys.path.insert(0, str(ROOT / "bench"))
from load_invariants import Ledger, world_problems  # noqa: E402

ACME = group_id(DEFAULT_WORLD, "ACME Logistics")
LYON = group_id(DEFAULT_WORLD, "ACME Lyon Warehouse")


def test_the_default_world_keeps_every_rule() -> None:
    assert world_problems(copy.deepcopy(DEFAULT_WORLD)) == []


def _cycle(world: dict[str, Any]) -> None:
    groups = {g["id"]: g for g in world["groups"]}
    groups[ACME]["parent"] = LYON  # Lyon is below ACME: now each is the other's ancestor


def _twin_key(world: dict[str, Any]) -> None:
    key = next(k for k in world["apiKeys"] if k["groupId"] == ACME)
    world["apiKeys"].append({**key, "type": key["type"].lower(), "token": "other"})


def _twin_email(world: dict[str, Any]) -> None:
    world["users"].append({**world["users"][0], "id": "u-twin", "email": world["users"][0]["email"].upper()})


def _twin_membership(world: dict[str, Any]) -> None:
    world["memberships"].append({**world["memberships"][0], "roleId": "viewer"})


def _no_manager(world: dict[str, Any]) -> None:
    nordic = {group_id(world, "Nordic Cold Chain"), group_id(world, "Nordic Oslo Depot")}
    world["memberships"] = [m for m in world["memberships"] if m["groupId"] not in nordic]


def _dangling(world: dict[str, Any]) -> None:
    world["devices"][0]["groupId"] = "no-such-group"


@pytest.mark.parametrize(
    "breaks, said",
    [
        (_cycle, "parents make a cycle"),
        (_twin_key, "2 API keys of type"),
        (_twin_email, "2 users with the e-mail alice.martin@acme-logistics.example"),
        (_twin_membership, "times a member of group"),
        (_no_manager, "nobody in it or above it can manage its members"),
        (_dangling, "devices: no-such-group is no group"),
    ],
)
def test_each_broken_rule_is_caught(breaks: Callable[[dict[str, Any]], None], said: str) -> None:
    world = copy.deepcopy(DEFAULT_WORLD)
    breaks(world)
    problems = world_problems(world)
    assert problems and all(said in problem for problem in problems), problems


def test_the_ledger_finds_what_was_answered_200_and_is_missing_or_different() -> None:
    world = copy.deepcopy(DEFAULT_WORLD)
    alice = user_id(world, "alice")
    ledger = Ledger()
    ledger.answered("POST", "/group", {"name": "ACME Logistics"}, {"id": ACME})  # there, as written
    ledger.answered("PUT", "/group", {"groupId": LYON, "description": "gone"}, {})  # a value nobody has
    ledger.answered("POST", "/group", {"name": "lost"}, {"id": "g-lost"})  # missing
    key = {"groupId": ACME, "type": "ttn", "name": "k", "token": "t"}
    ledger.answered("POST", "/group/apiKey", key, {})  # missing, but deleted later: not looked for
    ledger.answered("DELETE", "/group/apiKey", {"groupId": ACME, "type": "TTN"}, {})
    ledger.answered("PUT", "/group/user", {"groupId": ACME, "userId": alice, "roleId": "viewer"}, {})
    ledger.wrote(("member", ACME, alice), role="subscriber")  # one of the two values written: fine
    assert set(ledger.problems(world)) == {
        "group g-lost: answered 200, missing from the state",
        f"group {LYON}: description is {next(g['description'] for g in world['groups'] if g['id'] == LYON)!r}, "
        "none of the values written [\"'gone'\"]",
    }
