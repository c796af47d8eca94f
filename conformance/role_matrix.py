"""The role matrix: `permissions_are_enforced`, each persona's role allows exactly the writes its permissions
allow. A write whose `x-permission` (the contract, as data) the role holds must succeed; one it does not
hold must answer 403 and change nothing (read back as a frame, `frames.py`).

Who each persona is, which roles it holds, and the group of the run where each role is tested are learned
in `casting.py`, so no write of the matrix lands outside groups the run created. Runs once per write
operation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemathesis.core.failures import Severity
from schemathesis.core.transport import Response

from .calls import AnyCase, Reply
from .casting import CHECK, Cell, cells, roles
from .context import ProbeSkipped, RunContext
from .failures import GroupkitFailure
from .frames import GROUP_WRITES, WRITES, changes, snapshot
from .machinery import SKIPPED, groupkit_check, is_documented_call, probe
from .sandbox import PROBE_EMAIL_DOMAIN

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
