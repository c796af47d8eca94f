"""Thin adapters from the contract's operations to the store: one function per operationId.

`OPERATIONS` is the routing table `groupkit.app` binds to a store; a test checks it covers the contract.
Each handler takes the store, the caller's user id (`user`, from the security check) and the validated
parameters, calls one store method and turns its domain answer into the JSON body (`groupkit.wire`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import apikeys, groups, members, resources

OPERATIONS: dict[str, Callable[..., Any]] = {
    "listUserGroups": groups.list_user_groups,
    "getGroup": groups.get_group,
    "createGroup": groups.create_group,
    "updateGroup": groups.update_group,
    "createApiKey": apikeys.create_api_key,
    "updateApiKey": apikeys.update_api_key,
    "deleteApiKey": apikeys.delete_api_key,
    "inviteUser": members.invite_user,
    "updateMember": members.update_member,
    "removeMember": members.remove_member,
    "listGroupUsers": members.list_group_users,
    "listGroupDevices": resources.list_group_devices,
    "listRoles": resources.list_roles,
}
