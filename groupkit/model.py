"""The mock's domain objects and their one serialisation to the contract's camelCase JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .pagination import OrderedIndex
from .roles import Role

JSON = dict[str, Any]


def _compact(data: JSON) -> JSON:
    """Drop unset optional fields: the contract's optional strings are not nullable."""
    return {key: value for key, value in data.items() if value is not None}


@dataclass(slots=True)
class User:
    id: str
    email: str
    first_name: str | None
    last_name: str | None
    created_at: str
    updated_at: str
    seq: int
    seen_at: str | None = None
    token: str | None = None

    @property
    def name(self) -> str | None:
        parts = [part for part in (self.first_name, self.last_name) if part]
        return " ".join(parts) or None

    def to_public(self, role: Role) -> JSON:
        return _compact(
            {
                "id": self.id,
                "email": self.email,
                "name": self.name,
                "seenAt": self.seen_at,
                "firstName": self.first_name,
                "lastName": self.last_name,
                "createdAt": self.created_at,
                "updatedAt": self.updated_at,
                "role": role.to_json(),
            }
        )

    def to_world(self) -> JSON:
        return _compact(
            {
                "id": self.id,
                "email": self.email,
                "firstName": self.first_name,
                "lastName": self.last_name,
                "createdAt": self.created_at,
                "updatedAt": self.updated_at,
                "seenAt": self.seen_at,
                "token": self.token,
            }
        )


@dataclass(slots=True)
class Membership:
    group_id: str
    user_id: str
    role_id: str
    seq: int


@dataclass(slots=True)
class ApiKey:
    group_id: str
    type: str
    name: str
    token: str
    created_by: str | None
    updated_by: str | None
    created_at: str | None
    updated_at: str | None

    def to_json(self) -> JSON:
        return _compact(
            {
                "groupId": self.group_id,
                "name": self.name,
                "type": self.type,
                "token": self.token,
                "createdBy": self.created_by,
                "updatedBy": self.updated_by,
                "createdAt": self.created_at,
                "updatedAt": self.updated_at,
            }
        )


@dataclass(slots=True)
class Group:
    id: str
    name: str | None
    description: str | None
    parent: str | None
    owner_id: str | None
    token: str
    tags: list[str]
    default_role: str
    created_by: str | None
    updated_by: str | None
    created_at: str
    updated_at: str
    seq: int
    children: set[str] = field(default_factory=set)
    members: OrderedIndex[Membership] = field(default_factory=OrderedIndex)
    member_seq: dict[str, int] = field(default_factory=dict)
    devices: OrderedIndex[JSON] = field(default_factory=OrderedIndex)
    api_keys: dict[str, ApiKey] = field(default_factory=dict)
    connectors: list[JSON] = field(default_factory=list)
    notifications: list[JSON] = field(default_factory=list)

    def to_json(self, viewer_id: str, role: Role) -> JSON:
        return _compact(
            {
                "id": self.id,
                "userId": viewer_id,
                "name": self.name,
                "description": self.description,
                "token": self.token,
                "administratorRole": "administrator",
                "defaultRole": self.default_role,
                "createdAt": self.created_at,
                "updatedAt": self.updated_at,
                "createdBy": self.created_by,
                "updatedBy": self.updated_by,
                "parent": self.parent,
                "role": role.to_json(),
                "ownerId": self.owner_id,
                "numberOfDevices": len(self.devices),
                "numberOfNotifications": len(self.notifications),
                "numberOfConnectors": len(self.connectors),
            }
        )

    def to_relation(self, user_id: str, role: Role) -> JSON:
        return _compact(
            {
                "id": self.id,
                "userId": user_id,
                "role": role.to_json(),
                "token": self.token,
                "description": self.description,
                "name": self.name,
            }
        )

    def to_world(self) -> JSON:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "parent": self.parent,
            "ownerId": self.owner_id,
            "token": self.token,
            "tags": list(self.tags),
            "defaultRole": self.default_role,
            "createdBy": self.created_by,
            "updatedBy": self.updated_by,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }
