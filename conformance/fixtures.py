"""Fixtures discovered from the server, so that generated requests reach the success path of every operation:
before the engine starts, the run creates a marked group of its own (`gk-conform-<run id>-fixtures-N`),
invites a few marked members and adds a marked API key to it, and reads the roles its members hold.
Their ids become schemathesis dictionaries bound to the parameters that carry them (`groupId`, `userId`,
`roleId`, `type`), drawn now and then instead of a random string.

Random ids almost always answer 404, so without this PUT /group/user and DELETE /group/user (which need a
group, one of its members and a role that all exist) are reached only through rare stateful chains. The
fixture group is not the checks' sandbox: what the fuzzer does to it (renames, removals, new keys) never
touches what the probes stand on. A read-only run creates nothing and binds nothing.
"""

from __future__ import annotations

from typing import Any

import requests

from .context import ProbeSkipped, RunContext
from .sandbox import PROBE_EMAIL_DOMAIN, create_group, create_probe_key

MEMBERS = 4  # a DELETE /group/user that succeeds removes one; several keep the success path reachable
PROBABILITY = 0.5  # how often a bound parameter takes a discovered value rather than a generated one
BINDINGS = {  # dictionary -> the parameters it is bound to
    "groupkit-groups": ("query.groupId", "body.groupId"),
    "groupkit-members": ("query.userId", "body.userId"),
    "groupkit-roles": ("body.roleId",),
    "groupkit-key-types": ("query.type", "body.type"),
}


def discover(run: RunContext) -> dict[str, list[str]]:
    """The discovered values by dictionary name (empty when the run is read-only or the setup failed; a
    failed setup is noted, and the checks that guard those steps report the defect)."""
    if run.settings.read_only:
        return {}
    try:
        group_id = str(create_group(run, "fixtures")[1].body["id"])
        members = [_invite(run, group_id) for _ in range(MEMBERS)]
        key, _ = create_probe_key(run, group_id, verify=False)
        # the roles its members hold (GET /group/users): ones this server surely grants in that group
        listed = run.caller.send("GET /group/users", query={"groupId": group_id, "limit": 100})
    except ProbeSkipped as skipped:
        run.note(f"fixtures: {skipped}; generated requests use random ids only")
        return {}
    except requests.RequestException as error:
        run.note(
            f"fixtures: {type(error).__name__} while setting them up; generated requests use random ids only"
        )
        return {}
    held = [member.get("role") for member in listed.items() if isinstance(member, dict)]
    role_ids = sorted({str(role["id"]) for role in held if isinstance(role, dict) and "id" in role})
    found = {
        "groupkit-groups": [group_id],
        "groupkit-members": members,
        "groupkit-roles": role_ids,
        "groupkit-key-types": [key["type"]],
    }
    return {name: values for name, values in found.items() if values}


def _invite(run: RunContext, group_id: str) -> str:
    email = f"{run.unique('member')}@{PROBE_EMAIL_DOMAIN}"
    reply = run.caller.send(
        "PUT /group/invite", body={"groupId": group_id, "email": email, "roleId": "viewer"}
    )
    user_id = reply.body.get("userId") if isinstance(reply.body, dict) else None
    if reply.status != 200 or not isinstance(user_id, str):
        raise ProbeSkipped(f"could not invite a fixture member: {reply.brief()}")
    return user_id


def configuration(found: dict[str, list[str]]) -> dict[str, Any]:
    """The `dictionaries` and `parameters` entries of a schemathesis configuration that bind `found`."""
    return {
        "dictionaries": {name: {"values": values} for name, values in found.items()},
        "parameters": {
            parameter: {"dictionary": name, "probability": PROBABILITY}
            for name, values in found.items()
            for parameter in BINDINGS[name]
        },
    }
