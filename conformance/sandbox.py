"""What the checks' own probes stand on: the groups each token sees, and a marked sandbox group the run
creates so that probes invite, re-role, remove and key only things the run made itself.

Every helper is memoised per run or makes something fresh (`unique` names); a setup step that does not
answer as the contract says raises `ProbeSkipped`, which the report shows as a note: the defect is left
to the check that guards that step.
"""

from __future__ import annotations

from typing import Any

from .calls import OWN_TOKEN, Caller, Reply
from .context import ProbeSkipped, RunContext
from .lists import MAX_LIMIT, walk

PROBE_EMAIL_DOMAIN = "example.com"  # reserved (RFC 2606): invitations to it reach nobody


def visible_groups(run: RunContext, *, other: bool = False) -> list[dict[str, Any]]:
    """Every group GET /user/groups lists for the run's token (or the other token)."""
    caller = run.other if other else run.caller
    if caller is None:
        raise ProbeSkipped("no --other-token given")

    def compute() -> list[dict[str, Any]]:
        groups = walk(caller, "GET /user/groups", None, limit=MAX_LIMIT, max_pages=1000)
        who = "the other token" if other else "the token"
        if groups.status != 200:
            raise ProbeSkipped(f"GET /user/groups for {who} answered {groups.status}")
        if groups.problem is not None:
            raise ProbeSkipped(f"GET /user/groups for {who} cannot be walked: {groups.problem[1]}")
        return [
            group for group in groups.items if isinstance(group, dict) and isinstance(group.get("id"), str)
        ]

    return run.memo(("visible-groups", other), compute)


def own_user_id(run: RunContext) -> str:
    """The token's user id: `userId` of any Group shown to it (the contract: the caller)."""

    def compute() -> str:
        for group in visible_groups(run):
            if isinstance(group.get("userId"), str):
                return str(group["userId"])
        reply = run.caller.send("GET /group", query={"groupId": sandbox_group(run)})
        if reply.status == 200 and isinstance(reply.body, list) and reply.body:
            return str(reply.body[0].get("userId"))
        raise ProbeSkipped("could not learn the token's user id from GET /user/groups or GET /group")

    return run.memo("own-user-id", compute)


def create_group(run: RunContext, what: str, *, parent_id: str | None = None) -> tuple[dict[str, Any], Reply]:
    """POST /group with a marked name; the body sent and the reply (ProbeSkipped unless 200)."""
    if run.settings.read_only:
        raise ProbeSkipped("the run is read-only")
    body = {"name": run.unique(what), "description": f"groupkit conformance probe ({what}); safe to delete"}
    reply = run.caller.send("POST /group", query={"parentId": parent_id}, body=body)
    if reply.status != 200 or not isinstance(reply.body, dict) or not isinstance(reply.body.get("id"), str):
        raise ProbeSkipped(f"could not create a {what} group: {reply.brief()}")
    return body, reply


def sandbox_group(run: RunContext) -> str:
    """The run's sandbox group (created on first use): the token's user administers it, nobody else is in it."""

    def compute() -> str:
        group_id = str(create_group(run, "sandbox")[1].body["id"])
        read = run.caller.send("GET /group", query={"groupId": group_id})
        if read.status != 200:
            raise ProbeSkipped(f"the sandbox group it created is not readable: {read.brief()}")
        return group_id

    return run.memo("sandbox", compute)


# A probe stands on what it set up: when the setup does not hold (a member not listed after its invitation,
# a key that cannot be read back), the probe is skipped and the check that guards that step reports it.


def invite_probe_member(
    run: RunContext, group_id: str, role_id: str = "viewer", *, verify: bool = True
) -> tuple[str, str, Reply]:
    """Invite a fresh marked address; (user id, email, reply)."""
    email = f"{run.unique('member')}@{PROBE_EMAIL_DOMAIN}"
    reply = run.caller.send(
        "PUT /group/invite", body={"groupId": group_id, "email": email, "roleId": role_id}
    )
    if (
        reply.status != 200
        or not isinstance(reply.body, dict)
        or not isinstance(reply.body.get("userId"), str)
    ):
        raise ProbeSkipped(f"could not invite a probe member: {reply.brief()}")
    user_id = str(reply.body["userId"])
    if verify:
        member = find_member(members(run, group_id)[0], user_id=user_id)
        role = member.get("role") if isinstance(member, dict) else None
        if not isinstance(role, dict) or role.get("id") != role_id:
            raise ProbeSkipped(f"the probe member it invited is not listed as {role_id} in GET /group/users")
    return user_id, email, reply


def create_probe_key(run: RunContext, group_id: str, *, verify: bool = True) -> tuple[dict[str, str], Reply]:
    """POST /group/apiKey of a fresh marked type; the body sent and the reply (ProbeSkipped unless 200)."""
    name = run.unique("key")
    body = {"groupId": group_id, "type": name, "token": f"token-of-{name}", "name": name}
    reply = run.caller.send("POST /group/apiKey", body=body)
    if reply.status != 200:
        raise ProbeSkipped(f"could not create a probe API key: {reply.brief()}")
    if verify:
        read = read_key(run.caller, group_id, name)
        if read.status != 200 or not isinstance(read.body, dict) or read.body.get("name") != name:
            raise ProbeSkipped(f"the probe API key it created cannot be read back: {read.brief()}")
    return body, reply


def delete_key(caller: Caller, group_id: str, kind: str, token: str | None = OWN_TOKEN) -> Reply:
    return caller.send("DELETE /group/apiKey", query={"groupId": group_id, "type": kind}, token=token)


def read_key(caller: Caller, group_id: str, kind: str) -> Reply:
    """An API key has no read operation; a PUT that sends no field to change reads it back."""
    return caller.send("PUT /group/apiKey", body={"groupId": group_id, "type": kind})


def members(run: RunContext, group_id: str) -> tuple[list[dict[str, Any]], list[str], int]:
    """GET /group/users walked to the end: (members, curl steps, first page status)."""
    listed = walk(run.caller, "GET /group/users", group_id, limit=MAX_LIMIT, max_pages=1000)
    if listed.status == 200 and (listed.problem is not None or listed.truncated):
        # pagination_is_complete reports a broken walk; a member missing from it proves nothing here
        raise ProbeSkipped(f"GET /group/users of group {group_id} cannot be walked to its end")
    found = [item for item in listed.items if isinstance(item, dict)]
    return found, listed.steps(), listed.status


def find_member(found: list[dict[str, Any]], *, user_id: str | None = None, email: str | None = None) -> Any:
    for item in found:
        if user_id is not None and item.get("id") == user_id:
            return item
        if email is not None and str(item.get("email", "")).lower() == email.lower():
            return item
    return None
