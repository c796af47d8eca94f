"""Casting the role matrix (`role_matrix.py`): the server tells who each persona is and which role it holds in
each group it sees (its `userId` in GET /user/groups, its own entry in GET /group/users, the role's
permissions in GET /group/roles). Each role a persona holds is then given it in a group of the run's own:

  - the kit's token (an Administrator of its sandbox group, which it created) creates a marked sub-group of
    the sandbox and invites the persona's user into it with that role;
  - when that invitation is refused (the Subscriber role cannot be granted, or the persona is the kit's own
    user) and the role holds every permission of the group's Administrator role, the persona creates a
    marked sub-group of the group where it holds the role (its role reaches down there, and a creator's
    Administrator membership adds nothing to it), and sets up its own targets;
  - otherwise the role is not tested, and the report says why.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any

from .calls import Caller
from .context import ProbeSkipped, RunContext
from .lists import MAX_LIMIT, walk
from .sandbox import sandbox_group

CHECK = "permissions_are_enforced"
LEARNED_GROUPS = 10  # groups per persona whose member list is read to learn its roles


@dataclass
class Persona:
    """A persona as the server shows it: its user, and its direct role in each group it was seen in."""

    name: str
    caller: Caller
    user_id: str | None = None
    email: str | None = None
    held: dict[str, str] = field(default_factory=dict)  # group id -> role id


@dataclass(frozen=True)
class Cell:
    """One persona holding one role in a group of the run, and who sets up the targets there."""

    persona: str
    caller: Caller
    role: str
    group_id: str
    setup: Caller
    how: str


def persona_callers(run: RunContext) -> dict[str, Caller]:
    def compute() -> dict[str, Caller]:
        return {
            name: Caller(run.caller.schema, token, run.settings.request_timeout)
            for name, token in run.settings.personas
        }

    return run.memo("persona-callers", compute)


def roles(run: RunContext) -> dict[str, frozenset[str]]:
    """Role id -> its permissions, as GET /group/roles lists them."""

    def compute() -> dict[str, frozenset[str]]:
        listed = walk(run.caller, "GET /group/roles", None, limit=MAX_LIMIT, max_pages=10)
        if listed.status != 200:
            raise ProbeSkipped(f"GET /group/roles answered {listed.status}")
        found = {
            str(role["id"]): frozenset(str(p) for p in role.get("permissions") or ())
            for role in listed.items
            if isinstance(role, dict) and isinstance(role.get("id"), str)
        }
        if not found:
            raise ProbeSkipped("GET /group/roles lists no role")
        return found

    return run.memo("role-permissions", compute)


def learn(name: str, caller: Caller, made: Container[str] = ()) -> Persona:
    """Who the persona is and its direct role in each group it sees (at most LEARNED_GROUPS of them)."""
    persona = Persona(name, caller)
    groups = walk(caller, "GET /user/groups", None, limit=MAX_LIMIT, max_pages=10)
    items = [g for g in groups.items if isinstance(g, dict) and isinstance(g.get("id"), str)]
    persona.user_id = next((str(g["userId"]) for g in items if isinstance(g.get("userId"), str)), None)
    # the roles a persona holds on the server, not in the groups this run made (the creator administers them)
    theirs = [g for g in items if f"group:{g['id']}" not in made]
    for group in theirs[:LEARNED_GROUPS]:
        users = walk(caller, "GET /group/users", group["id"], limit=MAX_LIMIT, max_pages=10)
        me = next((u for u in users.items if isinstance(u, dict) and u.get("id") == persona.user_id), None)
        if not isinstance(me, dict):
            continue  # a group the persona sees through a parent group: its role there is the parent's
        role = me.get("role")
        if isinstance(role, dict) and isinstance(role.get("id"), str):
            persona.held[group["id"]] = role["id"]
            if isinstance(me.get("email"), str):
                persona.email = me["email"]
    return persona


def cells(run: RunContext) -> list[Cell]:
    """Every (persona, role) the matrix tests, each in a group of the run (made once per run)."""

    def compute() -> list[Cell]:
        permissions = roles(run)
        found: list[Cell] = []
        for name, caller in persona_callers(run).items():
            persona = learn(name, caller, run.created)
            held = sorted(set(persona.held.values()), key=list(persona.held.values()).index)
            if not held:
                run.note(f"{CHECK}: persona {name} holds no role in the groups it sees; not tested")
                continue
            for role in held:
                cell = _place(run, persona, role, permissions)
                if cell is not None:
                    found.append(cell)
                    run.note(
                        f"{CHECK}: persona {name} (user {persona.user_id}) holds {role}; tested {cell.how}"
                    )
        if not found:
            raise ProbeSkipped("no persona could be given a role in a group of the run")
        return found

    return run.memo("role-matrix-cells", compute)


def _place(
    run: RunContext, persona: Persona, role: str, permissions: dict[str, frozenset[str]]
) -> Cell | None:
    if persona.email is not None:
        group_id = str(sandbox_child(run, f"matrix-{persona.name}-{role}"))
        body = {"groupId": group_id, "email": persona.email, "roleId": role}
        invited = run.caller.send("PUT /group/invite", body=body)
        if invited.status == 200:
            how = f"as {role} in the run's group {group_id} (invited by the kit's token)"
            return Cell(persona.name, persona.caller, role, group_id, run.caller, how)
    administrator = permissions.get("administrator", frozenset())
    home = next((gid for gid, held in persona.held.items() if held == role), None)
    if home is None or not administrator or not administrator <= permissions.get(role, frozenset()):
        run.note(
            f"{CHECK}: persona {persona.name}'s role {role} could not be given in a group of the run; not tested"
        )
        return None
    body = {
        "name": run.unique(f"matrix-{persona.name}-{role}"),
        "description": "groupkit role matrix; safe to delete",
    }
    created = persona.caller.send("POST /group", query={"parentId": home}, body=body)
    if (
        created.status != 200
        or not isinstance(created.body, dict)
        or not isinstance(created.body.get("id"), str)
    ):
        run.note(
            f"{CHECK}: persona {persona.name} could not create a sub-group of its group {home}; {role} not tested"
        )
        return None
    group_id = created.body["id"]
    how = f"as {role} in its own marked sub-group {group_id} of group {home}"
    return Cell(persona.name, persona.caller, role, group_id, persona.caller, how)


def sandbox_child(run: RunContext, what: str) -> Any:
    body = {"name": run.unique(what), "description": "groupkit role matrix; safe to delete"}
    reply = run.caller.send("POST /group", query={"parentId": sandbox_group(run)}, body=body)
    if reply.status != 200 or not isinstance(reply.body, dict) or not isinstance(reply.body.get("id"), str):
        raise ProbeSkipped(f"could not create a group in the sandbox: {reply.brief()}")
    return reply.body["id"]
