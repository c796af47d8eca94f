"""The platform's built-in roles (public docs: account roles and permissions) and their permission strings.

The documentation names the roles but not their permission strings; the strings below are groupkit's
decision (docs/contract-decisions.md). A role's `rank` orders them: nobody grants a role above their own.
"""

from __future__ import annotations

from dataclasses import dataclass

READ = "group:read"
UPDATE = "group:update"
CREATE_SUBGROUP = "group:create"
INVITE = "member:invite"
UPDATE_MEMBER = "member:update"
REMOVE_MEMBER = "member:remove"
WRITE_KEYS = "apikey:write"
WRITE_DEVICES = "device:write"
MANAGE_SUBSCRIPTION = "subscription:manage"

ALL = (READ, UPDATE, CREATE_SUBGROUP, INVITE, UPDATE_MEMBER, REMOVE_MEMBER, WRITE_KEYS, WRITE_DEVICES)


@dataclass(frozen=True, slots=True)
class Role:
    id: str
    name: str
    description: str
    permissions: tuple[str, ...]
    rank: int

    def allows(self, permission: str) -> bool:
        return permission in self.permissions


SUBSCRIBER = Role(
    "subscriber",
    "Subscriber",
    "Holds the subscription contract; every permission, and cannot be removed from the group",
    (*ALL, MANAGE_SUBSCRIPTION),
    4,
)
ADMINISTRATOR = Role(
    "administrator",
    "Administrator",
    "Every permission except removing the Subscriber",
    ALL,
    3,
)
INSTALLER = Role(
    "installer",
    "Installer",
    "Can add, remove and edit device configurations",
    (READ, WRITE_DEVICES),
    2,
)
VIEWER = Role("viewer", "Viewer", "Read-only access to the group", (READ,), 1)

BUILT_IN: dict[str, Role] = {role.id: role for role in (SUBSCRIBER, ADMINISTRATOR, INSTALLER, VIEWER)}
