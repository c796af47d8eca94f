"""groupkit.access's index of the groups a user sees (`visible_index`): paged from a cache while the tree
and the user's memberships stay as they are, and rebuilt after every write that changes either, so that
`GET /user/groups` always pages the groups `visible_groups` finds afresh."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from groupkit import access
from groupkit.model import GroupChanges
from groupkit.store import Store
from tests.backends import StoreFactory
from tests.conftest import DEFAULT_WORLD, group_id, user_id

ACME, LYON, ROTTERDAM, REEFER = (
    group_id(DEFAULT_WORLD, name)
    for name in ("ACME Logistics", "ACME Lyon Warehouse", "ACME Rotterdam Port", "Rotterdam Reefer Fleet")
)
BRUNO, CHLOE = user_id(DEFAULT_WORLD, "bruno"), user_id(DEFAULT_WORLD, "chlo")
CHLOE_EMAIL = next(u["email"] for u in DEFAULT_WORLD["users"] if u["id"] == CHLOE)

Listing = list[tuple[str, str | None, str]]


@pytest.fixture
def store(make_store: StoreFactory) -> Store:
    """The default world over the test's backend (memory, or a Redis replica whose `_state` is its own)."""
    return make_store(DEFAULT_WORLD, rng=random.Random(5), today=lambda: "2026-11-25")


def listed(store: Store, user: str) -> Listing:
    """Every group of the user's list, walked 2 by 2: id, name and the user's role there."""
    found: Listing = []
    token = None
    while True:
        page = store.list_user_groups(user, 2, token)
        found += [(v.group.id, v.group.name, v.role.id) for v in page.items]
        token = page.next_token
        if token is None:
            return found


def afresh(store: Store, user: str) -> Listing:
    """The same list computed from nothing: every visible group, in creation order."""
    state = store._state
    visible = sorted(access.visible_groups(state, user).values(), key=lambda pair: pair[0].seq)
    return [(group.id, group.name, role.id) for group, role in visible]


WRITES: list[tuple[str, Callable[[Store], object]]] = [
    ("a new group under hers", lambda s: s.create_group(BRUNO, name="Lyon annex", parent_id=LYON)),
    ("a group moved under hers", lambda s: s.update_group(BRUNO, REEFER, GroupChanges(parent_id=LYON))),
    ("a membership of hers added", lambda s: s.invite(BRUNO, ROTTERDAM, CHLOE_EMAIL, "viewer")),
    ("a role of hers changed", lambda s: s.update_member(BRUNO, ROTTERDAM, CHLOE, "administrator")),
    ("a membership of hers removed", lambda s: s.remove_member(BRUNO, ROTTERDAM, CHLOE)),
    ("a group moved away from her", lambda s: s.update_group(BRUNO, REEFER, GroupChanges(parent_id=ACME))),
]


def test_every_write_that_changes_what_she_sees_shows_in_her_next_page(store: Store) -> None:
    """Each write changes Chloé's list (so a stale index would show the list before it) and her list is
    then what a fresh walk finds."""
    before = listed(store, CHLOE)
    assert before == afresh(store, CHLOE) and [g for g, _, _ in before] == [LYON]
    for name, write in WRITES:
        write(store)
        after = listed(store, CHLOE)
        assert after == afresh(store, CHLOE), name
        assert after != before, f"{name}: the write was meant to change her list"
        before = after


def test_the_index_is_kept_while_nothing_it_depends_on_changes(store: Store) -> None:
    """Pages, another user's membership and a renamed group keep the index (a page reads the group as
    stored now, so the new name shows); a new group rebuilds it."""
    listed(store, CHLOE)
    index = access.visible_index(store._state, CHLOE)
    listed(store, CHLOE)
    store.invite(BRUNO, ACME, CHLOE_EMAIL.replace("@", "+other@"), "viewer")
    store.update_group(BRUNO, LYON, GroupChanges(name="Lyon renamed"))
    assert access.visible_index(store._state, CHLOE) is index
    assert listed(store, CHLOE) == [(LYON, "Lyon renamed", "installer")] == afresh(store, CHLOE)
    store.create_group(BRUNO, name="elsewhere", parent_id=None)
    assert access.visible_index(store._state, CHLOE) is not index


@pytest.mark.parametrize("limit", [1, 3, 100])
def test_cursors_walk_the_cached_list_exactly_once(store: Store, limit: int) -> None:
    """A walk that starts before a write and ends after it sees every group once, the new one last."""
    first = store.list_user_groups(BRUNO, limit, None)
    new = store.create_group(BRUNO, name="added mid-walk", parent_id=ACME).group.id
    seen: list[Any] = [v.group.id for v in first.items]
    token = first.next_token
    while token is not None:
        page = store.list_user_groups(BRUNO, limit, token)
        seen += [v.group.id for v in page.items]
        token = page.next_token
    if first.next_token is None:
        seen += [v.group.id for v in store.list_user_groups(BRUNO, limit, None).items[len(first.items) :]]
    assert len(seen) == len(set(seen)) and seen[-1] == new
    assert seen == [g for g, _, _ in afresh(store, BRUNO)]
