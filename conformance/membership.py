"""Read-after-write checks for memberships: GET /group/users shows what invites, role changes and removals
answered 200 to.

Like the group and key checks, each verifies the fuzzer's own 200s (with one worker) and runs a probe once
per run in the sandbox group, with a freshly invited address at the reserved domain example.com.
"""

from __future__ import annotations

from typing import Any

from schemathesis.core.transport import Response

from .calls import AnyCase
from .context import ProbeSkipped, RunContext
from .failures import InviteeNotListed, RemovedMemberStillListed, RoleChangeNotListed
from .machinery import (
    SKIPPED,
    groupkit_check,
    is_documented_call,
    json_body,
    probe,
    sent_body,
    sent_query,
    verified_write,
)
from .sandbox import find_member, invite_probe_member, members, own_user_id, sandbox_group


def _role_of(member: Any) -> Any:
    role = member.get("role") if isinstance(member, dict) else None
    return role.get("id") if isinstance(role, dict) else None


@groupkit_check
def invited_member_is_listed(run: RunContext, response: Response, case: AnyCase) -> bool | None:
    if case.operation.label != "PUT /group/invite" or not is_documented_call(case):
        return SKIPPED
    if verified_write(run, response, "invited_member_is_listed"):
        relation = json_body(response)
        user_id = relation.get("userId") if isinstance(relation, dict) else None
        _verify_invitee(run, sent_body(case), user_id, [])
    if run.claim("invited_member_is_listed", "probe"):
        probe(run, lambda: _probe_invite(run))
    return None


def _verify_invitee(run: RunContext, body: dict[str, Any], user_id: Any, steps: list[str]) -> None:
    group_id, email, role_id = body.get("groupId"), body.get("email"), body.get("roleId")
    if not isinstance(group_id, str) or not isinstance(email, str):
        return
    found, walk_steps, status = members(run, group_id)
    member = find_member(found, email=email)
    problem = ""
    if member is None:
        problem = f"{email} is not among the {len(found)} members listed (first page {status})"
    elif isinstance(user_id, str) and member.get("id") != user_id:
        problem = (
            f"{email} is listed with id {member.get('id')!r}, but the invitation answered userId {user_id!r}"
        )
    elif isinstance(role_id, str) and _role_of(member) != role_id:
        problem = f"{email} is listed with role {_role_of(member)!r}; expected {role_id!r}"
    if problem:
        raise InviteeNotListed(
            operation="PUT /group/invite",
            detail=f"PUT /group/invite answered 200 for {email} in group {group_id}, then GET /group/users: "
            f"{problem}",
            steps=[*steps, *walk_steps],
        )


def _probe_invite(run: RunContext) -> None:
    group_id = sandbox_group(run)
    user_id, email, reply = invite_probe_member(
        run, group_id, "viewer", verify=False
    )  # verifying is the point
    _verify_invitee(run, {"groupId": group_id, "email": email, "roleId": "viewer"}, user_id, [reply.curl])


@groupkit_check
def updated_role_is_listed(run: RunContext, response: Response, case: AnyCase) -> bool | None:
    if case.operation.label != "PUT /group/user" or not is_documented_call(case):
        return SKIPPED
    if verified_write(run, response, "updated_role_is_listed"):
        _verify_role(run, sent_body(case), [])
    if run.claim("updated_role_is_listed", "probe"):
        probe(run, lambda: _probe_role_change(run))
    return None


def _verify_role(run: RunContext, body: dict[str, Any], steps: list[str]) -> None:
    group_id, user_id, role_id = body.get("groupId"), body.get("userId"), body.get("roleId")
    if not isinstance(group_id, str) or not isinstance(user_id, str) or not isinstance(role_id, str):
        return
    found, walk_steps, status = members(run, group_id)
    member = find_member(found, user_id=user_id)
    if member is None or _role_of(member) != role_id:
        seen = f"role {_role_of(member)!r}" if member is not None else f"not listed (first page {status})"
        raise RoleChangeNotListed(
            operation="PUT /group/user",
            detail=f"PUT /group/user answered 200 giving user {user_id} the role {role_id!r} in group {group_id}, "
            f"then GET /group/users shows them {seen}",
            steps=[*steps, *walk_steps],
        )


def _probe_role_change(run: RunContext) -> None:
    group_id = sandbox_group(run)
    user_id, _, invited = invite_probe_member(run, group_id, "viewer")
    body = {"groupId": group_id, "userId": user_id, "roleId": "installer"}
    reply = run.caller.send("PUT /group/user", body=body)
    if reply.status != 200:
        raise ProbeSkipped(f"the probe's own role change {reply.brief()}")
    _verify_role(run, body, [invited.curl, reply.curl])


@groupkit_check
def removed_member_is_gone(run: RunContext, response: Response, case: AnyCase) -> bool | None:
    if case.operation.label != "DELETE /group/user" or not is_documented_call(case):
        return SKIPPED
    group_id, user_id = sent_query(case, "groupId"), sent_query(case, "userId")
    if verified_write(run, response, "removed_member_is_gone") and isinstance(group_id, str):
        _verify_removed(run, group_id, user_id if isinstance(user_id, str) else own_user_id(run), [])
    if run.claim("removed_member_is_gone", "probe"):
        probe(run, lambda: _probe_removal(run))
    return None


def _verify_removed(run: RunContext, group_id: str, user_id: str, steps: list[str]) -> None:
    found, walk_steps, status = members(run, group_id)
    if status in (403, 404):
        return  # the caller left and no longer sees the group: the member is gone from their view
    if find_member(found, user_id=user_id) is not None:
        raise RemovedMemberStillListed(
            operation="DELETE /group/user",
            detail=f"DELETE /group/user answered 200 removing user {user_id} from group {group_id}, "
            "but GET /group/users still lists them",
            steps=[*steps, *walk_steps],
        )


def _probe_removal(run: RunContext) -> None:
    group_id = sandbox_group(run)
    user_id, _, invited = invite_probe_member(run, group_id, "viewer")
    removed = run.caller.send("DELETE /group/user", query={"groupId": group_id, "userId": user_id})
    if removed.status != 200:
        raise RemovedMemberStillListed(
            operation="DELETE /group/user",
            detail=f"removing the viewer {user_id} the probe just invited into its own group "
            f"{removed.brief()}; expected 200",
            steps=[invited.curl, removed.curl],
        )
    _verify_removed(run, group_id, user_id, [invited.curl, removed.curl])
