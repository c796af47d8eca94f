"""Read-after-write checks for groups and API keys: what a write answered 200 to is what later reads show.

Each check verifies every write the fuzzer got a 200 for (with one worker), and runs its own probe once
per run on resources the run creates in its sandbox group, so it works even when the fuzzer never
reaches a 200 (the usual case for ids generated at random) or the run includes a single operation.
API keys have no read operation: a PUT that sends only (groupId, type) changes nothing and answers the
stored key, which is how a key is read back here.
"""

from __future__ import annotations

from typing import Any

from schemathesis.core.transport import Response

from .calls import AnyCase
from .context import ProbeSkipped, RunContext
from .failures import CreatedGroupNotReadable, CreatedKeyNotStored, DeletedKeyStillPresent, WriteNotPersisted
from .lists import MAX_LIMIT, walk
from .machinery import (
    SKIPPED,
    differences,
    groupkit_check,
    is_documented_call,
    json_body,
    probe,
    reads_as_one_group,
    sent_body,
    sent_query,
    strings,
    verified_write,
)
from .sandbox import create_group, create_probe_key, delete_key, read_key, sandbox_group

LISTED_PER_RUN = 3  # generated creations also looked up in GET /user/groups (a full walk each)


# ----------------------------------------------------------------- groups


@groupkit_check
def created_group_is_readable(run: RunContext, response: Response, case: AnyCase) -> bool | None:
    if case.operation.label != "POST /group" or not is_documented_call(case):
        return SKIPPED
    created = json_body(response)
    if verified_write(run, response, "created_group_is_readable") and isinstance(created, dict):
        listed = run.take("created_group_is_readable:listed", LISTED_PER_RUN)
        _verify_created_group(run, created, sent_body(case), sent_query(case, "parentId"), [], listed)
    if run.claim("created_group_is_readable", "probe"):
        probe(run, lambda: _probe_created_group(run))
    return None


def _probe_created_group(run: RunContext) -> None:
    sent, reply = create_group(run, "created")
    _verify_created_group(run, reply.body, sent, None, [reply.curl], listed=True)
    parent_id = reply.body["id"]
    sent, child = create_group(run, "child", parent_id=parent_id)
    _verify_created_group(run, child.body, sent, parent_id, [child.curl], listed=True)


def _verify_created_group(
    run: RunContext,
    created: dict[str, Any],
    sent: dict[str, Any],
    parent_id: Any,
    steps: list[str],
    listed: bool,
) -> None:
    group_id = created.get("id")
    if not isinstance(group_id, str):
        return  # response_schema_conformance reports a Group without an id
    expected = strings(sent, "name", "description")
    wrong = differences(expected, created)
    if wrong:
        raise CreatedGroupNotReadable(
            operation="POST /group",
            detail=f"POST /group answered 200 for group {group_id}, but not with what was sent: {'; '.join(wrong)}",
            steps=steps,
        )
    if isinstance(parent_id, str):
        expected["parent"] = parent_id
    read = run.caller.send("GET /group", query={"groupId": group_id})
    group = reads_as_one_group(read.body) if read.status == 200 else None
    wrong = differences(expected, group) if group is not None else []
    if group is None or wrong:
        seen = "; ".join(wrong) if group is not None else "not a one-element array of Group"
        raise CreatedGroupNotReadable(
            operation="POST /group",
            detail=f"POST /group created group {group_id}, then {read.brief()} ({seen or read.text[:200]}); "
            f"expected 200 with the group as sent ({expected})",
            steps=[*steps, read.curl],
        )
    if not listed:
        return
    groups = walk(run.caller, "GET /user/groups", None, limit=MAX_LIMIT, max_pages=1000)
    if groups.status == 200 and (groups.problem is not None or groups.truncated):
        raise ProbeSkipped("GET /user/groups cannot be walked to its end")  # pagination_is_complete's job
    entry = next((g for g in groups.items if isinstance(g, dict) and g.get("id") == group_id), None)
    wrong = differences(expected, entry) if entry is not None else []
    if entry is None or wrong:
        seen = "; ".join(wrong) if entry else f"{len(groups.items)} groups listed, not this one"
        raise CreatedGroupNotReadable(
            operation="POST /group",
            detail=f"POST /group created group {group_id}, but GET /user/groups (walked to the end, first page "
            f"{groups.status}) does not list it as sent: {seen}",
            steps=[*steps, *groups.steps()],
        )


@groupkit_check
def update_is_persisted(run: RunContext, response: Response, case: AnyCase) -> bool | None:
    label = case.operation.label
    if label not in ("PUT /group", "PUT /group/apiKey") or not is_documented_call(case):
        return SKIPPED
    verify = _verify_group_update if label == "PUT /group" else _verify_key_update
    if verified_write(run, response, "update_is_persisted"):
        verify(run, sent_body(case), [])
    if run.claim("update_is_persisted", label):
        probe(run, lambda: _probe_group_update(run) if label == "PUT /group" else _probe_key_update(run))
    return None


def _group_changes(body: dict[str, Any]) -> dict[str, Any]:
    """What a read must show after PUT /group: the sent fields (`roleId` is the group's `defaultRole`)."""
    expected = strings(body, "name", "description", "ownerId", "parent")
    if isinstance(body.get("roleId"), str):
        expected["defaultRole"] = body["roleId"]
    return expected


def _verify_group_update(run: RunContext, body: dict[str, Any], steps: list[str]) -> None:
    group_id = body.get("groupId")
    expected = _group_changes(body)
    if not isinstance(group_id, str) or not expected:
        return
    read = run.caller.send("GET /group", query={"groupId": group_id})
    group = reads_as_one_group(read.body) if read.status == 200 else None
    wrong = differences(expected, group) if group is not None else ["no group in the answer"]
    if wrong:
        raise WriteNotPersisted(
            operation="PUT /group",
            detail=f"PUT /group answered 200 for group {group_id}, then {read.brief()}: {'; '.join(wrong)}",
            steps=[*steps, read.curl],
        )


def _probe_group_update(run: RunContext) -> None:
    group_id = sandbox_group(run)
    first = {"groupId": group_id, "name": run.unique("renamed"), "description": "updated by groupkit"}
    reply = _update(run, "PUT /group", first)
    _verify_group_update(run, first, [reply.curl])
    second = {"groupId": group_id, "description": run.unique("description"), "roleId": "installer"}
    reply = _update(run, "PUT /group", second)
    # only the fields sent change: the name of the first update stays
    _verify_group_update(run, {**second, "name": first["name"]}, [reply.curl])


def _update(run: RunContext, label: str, body: dict[str, Any]) -> Any:
    reply = run.caller.send(label, body=body)
    if reply.status != 200:
        raise ProbeSkipped(f"the probe's own {label} answered {reply.status}")
    return reply


# ----------------------------------------------------------------- API keys


def _verify_key_update(run: RunContext, body: dict[str, Any], steps: list[str]) -> None:
    group_id, kind = body.get("groupId"), body.get("type")
    expected = strings(body, "name", "token")
    if not isinstance(group_id, str) or not isinstance(kind, str) or not expected:
        return
    read = read_key(run.caller, group_id, kind)
    wrong = differences(expected, read.body if isinstance(read.body, dict) else None)
    if read.status != 200 or wrong:
        raise WriteNotPersisted(
            operation="PUT /group/apiKey",
            detail=f"PUT /group/apiKey answered 200 for key ({group_id}, {kind}), then reading it back "
            f"{read.brief()}: {'; '.join(wrong)}",
            steps=[*steps, read.curl],
        )


def _probe_key_update(run: RunContext) -> None:
    body, created = create_probe_key(run, sandbox_group(run))
    first = {**body, "name": run.unique("key-renamed"), "token": run.unique("rotated-token")}
    reply = _update(run, "PUT /group/apiKey", first)
    _verify_key_update(run, first, [created.curl, reply.curl])
    second = {"groupId": body["groupId"], "type": body["type"], "name": run.unique("key-renamed")}
    reply = _update(run, "PUT /group/apiKey", second)
    _verify_key_update(run, {**second, "token": first["token"]}, [reply.curl])  # the token stays
    delete_key(run.caller, body["groupId"], body["type"])


@groupkit_check
def created_key_is_stored(run: RunContext, response: Response, case: AnyCase) -> bool | None:
    if case.operation.label != "POST /group/apiKey" or not is_documented_call(case):
        return SKIPPED
    if verified_write(run, response, "created_key_is_stored"):
        _verify_created_key(run, sent_body(case), [])
    if run.claim("created_key_is_stored", "probe"):
        probe(run, lambda: _probe_created_key(run))
    return None


def _verify_created_key(run: RunContext, body: dict[str, Any], steps: list[str]) -> None:
    group_id, kind = body.get("groupId"), body.get("type")
    if not isinstance(group_id, str) or not isinstance(kind, str):
        return
    read = read_key(run.caller, group_id, kind)
    expected = strings(body, "name", "token")
    wrong = differences(expected, read.body if isinstance(read.body, dict) else None)
    if read.status != 200 or wrong:
        raise CreatedKeyNotStored(
            operation="POST /group/apiKey",
            detail=f"POST /group/apiKey answered 200 for key ({group_id}, {kind}), then reading it back "
            f"{read.brief()}: {'; '.join(wrong) or read.text[:200]}; expected 200 with the key as sent",
            steps=[*steps, read.curl],
        )


def _probe_created_key(run: RunContext) -> None:
    body, created = create_probe_key(run, sandbox_group(run), verify=False)  # verifying it is the point
    _verify_created_key(run, body, [created.curl])
    again = run.caller.send("POST /group/apiKey", body={**body, "name": run.unique("key-again")})
    delete_key(run.caller, body["groupId"], body["type"])
    if again.status != 409:
        raise CreatedKeyNotStored(
            operation="POST /group/apiKey",
            detail=f"a second key of the type ({body['groupId']}, {body['type']}) already holds: "
            f"{again.brief()}; expected 409 (one key per type)",
            steps=[created.curl, again.curl],
        )


@groupkit_check
def deleted_key_stays_deleted(run: RunContext, response: Response, case: AnyCase) -> bool | None:
    if case.operation.label != "DELETE /group/apiKey" or not is_documented_call(case):
        return SKIPPED
    group_id, kind = sent_query(case, "groupId"), sent_query(case, "type")
    if verified_write(run, response, "deleted_key_stays_deleted") and isinstance(kind, str):
        _verify_deleted_key(run, str(group_id), kind, [])
    if run.claim("deleted_key_stays_deleted", "probe"):
        probe(run, lambda: _probe_deleted_key(run))
    return None


def _verify_deleted_key(run: RunContext, group_id: str, kind: str, steps: list[str]) -> None:
    read = read_key(run.caller, group_id, kind)
    again = delete_key(run.caller, group_id, kind)
    recreate = {
        "groupId": group_id,
        "type": kind,
        "token": run.unique("token"),
        "name": run.unique("recreated"),
    }
    created = run.caller.send("POST /group/apiKey", body=recreate)
    if created.status == 200:
        delete_key(run.caller, group_id, kind)  # leave it deleted, as the run found it
    wrong = [
        f"{reply.brief()} (expected {expected})"
        for reply, expected in ((read, 404), (again, 404), (created, 200))
        if reply.status != expected
    ]
    if wrong:
        raise DeletedKeyStillPresent(
            operation="DELETE /group/apiKey",
            detail=f"DELETE /group/apiKey answered 200 for key ({group_id}, {kind}), then: {'; '.join(wrong)}; "
            "expected the key gone (PUT and DELETE 404) and its type free again (POST 200)",
            steps=[*steps, read.curl, again.curl, created.curl],
        )


def _probe_deleted_key(run: RunContext) -> None:
    body, created = create_probe_key(run, sandbox_group(run))
    deleted = delete_key(run.caller, body["groupId"], body["type"])
    if deleted.status != 200:
        raise DeletedKeyStillPresent(
            operation="DELETE /group/apiKey",
            detail=f"deleting the key ({body['groupId']}, {body['type']}) the probe just created "
            f"{deleted.brief()}; expected 200",
            steps=[created.curl, deleted.curl],
        )
    _verify_deleted_key(run, body["groupId"], body["type"], [created.curl, deleted.curl])
