"""Frame checks: `neighbours_are_unchanged`, after each successful write what the write did not target (the
group's other API keys, its other members, the groups around it) reads back as it was before the write.

Cheap by design: a frame (`frames.py`) is the neighbourhood of the target only, taken by a `before_call` hook
just before a generated write and again by an `after_call` hook right after it, so no other check's follow-up
can land in between. Generated writes are framed with one worker, within a budget per operation, and only on a
group the token sees or the run made; once per operation the check also runs its own probe in the sandbox (a
target and a sibling of each kind, the write, the comparison).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import schemathesis
from schemathesis.core import NOT_SET
from schemathesis.core.transport import Response

from .calls import AnyCase
from .context import ProbeSkipped, RunContext, context_for
from .failures import GroupkitFailure
from .frames import GROUP_WRITES, WRITES, Target, changes, snapshot
from .machinery import SKIPPED, groupkit_check, is_documented_call, probe, sent_own_token
from .sandbox import (
    PROBE_EMAIL_DOMAIN,
    create_group,
    create_probe_key,
    delete_key,
    invite_probe_member,
    own_user_id,
    sandbox_group,
    visible_groups,
)

CHECK = "neighbours_are_unchanged"
FRAMED_PER_OPERATION = 5  # generated writes framed per operation and run (each frame costs 2-8 requests)
KEYS_PER_GROUP = 5  # the most recent API keys the run knows of in a group, read in a frame


class NeighbourChanged(GroupkitFailure):
    """A write answered 200 and something it did not target changed with it (collateral damage)."""

    code = "GK701"
    kind_title = "A write changed what it did not target"


# ----------------------------------------------------------------- the keys a run knows of


def known_keys(run: RunContext, group_id: str) -> list[str]:
    keys: dict[str, dict[str, None]] = run.memo("frames-known-keys", dict)
    with _keys_lock:
        return list(keys.get(group_id, {}))[-KEYS_PER_GROUP:]


def _learn_key(run: RunContext, group_id: Any, kind: Any, present: bool) -> None:
    if not isinstance(group_id, str) or not isinstance(kind, str):
        return
    keys: dict[str, dict[str, None]] = run.memo("frames-known-keys", dict)
    with _keys_lock:
        types = keys.setdefault(group_id, {})
        types.pop(kind, None)
        if present:
            types[kind] = None


_keys_lock = threading.Lock()


# ----------------------------------------------------------------- framing generated writes


def target_of(run: RunContext, label: str, case: AnyCase) -> Target | None:
    """The target of a generated write, or None when it has no group to frame (a top-level creation, the
    caller leaving)."""
    body = case.body if isinstance(case.body, dict) else {}
    query = case.query or {}
    if label == "POST /group":
        parent = query.get("parentId")
        return Target(parent) if isinstance(parent, str) else None
    group_id = body.get("groupId") if label.startswith("PUT ") else query.get("groupId")
    if not isinstance(group_id, str):
        return None
    if label.endswith("/apiKey"):
        kind = body.get("type") if label.startswith(("POST", "PUT")) else query.get("type")
        return Target(group_id, key=kind if isinstance(kind, str) else None)
    if label in ("PUT /group/user", "DELETE /group/user"):
        member = body.get("userId") if label.startswith("PUT") else query.get("userId")
        if not isinstance(member, str) or member == own_user_id(run):  # the caller's own membership
            return (
                None if label.startswith("DELETE") else Target(group_id, member=str(member), groups_too=False)
            )
        return Target(group_id, member=member)
    return Target(group_id)


_pending = threading.local()


@schemathesis.hook("before_call")
def frame_before_write(context: schemathesis.HookContext, case: AnyCase, kwargs: dict[str, Any]) -> None:
    run = context_for(case.operation.schema)
    label = case.operation.label
    if run is None or case.meta is None or label not in WRITES or run.settings.read_only:
        return  # only generated writes: the checks' own follow-ups are built cases without meta
    if case.method.upper() != case.operation.method.upper() or not case.meta.generation.mode.is_positive:
        return
    try:
        target = target_of(run, label, case)
        if target is None or not _framed(run, target.group_id):
            return
        if run.settings.workers > 1 or not run.take((CHECK, label), FRAMED_PER_OPERATION):
            return
        before = snapshot(
            run.caller, target.group_id, known_keys(run, target.group_id), groups=label in GROUP_WRITES
        )
    except ProbeSkipped:
        return
    _pending.frame = (case, target, before)


def _framed(run: RunContext, group_id: str) -> bool:
    """Whether a group is worth a frame: the token sees it, or the run made it."""
    if f"group:{group_id}" in run.created:
        return True
    return any(group["id"] == group_id for group in visible_groups(run))


@schemathesis.hook("after_call")
def frame_after_write(context: schemathesis.HookContext, case: AnyCase, response: Response) -> None:
    run = context_for(case.operation.schema)
    if run is None or case.method.upper() != case.operation.method.upper():
        return
    label = case.operation.label
    if response.status_code == 200 and label in ("POST /group/apiKey", "PUT /group/apiKey"):
        body = case.body if isinstance(case.body, dict) else {}
        _learn_key(run, body.get("groupId"), body.get("type"), True)
    elif response.status_code == 200 and label == "DELETE /group/apiKey":
        query = case.query or {}
        _learn_key(run, query.get("groupId"), query.get("type"), False)
    pending = getattr(_pending, "frame", None)
    if pending is None or pending[0] is not case:
        return
    _pending.frame = None
    _, target, before = pending
    if response.status_code != 200 or not sent_own_token(run, response):
        return
    after = snapshot(
        run.caller, target.group_id, before.keys, only=before.groups, groups=label in GROUP_WRITES
    )
    found = changes(before, after, target)
    _verdicts.last = (response, found, [*before.steps, *after.steps])


_verdicts = threading.local()


@groupkit_check
def neighbours_are_unchanged(run: RunContext, response: Response, case: AnyCase) -> bool | None:
    label = case.operation.label
    if label not in WRITES or not is_documented_call(case):
        return SKIPPED
    verdict = getattr(_verdicts, "last", None)
    if verdict is not None and verdict[0] is response:
        _verdicts.last = None
        if verdict[1]:
            raise NeighbourChanged(
                operation=label,
                detail=f"{label} answered 200, and what it did not target changed with it: "
                + "; ".join(verdict[1][:5]),
                steps=verdict[2][-6:],
            )
    if not run.settings.read_only and run.claim(CHECK, label):
        probe(run, lambda: PROBES[label](run, label))
    return None


# ----------------------------------------------------------------- probes: a target and a sibling of each kind


def _pair(run: RunContext) -> tuple[str, str]:
    """Two sibling groups of the sandbox (made once per run): the probes write to the first."""

    def compute() -> tuple[str, str]:
        parent = sandbox_group(run)
        first = create_group(run, "frame-target", parent_id=parent)[1].body["id"]
        second = create_group(run, "frame-sibling", parent_id=parent)[1].body["id"]
        return str(first), str(second)

    return run.memo("frames-pair", compute)


def _framed_write(
    run: RunContext,
    label: str,
    target: Target,
    keys: list[str],
    query: dict[str, Any] | None = None,
    body: Any = None,
) -> None:
    """Frame `target`'s group, send `label` (the probe's own write), and compare."""
    group_id = target.group_id
    with_groups = label in GROUP_WRITES
    before = snapshot(run.caller, group_id, keys, groups=with_groups)
    if (with_groups and not before.groups) or before.members is None:
        raise ProbeSkipped(f"the frame of its sandbox group {group_id} cannot be read")
    reply = run.caller.send(label, query=query, body=body if body is not None else NOT_SET)
    if reply.status != 200:
        raise ProbeSkipped(f"the probe's own {reply.brief()}")
    after = snapshot(run.caller, group_id, keys, only=before.groups, groups=with_groups)
    found = changes(before, after, target)
    if found:
        raise NeighbourChanged(
            operation=label,
            detail=f"{reply.brief()} in the run's sandbox, and what it did not target changed with it: "
            + "; ".join(found[:5]),
            steps=[reply.curl, *after.steps],
        )


def _probe_group_write(run: RunContext, label: str) -> None:
    first, _ = _pair(run)
    if label == "PUT /group":
        body = {"groupId": first, "description": run.unique("frame-description")}
        _framed_write(run, label, Target(first), [], body=body)
    else:
        body = {"name": run.unique("frame-child"), "description": "groupkit frame probe"}
        _framed_write(run, label, Target(first), [], query={"parentId": first}, body=body)


def _probe_key_write(run: RunContext, label: str) -> None:
    first, _ = _pair(run)
    kinds = [create_probe_key(run, first)[0]["type"] for _ in range(1 if label.startswith("POST") else 2)]
    try:
        if label == "POST /group/apiKey":
            kind = run.unique("key")
            kinds.append(kind)
            body = {"groupId": first, "type": kind, "token": f"token-of-{kind}", "name": kind}
            _framed_write(run, label, Target(first, key=kind), kinds, body=body)
        elif label == "PUT /group/apiKey":
            body = {"groupId": first, "type": kinds[0], "name": run.unique("key-renamed")}
            _framed_write(run, label, Target(first, key=kinds[0]), kinds, body=body)
        else:
            query = {"groupId": first, "type": kinds[0]}
            _framed_write(run, label, Target(first, key=kinds[0]), kinds, query=query)
    finally:
        for kind in kinds:
            delete_key(run.caller, first, kind)


def _probe_member_write(run: RunContext, label: str) -> None:
    first, _ = _pair(run)
    user_id = invite_probe_member(run, first, "viewer")[0]
    invite_probe_member(run, first, "viewer")  # a sibling member
    target = Target(first, member=user_id)
    if label == "PUT /group/invite":
        email = f"{run.unique('member')}@{PROBE_EMAIL_DOMAIN}"
        _framed_write(run, label, target, [], body={"groupId": first, "email": email, "roleId": "viewer"})
    elif label == "PUT /group/user":
        _framed_write(
            run, label, target, [], body={"groupId": first, "userId": user_id, "roleId": "installer"}
        )
    else:
        _framed_write(run, label, target, [], query={"groupId": first, "userId": user_id})


PROBES: dict[str, Callable[[RunContext, str], None]] = {
    "POST /group": _probe_group_write,
    "PUT /group": _probe_group_write,
    "POST /group/apiKey": _probe_key_write,
    "PUT /group/apiKey": _probe_key_write,
    "DELETE /group/apiKey": _probe_key_write,
    "PUT /group/invite": _probe_member_write,
    "PUT /group/user": _probe_member_write,
    "DELETE /group/user": _probe_member_write,
}
