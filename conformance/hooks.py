"""schemathesis hooks that make a run's writes traceable on a shared server.

`before_call` prefixes the `name` of what a run creates or renames (POST /group, PUT /group, POST and
PUT /group/apiKey) with the run's marker `gk-conform-<run id>-`, and gives an unnamed new group a marked
name, so a run's leftovers can be found and cleaned. It runs for every request a case sends (all phases,
the checks' follow-ups too); it only touches string names, so a negative case stays negative.
`after_call` keeps the ledger of what the run created, removed or changed, for the report.

`before_call` only exists as a global hook; both hooks do nothing for a schema without a groupkit run.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.core.transport import Response

from .calls import AnyCase
from .context import MARKER, context_for

NAMED = frozenset({"POST /group", "PUT /group", "POST /group/apiKey", "PUT /group/apiKey"})


@schemathesis.hook("before_call")
def mark_written_names(context: schemathesis.HookContext, case: AnyCase, kwargs: dict[str, Any]) -> None:
    run = context_for(case.operation.schema)
    label = case.operation.label
    if run is None or label not in NAMED or case.method.upper() != case.operation.method.upper():
        return
    body = case.body
    if not isinstance(body, dict):
        return
    name = body.get("name")
    if isinstance(name, str) and not name.startswith(MARKER):
        case.body = {**body, "name": run.prefix + name}
    elif "name" not in body and label == "POST /group":
        case.body = {**body, "name": run.prefix + "group"}


@schemathesis.hook("after_call")
def keep_ledger(context: schemathesis.HookContext, case: AnyCase, response: Response) -> None:
    run = context_for(case.operation.schema)
    if run is None or response.status_code != 200 or case.method.upper() != case.operation.method.upper():
        return
    try:
        answer = response.json()
    except Exception:
        answer = None
    answer = answer if isinstance(answer, dict) else {}
    sent = case.body if isinstance(case.body, dict) else {}
    query = case.query or {}
    label = case.operation.label
    if label == "POST /group" and "id" in answer:
        parent = f" under {query['parentId']}" if query.get("parentId") else ""
        run.record_created(f"group:{answer['id']}", f"group {answer['id']} {answer.get('name')!r}{parent}")
    elif label == "PUT /group" and f"group:{sent.get('groupId')}" not in run.created:
        changed = ", ".join(f"{key}={value!r}" for key, value in sent.items() if key != "groupId")
        run.record_created(
            f"update:{sent.get('groupId')}",
            f"PUT /group answered 200 for group {sent.get('groupId')!r}, which this run did not create; "
            f"it sent {changed or 'no field to change'}",
        )
    elif label == "POST /group/apiKey":
        key = f"key:{answer.get('groupId')}:{str(answer.get('type')).lower()}"
        run.record_created(key, f"API key (groupId {answer.get('groupId')}, type {answer.get('type')!r})")
    elif label == "DELETE /group/apiKey":
        run.record_removed(f"key:{query.get('groupId')}:{str(query.get('type')).lower()}")
    elif label == "PUT /group/invite":
        member = f"member:{answer.get('id')}:{answer.get('userId')}"
        run.record_created(
            member, f"invitation of {sent.get('email')} to group {answer.get('id')} as {sent.get('roleId')}"
        )
    elif label == "DELETE /group/user":
        run.record_removed(f"member:{query.get('groupId')}:{query.get('userId')}")
