"""What the mock's state must still hold after concurrent load (bench/load.py, and the shared-store wire tests
in tests/end_to_end/test_shared_store.py): the rules of the exported world, and every write answered 200 found
in it unless a later write answered 200 undid it.

A world here is the JSON of `GET /__mock__/state` (fixtures/README.md). `world_problems` checks it alone;
`Ledger` records the writes clients saw succeed and `Ledger.problems` looks for them in the world.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from typing import Any

import httpx

from groupkit.roles import BUILT_IN, UPDATE_MEMBER

Thing = tuple[str, ...]  # a record a ledger names: (kind, ids...)
COUNTS = (
    ("devices", "numberOfDevices"),
    ("connectors", "numberOfConnectors"),
    ("notifications", "numberOfNotifications"),
)


def world_problems(world: dict[str, Any]) -> list[str]:
    """What breaks the domain's rules in an exported world: references to missing groups or users, a cycle
    of parents, two API keys of one type (case-insensitive) in a group, two users with one e-mail
    (case-insensitive), two memberships of one user in one group, a group nobody in it or above it can
    manage the members of."""
    users = {u["id"]: u for u in world["users"]}
    groups = {g["id"]: g for g in world["groups"]}
    problems = [
        f"membership {m} names a missing group or user"
        for m in world["memberships"]
        if m["groupId"] not in groups or m["userId"] not in users
    ]
    problems += [
        f"{kind}: {item['groupId']} is no group"
        for kind in ("devices", "apiKeys", "connectors", "notifications")
        for item in world[kind]
        if item["groupId"] not in groups
    ]
    problems += [
        f"group {g['id']}: no parent {g['parent']}"
        for g in world["groups"]
        if g["parent"] is not None and g["parent"] not in groups
    ]
    for group in world["groups"]:  # each line of parents ends at a top-level group
        seen = {group["id"]}
        parent = group["parent"]
        while parent in groups:
            if parent in seen:
                problems.append(f"group {group['id']}: its parents make a cycle through {parent}")
                break
            seen.add(parent)
            parent = groups[parent]["parent"]
    twice = Counter((key["groupId"], key["type"].casefold()) for key in world["apiKeys"])
    problems += [f"group {g}: {n} API keys of type {t}" for (g, t), n in twice.items() if n > 1]
    emails = Counter(user["email"].casefold() for user in world["users"])
    problems += [f"{n} users with the e-mail {email}" for email, n in emails.items() if n > 1]
    pairs = Counter((m["groupId"], m["userId"]) for m in world["memberships"])
    problems += [f"user {u} is {n} times a member of group {g}" for (g, u), n in pairs.items() if n > 1]
    managers = {m["groupId"] for m in world["memberships"] if BUILT_IN[m["roleId"]].allows(UPDATE_MEMBER)}
    for group in world["groups"]:
        line, node = set(), group
        while node is not None and node["id"] not in line:
            line.add(node["id"])
            node = groups.get(node["parent"]) if node["parent"] is not None else None
        if not line & managers:
            problems.append(f"group {group['id']}: nobody in it or above it can manage its members")
    return problems


def things(world: dict[str, Any]) -> dict[Thing, dict[str, Any]]:
    """The world's records a ledger names, with the fields it compares: groups, memberships, API keys
    (type case-insensitive) and users (by e-mail, case-insensitive)."""
    found: dict[Thing, dict[str, Any]] = {}
    for g in world["groups"]:
        found[("group", g["id"])] = {
            "name": g["name"],
            "description": g.get("description"),
            "parent": g["parent"],
        }
    for m in world["memberships"]:
        found[("member", m["groupId"], m["userId"])] = {"role": m["roleId"]}
    for k in world["apiKeys"]:
        found[("key", k["groupId"], k["type"].casefold())] = {"name": k["name"], "token": k["token"]}
    for u in world["users"]:
        found[("user", u["email"].casefold())] = {"id": u["id"]}
    return found


class Ledger:
    """The writes answered 200, as the values each one gave a record's fields. Afterwards every record
    written and not undone (deleted or removed by a write answered 200) must be in the world, each field
    holding one of the values written to it: which one depends on the order the server applied them in,
    which clients running at once cannot know."""

    def __init__(self) -> None:
        self.values: dict[Thing, dict[str, set[Any]]] = defaultdict(lambda: defaultdict(set))
        self.undone: set[Thing] = set()

    def wrote(self, thing: Thing, **fields: Any) -> None:
        self.values[thing]  # a write that sets no compared field still says the record exists
        for name, value in fields.items():
            self.values[thing][name].add(value)

    def removed(self, thing: Thing) -> None:
        self.undone.add(thing)

    def answered(self, method: str, path: str, sent: dict[str, Any], body: Any) -> None:
        """Note a write the API answered 200: `sent` holds its query parameters and JSON body merged."""
        if (method, path) == ("POST", "/group"):
            self.wrote(("group", body["id"]), name=sent["name"], parent=sent.get("parentId"))
        elif (method, path) == ("PUT", "/group"):
            fields = {"description": sent["description"]} if "description" in sent else {}
            if "parent" in sent:
                fields["parent"] = sent["parent"]
            self.wrote(("group", sent["groupId"]), **fields)
        elif (method, path) == ("PUT", "/group/invite"):
            self.wrote(("user", sent["email"].casefold()), id=body["userId"])
            self.wrote(("member", sent["groupId"], body["userId"]), role=sent["roleId"])
        elif (method, path) == ("PUT", "/group/user"):
            self.wrote(("member", sent["groupId"], sent["userId"]), role=sent["roleId"])
        elif (method, path) == ("DELETE", "/group/user"):
            self.removed(("member", sent["groupId"], sent["userId"]))  # a caller leaving: `removed` it
        elif (method, path) == ("POST", "/group/apiKey"):
            key = ("key", sent["groupId"], sent["type"].casefold())
            self.wrote(key, name=sent["name"], token=sent["token"])
        elif (method, path) == ("PUT", "/group/apiKey"):
            fields = {name: sent[name] for name in ("name", "token") if name in sent}
            self.wrote(("key", sent["groupId"], sent["type"].casefold()), **fields)
        elif (method, path) == ("DELETE", "/group/apiKey"):
            self.removed(("key", sent["groupId"], sent["type"].casefold()))

    def problems(self, world: dict[str, Any]) -> list[str]:
        found = things(world)
        problems = []
        for thing, fields in self.values.items():
            if thing in self.undone:
                continue
            record = found.get(thing)
            if record is None:
                problems.append(f"{' '.join(thing)}: answered 200, missing from the state")
                continue
            problems += [
                f"{' '.join(thing)}: {name} is {record[name]!r}, none of the values written {sorted(map(repr, values))}"
                for name, values in fields.items()
                if record[name] not in values
            ]
        return problems


async def walk(http: httpx.AsyncClient, path: str, **params: str) -> list[dict[str, Any]] | None:
    """Every item of a list operation, or None if it does not answer 200."""
    items: list[dict[str, Any]] = []
    token = None
    while True:
        response = await http.get(
            path, params={**params, "limit": 100, **({"nextToken": token} if token else {})}
        )
        if response.status_code != 200:
            return None
        page = response.json()
        items += page["items"]
        token = page.get("nextToken")
        if not token:
            return items


async def invariants(base_url: str, ledger: Ledger | None = None) -> list[str]:
    """What is wrong with the state the run left, checked through the export (and the writes `ledger` saw
    answered 200) and the API."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        world = (await http.get("/__mock__/state")).json()
    users = {u["id"]: u for u in world["users"]}
    groups = {g["id"]: g for g in world["groups"]}
    problems = world_problems(world) + (ledger.problems(world) if ledger is not None else [])
    children: dict[str, list[str]] = defaultdict(list)
    for group in world["groups"]:
        if group["parent"]:
            children[group["parent"]].append(group["id"])
    members: dict[str, set[str]] = defaultdict(set)
    visible: dict[str, set[str]] = defaultdict(set)  # user -> groups they see (memberships and sub-groups)
    for membership in world["memberships"]:
        members[membership["groupId"]].add(membership["userId"])
        pending = [membership["groupId"]]
        while pending:
            group_id = pending.pop()
            visible[membership["userId"]].add(group_id)
            pending += children[group_id]
    counted = Counter((kind, item["groupId"]) for kind, _ in COUNTS for item in world[kind])
    semaphore = asyncio.Semaphore(16)

    async def check(user_id: str) -> list[str]:
        token = users[user_id].get("token")
        if not token:
            return []  # a pending invitee cannot call the API
        found: list[str] = []
        async with (
            semaphore,
            httpx.AsyncClient(base_url=base_url, headers={"Authorization": token}, timeout=30) as http,
        ):
            listed = await walk(http, "/user/groups")
            if listed is None or {g["id"] for g in listed} != visible[user_id]:
                found.append(
                    f"GET /user/groups of {user_id} is not the groups they are a member of, and below"
                )
            for group_id in sorted(g for g in groups if user_id in members[g]):
                response = await http.get("/group", params={"groupId": group_id})
                if response.status_code != 200:
                    found.append(f"member {user_id} cannot read group {group_id}: {response.status_code}")
                    continue
                shown = response.json()[0]
                for kind, field in COUNTS:
                    if shown.get(field) != counted[(kind, group_id)]:
                        found.append(
                            f"group {group_id}: {field} {shown.get(field)} but {counted[(kind, group_id)]} {kind}"
                        )
                listed_members = await walk(http, "/group/users", groupId=group_id)
                if listed_members is None or {m["id"] for m in listed_members} != members[group_id]:
                    found.append(f"group {group_id}: GET /group/users is not its memberships")
        return found

    for found in await asyncio.gather(*(check(user_id) for user_id in visible)):
        problems += found
    return problems
