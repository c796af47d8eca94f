"""Access checks: `auth_is_enforced` (no token, or a bad one, gets 401) and `isolation_between_users` (a
user never reads, lists or changes a group they are not a member of). Both run once per operation.

Isolation needs a second user (`--other-token`). Reads target a group the token sees and the other token
does not (or the run's sandbox); writes target the sandbox and the probe key or member the check puts in
it, so that an API that lets the other user through damages nothing but the run's own resources. After
each refused write, the token's own read confirms nothing changed (a 404 that still wrote is a breach).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from schemathesis.core.transport import Response

from .calls import AnyCase, Caller, Reply
from .context import ProbeSkipped, RunContext
from .failures import AuthNotEnforced, CrossTenantAccess
from .lists import MAX_LIMIT, walk
from .machinery import (
    SKIPPED,
    groupkit_check,
    is_documented_call,
    is_positive,
    probe,
    reads_as_one_group,
    sent_own_token,
)
from .sandbox import (
    create_probe_key,
    delete_key,
    find_member,
    invite_probe_member,
    members,
    read_key,
    sandbox_group,
    visible_groups,
)

REFUSED = (403, 404)


@groupkit_check
def auth_is_enforced(run: RunContext, response: Response, case: AnyCase) -> bool | None:
    """Every operation answers 401 to a missing, an empty, an unknown and an unknown `Bearer` token."""
    if not (is_documented_call(case) and is_positive(case) and sent_own_token(run, response)):
        return SKIPPED
    if response.status_code == 401 or not run.claim("auth_is_enforced", case.operation.label):
        return SKIPPED
    invalid = f"{run.prefix}invalid-token"
    tries = {
        "no token": None,
        "an empty token": "",
        "an unknown token": invalid,
        "Bearer <unknown>": f"Bearer {invalid}",
    }
    # the kit's own invalid tokens are no secret: the curls show them, so "none" and "unknown" read apart
    replies = {what: run.caller.resend(case, token=token, shown=True) for what, token in tries.items()}
    wrong = {what: reply for what, reply in replies.items() if reply.status != 401}
    if wrong:
        raise AuthNotEnforced(
            operation=case.operation.label,
            detail=f"the request that answered {response.status_code} with the token answered "
            + ", ".join(f"{reply.status} with {what}" for what, reply in wrong.items())
            + "; expected 401 each time",
            steps=[reply.curl for reply in wrong.values()],
        )
    return None


@groupkit_check
def isolation_between_users(run: RunContext, response: Response, case: AnyCase) -> bool | None:
    label = case.operation.label
    if label not in ATTEMPTS or not is_documented_call(case):
        return SKIPPED
    if run.other is None:
        run.note("isolation_between_users: skipped (give --other-token, a user outside the token's groups)")
        return SKIPPED
    if not run.claim("isolation_between_users", label):
        return SKIPPED
    other, group_id = run.other, _foreign_group(run, write=case.operation.method.upper() != "GET")
    probe(run, lambda: ATTEMPTS[label](run, other, group_id))
    return None


def _foreign_group(run: RunContext, *, write: bool) -> str:
    """A group the other token must not reach: the sandbox for writes; for reads, preferably an existing
    group the token sees and the other token does not (no write needed)."""
    if write:
        return sandbox_group(run)

    def compute() -> str:
        theirs = {group["id"] for group in visible_groups(run, other=True)}
        for group in visible_groups(run):
            if group["id"] not in theirs:
                return str(group["id"])
        if run.settings.read_only:
            raise ProbeSkipped("every group the token sees is also listed for the other token")
        return sandbox_group(run)

    return run.memo("foreign-read-group", compute)


def _breach(label: str, group_id: str, reply: Reply, steps: list[str], what: str = "") -> CrossTenantAccess:
    return CrossTenantAccess(
        operation=label,
        detail=f"with the other token, {reply.brief()} for group {group_id}, which that user is not a member "
        f"of{what}; expected 404 (or 403)",
        steps=[*steps, reply.curl],
    )


def _refused(label: str, group_id: str, reply: Reply, steps: Sequence[str] = ()) -> None:
    if reply.status not in REFUSED:
        raise _breach(label, group_id, reply, list(steps))


# ----------------------------------------------------------------- one attempt per operation


def _list_user_groups(run: RunContext, other: Caller, group_id: str) -> None:
    theirs = walk(other, "GET /user/groups", None, limit=MAX_LIMIT, max_pages=1000)
    if any(isinstance(g, dict) and g.get("id") == group_id for g in theirs.items):
        raise CrossTenantAccess(
            operation="GET /user/groups",
            detail=f"GET /user/groups for the other token lists group {group_id}, which that user is not a "
            "member of; expected it absent",
            steps=theirs.steps(),
        )


def _read(label: str) -> Callable[[RunContext, Caller, str], None]:
    def attempt(run: RunContext, other: Caller, group_id: str) -> None:
        _refused(label, group_id, other.send(label, query={"groupId": group_id}))

    return attempt


def _create_subgroup(run: RunContext, other: Caller, group_id: str) -> None:
    reply = other.send("POST /group", query={"parentId": group_id}, body={"name": run.unique("intruder")})
    _refused("POST /group", group_id, reply)


def _update_group(run: RunContext, other: Caller, group_id: str) -> None:
    name = run.unique("intruder")
    reply = other.send("PUT /group", body={"groupId": group_id, "name": name})
    _refused("PUT /group", group_id, reply)
    read = run.caller.send("GET /group", query={"groupId": group_id})
    group = reads_as_one_group(read.body)
    if group is not None and group.get("name") == name:
        raise _breach("PUT /group", group_id, reply, [read.curl], ", and the group was renamed all the same")


def _create_key(run: RunContext, other: Caller, group_id: str) -> None:
    kind = run.unique("intruder-key")
    body = {"groupId": group_id, "type": kind, "token": "intruder", "name": kind}
    reply = other.send("POST /group/apiKey", body=body)
    stored = read_key(run.caller, group_id, kind)
    if stored.status == 200:
        delete_key(run.caller, group_id, kind)
    _refused("POST /group/apiKey", group_id, reply)
    if stored.status == 200:
        raise _breach("POST /group/apiKey", group_id, reply, [stored.curl], ", and the key was stored")


def _touch_key(label: str) -> Callable[[RunContext, Caller, str], None]:
    def attempt(run: RunContext, other: Caller, group_id: str) -> None:
        body, created = create_probe_key(run, group_id)
        kind = body["type"]
        if label == "PUT /group/apiKey":
            reply = other.send(
                label, body={"groupId": group_id, "type": kind, "name": run.unique("intruder")}
            )
        else:
            reply = delete_key(other, group_id, kind)
        after = read_key(run.caller, group_id, kind)
        delete_key(run.caller, group_id, kind)
        _refused(label, group_id, reply, [created.curl])
        unchanged = (
            after.status == 200 and isinstance(after.body, dict) and after.body.get("name") == body["name"]
        )
        if not unchanged:
            raise _breach(
                label, group_id, reply, [created.curl, after.curl], f", and the key then {after.brief()}"
            )

    return attempt


def _invite(run: RunContext, other: Caller, group_id: str) -> None:
    email = f"{run.unique('intruder')}@example.com"
    reply = other.send("PUT /group/invite", body={"groupId": group_id, "email": email, "roleId": "viewer"})
    _refused("PUT /group/invite", group_id, reply)
    found, steps, _ = members(run, group_id)
    if find_member(found, email=email) is not None:
        raise _breach("PUT /group/invite", group_id, reply, steps, ", and the invitee is listed all the same")


def _touch_member(label: str) -> Callable[[RunContext, Caller, str], None]:
    def attempt(run: RunContext, other: Caller, group_id: str) -> None:
        user_id, _, invited = invite_probe_member(run, group_id, "viewer")
        if label == "PUT /group/user":
            reply = other.send(label, body={"groupId": group_id, "userId": user_id, "roleId": "installer"})
        else:
            reply = other.send(label, query={"groupId": group_id, "userId": user_id})
        _refused(label, group_id, reply, [invited.curl])
        found, steps, _ = members(run, group_id)
        member = find_member(found, user_id=user_id)
        role = member.get("role") if isinstance(member, dict) else None
        if not isinstance(role, dict) or role.get("id") != "viewer":
            raise _breach(label, group_id, reply, [invited.curl, *steps], ", and the membership changed")

    return attempt


ATTEMPTS: dict[str, Callable[[RunContext, Caller, str], None]] = {
    "GET /user/groups": _list_user_groups,
    "GET /group": _read("GET /group"),
    "GET /group/users": _read("GET /group/users"),
    "GET /group/devices": _read("GET /group/devices"),
    "POST /group": _create_subgroup,
    "PUT /group": _update_group,
    "POST /group/apiKey": _create_key,
    "PUT /group/apiKey": _touch_key("PUT /group/apiKey"),
    "DELETE /group/apiKey": _touch_key("DELETE /group/apiKey"),
    "PUT /group/invite": _invite,
    "PUT /group/user": _touch_member("PUT /group/user"),
    "DELETE /group/user": _touch_member("DELETE /group/user"),
}
