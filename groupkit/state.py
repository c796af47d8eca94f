"""The data of one world, kept in memory: records by id, the indexes they are looked up by, and the lists
in creation order that the API pages through. No domain rules: it stores, finds and pages what it is told.

Every list item gets a state-wide, ever-increasing sequence number (`next_seq`) when it is created; a
list's order is the order of those numbers (see `groupkit.pagination`), and the state's `cursors` seal
the `nextToken`s that point into them. A world read back from a state file gives its items the numbers
they had (the `seq` arguments), so cursors issued before a restart still work. Users and groups are never
deleted, so their dicts' insertion order is their creation order.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping

from .model import ApiKey, Attachment, Device, Group, Membership, User
from .pagination import Cursors, OrderedIndex, Page

_NO_MEMBERSHIPS: Mapping[str, Membership] = {}


class State:
    """Users, groups, memberships, devices, API keys, connectors and notifications of one world."""

    def __init__(self, cursors: Cursors | None = None) -> None:
        self.cursors = cursors if cursors is not None else Cursors()
        self._next_seq = 1
        self._users: dict[str, User] = {}
        self._by_email: dict[str, User] = {}  # lower-cased email -> user
        self._by_token: dict[str, User] = {}
        self._groups: dict[str, Group] = {}
        self._children: dict[str, set[str]] = {}  # group id -> ids of the groups whose parent it is
        self._members: dict[str, OrderedIndex[Membership]] = {}  # group id -> memberships, joining order
        self._memberships_of: dict[str, dict[str, Membership]] = {}  # user id -> group id -> membership
        self._devices: dict[str, OrderedIndex[Device]] = {}  # group id -> devices, creation order
        self._device_ids: set[str] = set()
        self._api_keys: dict[str, dict[str, ApiKey]] = {}  # group id -> lower-cased type -> key
        self._connectors: dict[str, list[Attachment]] = {}
        self._notifications: dict[str, list[Attachment]] = {}
        self.clients: list[dict[str, str]] = []  # the world's OAuth2 clients, kept for its export (signin.py)
        # What a user's visible groups depend on (groupkit.access caches them under it): the tree, changed by
        # a new or moved group, and the user's own memberships.
        self._tree_version = 0
        self._membership_versions: dict[str, int] = {}

    def next_seq(self) -> int:
        seq = self._next_seq
        self._next_seq += 1
        return seq

    @property
    def seq_counter(self) -> int:
        """The number `next_seq` gives next."""
        return self._next_seq

    def continue_seqs_from(self, seq: int) -> None:
        """Make `next_seq` continue from `seq` (a world read back with its items' numbers)."""
        if seq < self._next_seq:
            raise ValueError(f"the sequence cannot go back from {self._next_seq} to {seq}")
        self._next_seq = seq

    def visibility_version(self, user_id: str) -> tuple[int, int]:
        """Changes whenever the groups `user_id` has a role in may change: a group added or moved, or a
        membership of theirs added, changed or removed."""
        return self._tree_version, self._membership_versions.get(user_id, 0)

    def _membership_changed(self, user_id: str) -> None:
        self._membership_versions[user_id] = self._membership_versions.get(user_id, 0) + 1

    # ----------------------------------------------------------------- users

    def add_user(self, user: User) -> None:
        """Index a new user; the caller has checked that its id, email and token are not taken."""
        self._users[user.id] = user
        self._by_email[user.email.lower()] = user
        if user.token is not None:
            self._by_token[user.token] = user

    def user(self, user_id: str) -> User | None:
        return self._users.get(user_id)

    def user_by_email(self, email: str) -> User | None:
        """The user with this email, compared case-insensitively."""
        return self._by_email.get(email.lower())

    def user_by_token(self, token: str) -> User | None:
        return self._by_token.get(token)

    def users(self) -> Collection[User]:
        """Every user, in creation order."""
        return self._users.values()

    # ----------------------------------------------------------------- groups

    def put_group(self, group: Group) -> None:
        """Add a group, or put a changed one in place of the stored one (moving it if its parent changed).
        The parent need not be stored yet (a world may list a child before its parent)."""
        old = self._groups.get(group.id)
        if old is None or old.parent != group.parent:
            self._tree_version += 1
        if old is not None and old.parent is not None and old.parent != group.parent:
            self._children[old.parent].discard(group.id)
        if group.parent is not None:
            self._children.setdefault(group.parent, set()).add(group.id)
        self._groups[group.id] = group

    def group(self, group_id: str) -> Group | None:
        return self._groups.get(group_id)

    def groups(self) -> Collection[Group]:
        """Every group, in creation order."""
        return self._groups.values()

    def children(self, group_id: str) -> Iterable[str]:
        return self._children.get(group_id, ())

    def ancestry(self, group: Group) -> Iterator[Group]:
        """The group, its parent, its parent's parent, ... up to its top-level group."""
        node: Group | None = group
        while node is not None:
            yield node
            node = self._groups[node.parent] if node.parent is not None else None

    # ----------------------------------------------------------------- memberships

    def add_membership(self, group_id: str, user_id: str, role_id: str, seq: int | None = None) -> Membership:
        """A new direct membership, last in the group's user list (under `seq`, if given, which must be
        above the list's numbers)."""
        membership = Membership(group_id, user_id, role_id, self.next_seq() if seq is None else seq)
        self._members.setdefault(group_id, OrderedIndex()).add(membership.seq, membership)
        self._memberships_of.setdefault(user_id, {})[group_id] = membership
        self._membership_changed(user_id)
        return membership

    def put_membership(self, membership: Membership) -> None:
        """Put a changed membership (a new role) in place of the stored one; it keeps its place."""
        self._members[membership.group_id].replace(membership.seq, membership)
        self._memberships_of[membership.user_id][membership.group_id] = membership
        self._membership_changed(membership.user_id)

    def remove_membership(self, membership: Membership) -> None:
        self._members[membership.group_id].remove(membership.seq)
        del self._memberships_of[membership.user_id][membership.group_id]
        self._membership_changed(membership.user_id)

    def membership(self, user_id: str, group_id: str) -> Membership | None:
        return self._memberships_of.get(user_id, _NO_MEMBERSHIPS).get(group_id)

    def memberships_of(self, user_id: str) -> Mapping[str, Membership]:
        """A user's direct memberships by group id."""
        return self._memberships_of.get(user_id, _NO_MEMBERSHIPS)

    def members(self, group_id: str) -> Iterable[Membership]:
        """A group's direct memberships, in joining order."""
        return self._members.get(group_id, ())

    def page_members(self, group_id: str, limit: int, token: str | None) -> Page[Membership]:
        return self._members.get(group_id, OrderedIndex()).page(
            self.cursors, f"users:{group_id}", limit, token
        )

    # ----------------------------------------------------------------- devices

    def add_device(self, device: Device, seq: int | None = None) -> None:
        """A new device, last in its group's list (under `seq`, if given, which must be above the list's
        numbers)."""
        index = self._devices.get(device.group_id)
        if index is None:  # not `setdefault(..., OrderedIndex())`: that builds an index on every call
            index = self._devices[device.group_id] = OrderedIndex()
        index.add(self.next_seq() if seq is None else seq, device)
        self._device_ids.add(device.device_id)

    def has_device(self, device_id: str) -> bool:
        return device_id in self._device_ids

    def devices(self, group_id: str) -> Iterable[Device]:
        """A group's devices, in creation order."""
        return self._devices.get(group_id, ())

    def device_entries(self, group_id: str) -> Iterable[tuple[int, Device]]:
        """A group's devices with their sequence numbers, in creation order."""
        index = self._devices.get(group_id)
        return index.entries() if index is not None else ()

    def count_devices(self, group_id: str) -> int:
        return len(self._devices.get(group_id, ()))

    def page_devices(self, group_id: str, limit: int, token: str | None) -> Page[Device]:
        return self._devices.get(group_id, OrderedIndex()).page(
            self.cursors, f"devices:{group_id}", limit, token
        )

    # ----------------------------------------------------------------- API keys

    def api_key(self, group_id: str, key_type: str) -> ApiKey | None:
        """The group's key of this type, compared case-insensitively."""
        return self._api_keys.get(group_id, {}).get(key_type.lower())

    def put_api_key(self, key: ApiKey) -> None:
        """Add a key, or put a changed one in place of the stored key of its type."""
        self._api_keys.setdefault(key.group_id, {})[key.type.lower()] = key

    def delete_api_key(self, group_id: str, key_type: str) -> None:
        del self._api_keys[group_id][key_type.lower()]

    def api_keys(self, group_id: str) -> Iterable[ApiKey]:
        """A group's keys, oldest first."""
        return self._api_keys.get(group_id, {}).values()

    # ----------------------------------------------------------------- connectors and notifications

    def add_connector(self, connector: Attachment) -> None:
        self._connectors.setdefault(connector.group_id, []).append(connector)

    def connectors(self, group_id: str) -> Iterable[Attachment]:
        return self._connectors.get(group_id, ())

    def add_notification(self, notification: Attachment) -> None:
        self._notifications.setdefault(notification.group_id, []).append(notification)

    def notifications(self, group_id: str) -> Iterable[Attachment]:
        return self._notifications.get(group_id, ())

    def count_connectors(self, group_id: str) -> int:
        return len(self._connectors.get(group_id, ()))

    def count_notifications(self, group_id: str) -> int:
        return len(self._notifications.get(group_id, ()))
