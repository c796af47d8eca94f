"""The mock's domain objects: the records a world is made of, what the store's verbs take and what they answer.

Records are frozen: a change is a new record put in place of the old one, so an object the store handed
out never changes under its holder. Nothing here knows a wire or file format (`groupkit.wire` and
`groupkit.world` do).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .roles import Role

# ----------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class User:
    """A person; without a `token` a pending invitee who cannot call the API yet."""

    id: str
    email: str
    first_name: str | None
    last_name: str | None
    created_at: str
    updated_at: str
    seen_at: str | None = None
    token: str | None = None

    @property
    def name(self) -> str | None:
        parts = [part for part in (self.first_name, self.last_name) if part]
        return " ".join(parts) or None


@dataclass(frozen=True, slots=True)
class Group:
    """A group; `parent` is its parent's id. `seq` is its place in creation order, which pagination walks:
    a storage detail, so not compared (a group reloaded from an export equals the one exported)."""

    id: str
    name: str | None
    description: str | None
    parent: str | None
    owner_id: str | None
    token: str
    tags: tuple[str, ...]
    default_role: str
    created_by: str | None
    updated_by: str | None
    created_at: str
    updated_at: str
    seq: int = field(compare=False)


@dataclass(frozen=True, slots=True)
class Membership:
    """A user's direct role in a group; `seq` orders the group's user list (a new one goes last), and is
    not compared, like a group's."""

    group_id: str
    user_id: str
    role_id: str
    seq: int = field(compare=False)


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A group's key for an external network; at most one per type (types compared case-insensitively)."""

    group_id: str
    name: str
    type: str
    token: str
    created_by: str | None = None
    updated_by: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Device:
    """A device of a group. The API only lists devices; they come from the world."""

    device_id: str
    group_id: str
    name: str
    type: str
    network: str
    original_id: str
    battery: str | None = None
    seen_at: int | None = None
    created_at: str
    updated_at: str
    created_by: str
    updated_by: str
    information: str | None = None
    configuration: str | None = None
    tags: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A connector or a notification of a group: the API only counts them."""

    id: str
    group_id: str
    name: str


# ----------------------------------------------------------------- what the verbs take and answer


@dataclass(frozen=True, slots=True)
class GroupChanges:
    """The fields `update_group` changes; None leaves a field as it is."""

    name: str | None = None
    description: str | None = None
    tags: tuple[str, ...] | None = None
    owner_id: str | None = None
    default_role: str | None = None
    parent_id: str | None = None


@dataclass(frozen=True, slots=True)
class GroupView:
    """A group as one user sees it: their effective role in it, and the sizes of its collections."""

    group: Group
    viewer_id: str
    role: Role
    device_count: int
    connector_count: int
    notification_count: int


@dataclass(frozen=True, slots=True)
class MembershipView:
    """A membership seen from the member's side: the group, the member and their direct role in it."""

    group: Group
    user_id: str
    role: Role


@dataclass(frozen=True, slots=True)
class Member:
    """One row of a group's user list: a direct member and their role there."""

    user: User
    role: Role


class Removal(Enum):
    """How a membership ended: the caller left, or removed someone else."""

    LEFT = "left"
    REMOVED = "removed"
