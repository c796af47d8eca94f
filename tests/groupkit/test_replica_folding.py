"""When a shared world's log is folded into a snapshot (`SharedWorld._fold`, groupkit/replica.py): once the log
holds max(COMPACT_EVERY, the users and groups the world had at the last snapshot) entries. Found by
bench/perf_worlds_shared.py: when the rule counted the world's size as the log grew, 2,000 `POST /group` on the
default world left `base` at 0 and all 2,000 entries in the log."""

from __future__ import annotations

import random
from typing import Any

import pytest

from groupkit import replica
from groupkit.model import GroupChanges
from tests.backends import RedisWorlds
from tests.conftest import group_id, user_id


@pytest.fixture
def small_compaction(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(replica, "COMPACT_EVERY", 10)
    return 10


def test_updates_fold_the_log_once_it_holds_as_many_entries_as_the_world_has_users_and_groups(
    redis_worlds: RedisWorlds, world: dict[str, Any], small_compaction: int
) -> None:
    shared = redis_worlds.shared(world, rng=random.Random(7))
    alice, acme = user_id(world, "alice"), group_id(world, "ACME Logistics")
    size = shared._size
    assert size > small_compaction
    for number in range(size - 1):
        shared.store.update_group(alice, acme, GroupChanges(description=f"update {number}"))
    assert (shared.base, shared.index) == (0, size - 1)  # not yet
    shared.store.update_group(alice, acme, GroupChanges(description="one more"))
    assert (shared.base, shared.index) == (size, size)


def test_creating_groups_alone_also_folds_the_log(
    redis_worlds: RedisWorlds, world: dict[str, Any], small_compaction: int
) -> None:
    shared = redis_worlds.shared(world, rng=random.Random(7))
    alice, acme = user_id(world, "alice"), group_id(world, "ACME Logistics")
    writes = 4 * shared._size  # four times the world's users and groups at the start
    for number in range(writes):
        shared.store.create_group(alice, name=f"group {number}", parent_id=acme)
    assert shared.index == writes
    assert shared.base > 0
