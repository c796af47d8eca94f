"""The role matrix: `permissions_are_enforced`, each persona's role allows exactly the writes its permissions
allow. A write whose `x-permission` (the contract, as data) the role holds must succeed; one it does not
hold must answer 403 and change nothing (read back as a frame, `frames.py`).

The kit learns from the server who each persona is and which role it holds in each group it sees (its
`userId` in GET /user/groups, its own entry in GET /group/users, the role's permissions in GET
/group/roles). Each role a persona holds is then tested in a group of the run's own:

  - the kit's token (an Administrator of its sandbox group, which it created) creates a marked sub-group of
    the sandbox and invites the persona's user into it with that role;
  - when that invitation is refused (the Subscriber role cannot be granted, or the persona is the kit's own
    user) and the role holds every permission of the group's Administrator role, the persona creates a
    marked sub-group of the group where it holds the role (its role reaches down there, and a creator's
    Administrator membership adds nothing to it), and sets up its own targets;
  - otherwise the role is not tested, and the report says why.

So no write of the matrix lands outside groups the run created. Runs once per write operation.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass, field
from typing import Any

from schemathesis.core.failures import Severity
from schemathesis.core.transport import Response

from .calls import AnyCase, Caller, Reply
from .context import ProbeSkipped, RunContext
from .failures import GroupkitFailure
from .frames import GROUP_WRITES, WRITES, changes, snapshot
from .lists import MAX_LIMIT, walk
from .machinery import SKIPPED, groupkit_check, is_documented_call, probe
from .sandbox import PROBE_EMAIL_DOMAIN, sandbox_group

CHECK = "permissions_are_enforced"
LEARNED_GROUPS = 10  # groups per persona whose member list is read to learn its roles
NO_PERMISSION = "none"


class ForbiddenWriteAccepted(GroupkitFailure):
    """A persona whose role lacks an operation's permission got the write done, or was not refused with 403."""

    code = "GK601"
    kind_title = "A role without the permission is not refused"
    default_severity = Severity.CRITICAL


class AllowedWriteRefused(GroupkitFailure):
    """A persona whose role holds an operation's permission is refused the write."""

    code = "GK602"
    kind_title = "A role with the permission is refused"


def permission_table(document: dict[str, Any]) -> dict[str, str]:
    """`METHOD /path` -> the operation's `x-permission` (only operations that declare one)."""
    table = {}
    for path, item in (document.get("paths") or {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict) and isinstance(operation.get("x-permission"), str):
                table[f"{method.upper()} {path}"] = operation["x-permission"]
    return table


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


# ----------------------------------------------------------------- the check


@groupkit_check
def permissions_are_enforced(run: RunContext, response: Response, case: AnyCase) -> bool | None:
    label = case.operation.label
    if label not in WRITES or not is_documented_call(case) or run.settings.read_only:
        return SKIPPED
    if not run.settings.personas:
        run.note(f"{CHECK}: skipped (give --persona NAME=TOKEN for users with other roles)")
        return SKIPPED
    if not run.claim(CHECK, label):
        return SKIPPED
    needed = permission_table(case.operation.schema.raw_schema).get(label)
    if needed is None:
        run.note(f"{CHECK}: {label} declares no x-permission in the contract; not tested")
        return SKIPPED
    probe(run, lambda: _matrix(run, label, needed))
    return None


def _matrix(run: RunContext, label: str, needed: str) -> None:
    permissions = roles(run)
    ranked = sorted(permissions, key=lambda role: len(permissions[role]))
    lowest, second = ranked[0], ranked[min(1, len(ranked) - 1)]
    refused: list[tuple[str, list[str]]] = []
    accepted: list[tuple[str, list[str]]] = []
    for cell in cells(run):
        allowed = needed == NO_PERMISSION or needed in permissions.get(cell.role, frozenset())
        problem = _attempt(run, cell, label, allowed, needed, (lowest, second))
        if problem is not None:
            (accepted if not allowed else refused).append(problem)
    if accepted:
        raise ForbiddenWriteAccepted(
            operation=label, detail="; ".join(t for t, _ in accepted), steps=accepted[0][1]
        )
    if refused:
        raise AllowedWriteRefused(
            operation=label, detail="; ".join(t for t, _ in refused), steps=refused[0][1]
        )


def _attempt(
    run: RunContext, cell: Cell, label: str, allowed: bool, needed: str, grants: tuple[str, str]
) -> tuple[str, list[str]] | None:
    """Send the write as the persona; a problem (what went wrong, the requests) or None."""
    write, keys, cleanup, steps = _setup(run, cell, label, grants)
    try:
        groups = label in GROUP_WRITES
        before = snapshot(cell.setup, cell.group_id, keys, groups=groups) if not allowed else None
        reply = write()
        who = f"persona {cell.persona} ({cell.role}, {cell.how})"
        rule = f"x-permission {needed}, which {cell.role} {'holds' if allowed else 'does not hold'} (GET /group/roles)"
        if allowed:
            if 200 <= reply.status < 300:
                return None
            return f"{who}: {reply.brief()}; {rule}, so expected 2xx", [*steps, reply.curl]
        if reply.status != 403:
            return f"{who}: {reply.brief()}; {rule}, so expected 403", [*steps, reply.curl]
        assert before is not None
        after = snapshot(cell.setup, cell.group_id, keys, groups=groups)  # around it again: new groups too
        found = changes(before, after, None)
        if found:
            return (
                f"{who}: {reply.brief()} ({rule}) but the write happened: {'; '.join(found[:3])}",
                [*steps, reply.curl, *after.steps[-3:]],
            )
        return None
    finally:
        cleanup()


Setup = tuple[Callable[[], Reply], list[str], Callable[[], None], list[str]]


def _setup(run: RunContext, cell: Cell, label: str, grants: tuple[str, str]) -> Setup:
    """The persona's write, the key types to frame, the clean-up, and the setup's requests."""
    group_id, setup, persona = cell.group_id, cell.setup, cell.caller
    send = persona.send
    nothing: Callable[[], None] = lambda: None  # noqa: E731
    if label == "POST /group":
        body = {"name": run.unique("matrix-child"), "description": "groupkit role matrix; safe to delete"}
        return lambda: send(label, query={"parentId": group_id}, body=body), [], nothing, []
    if label == "PUT /group":
        body = {"groupId": group_id, "description": run.unique("matrix-description")}
        return lambda: send(label, body=body), [], nothing, []
    if label.endswith("/apiKey"):
        kind = run.unique("matrix-key")
        key = {"groupId": group_id, "type": kind, "token": f"token-of-{kind}", "name": kind}
        steps: list[str] = []
        if label != "POST /group/apiKey":
            made = setup.send("POST /group/apiKey", body=key)
            if made.status != 200:
                raise ProbeSkipped(
                    f"could not create an API key in the matrix group {group_id}: {made.brief()}"
                )
            steps.append(made.curl)

        def cleanup() -> None:
            setup.send("DELETE /group/apiKey", query={"groupId": group_id, "type": kind})

        if label == "POST /group/apiKey":
            return lambda: send(label, body=key), [kind], cleanup, steps
        if label == "PUT /group/apiKey":
            renamed = {"groupId": group_id, "type": kind, "name": run.unique("matrix-renamed")}
            return lambda: send(label, body=renamed), [kind], cleanup, steps
        return lambda: send(label, query={"groupId": group_id, "type": kind}), [kind], cleanup, steps
    lowest, second = grants
    if label == "PUT /group/invite":
        body = {
            "groupId": group_id,
            "email": f"{run.unique('matrix')}@{PROBE_EMAIL_DOMAIN}",
            "roleId": lowest,
        }
        return lambda: send(label, body=body), [], nothing, []
    email = f"{run.unique('matrix-member')}@{PROBE_EMAIL_DOMAIN}"
    invited = setup.send("PUT /group/invite", body={"groupId": group_id, "email": email, "roleId": lowest})
    if (
        invited.status != 200
        or not isinstance(invited.body, dict)
        or not isinstance(invited.body.get("userId"), str)
    ):
        raise ProbeSkipped(
            f"could not invite a target member into the matrix group {group_id}: {invited.brief()}"
        )
    user_id = invited.body["userId"]
    if label == "PUT /group/user":
        body = {"groupId": group_id, "userId": user_id, "roleId": second}
        return lambda: send(label, body=body), [], nothing, [invited.curl]
    return lambda: send(label, query={"groupId": group_id, "userId": user_id}), [], nothing, [invited.curl]
