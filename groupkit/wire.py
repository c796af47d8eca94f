"""The contract's wire format for the mock's answers: domain objects to the camelCase JSON bodies of
`openapi.yaml` (and the one request body that becomes a domain object, `UpdateGroupInput`).

The only module that knows the contract's response field names. Unset optional fields are left out: the
contract's optional strings are not nullable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .model import ApiKey, Device, GroupChanges, GroupView, Member, MembershipView, Removal
from .pagination import Page
from .roles import ADMINISTRATOR, Role

JSON = dict[str, Any]
T = TypeVar("T")

REMOVALS = {Removal.LEFT: "You left the group", Removal.REMOVED: "User removed from the group"}
KEY_DELETED = "API key deleted"


def _compact(data: JSON) -> JSON:
    return {key: value for key, value in data.items() if value is not None}


def page(page: Page[T], item: Callable[[T], JSON]) -> JSON:
    """A list's page: `items` and `nextToken` (absent on the last page)."""
    body: JSON = {"items": [item(x) for x in page.items]}
    if page.next_token is not None:
        body["nextToken"] = page.next_token
    return body


def message(text: str) -> JSON:
    return {"message": text}


def role(role: Role) -> JSON:
    return {
        "id": role.id,
        "name": role.name,
        "description": role.description,
        "permissions": list(role.permissions),
        "removable": False,
    }


def group(view: GroupView) -> JSON:
    """A `Group` as the caller sees it: `userId` is the caller, `role` their effective role."""
    g = view.group
    return _compact(
        {
            "id": g.id,
            "userId": view.viewer_id,
            "name": g.name,
            "description": g.description,
            "token": g.token,
            "administratorRole": ADMINISTRATOR.id,
            "defaultRole": g.default_role,
            "createdAt": g.created_at,
            "updatedAt": g.updated_at,
            "createdBy": g.created_by,
            "updatedBy": g.updated_by,
            "parent": g.parent,
            "role": role(view.role),
            "ownerId": g.owner_id,
            "numberOfDevices": view.device_count,
            "numberOfNotifications": view.notification_count,
            "numberOfConnectors": view.connector_count,
        }
    )


def relation(view: MembershipView) -> JSON:
    """A `GroupUserRelation`: the group's id, token, name and description, the member and their role."""
    g = view.group
    return _compact(
        {
            "id": g.id,
            "userId": view.user_id,
            "role": role(view.role),
            "token": g.token,
            "description": g.description,
            "name": g.name,
        }
    )


def member(member: Member) -> JSON:
    """A `PublicUser`: one row of a group's user list, with the member's role in the group."""
    user = member.user
    return _compact(
        {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "seenAt": user.seen_at,
            "firstName": user.first_name,
            "lastName": user.last_name,
            "createdAt": user.created_at,
            "updatedAt": user.updated_at,
            "role": role(member.role),
        }
    )


def api_key(key: ApiKey) -> JSON:
    """An `ExternalApiKey`."""
    return _compact(
        {
            "groupId": key.group_id,
            "name": key.name,
            "type": key.type,
            "token": key.token,
            "createdBy": key.created_by,
            "updatedBy": key.updated_by,
            "createdAt": key.created_at,
            "updatedAt": key.updated_at,
        }
    )


def device(device: Device) -> JSON:
    """A `Device`."""
    return _compact(
        {
            "deviceId": device.device_id,
            "groupId": device.group_id,
            "name": device.name,
            "type": device.type,
            "network": device.network,
            "originalId": device.original_id,
            "battery": device.battery,
            "seenAt": device.seen_at,
            "createdAt": device.created_at,
            "updatedAt": device.updated_at,
            "createdBy": device.created_by,
            "updatedBy": device.updated_by,
            "information": device.information,
            "configuration": device.configuration,
            "tags": None if device.tags is None else list(device.tags),
        }
    )


def group_changes(body: JSON) -> GroupChanges:
    """The changes an `UpdateGroupInput` asks for (its `groupId` names the group, not a change)."""
    tags = body.get("tags")
    return GroupChanges(
        name=body.get("name"),
        description=body.get("description"),
        tags=None if tags is None else tuple(tags),
        owner_id=body.get("ownerId"),
        default_role=body.get("roleId"),
        parent_id=body.get("parent"),
    )
