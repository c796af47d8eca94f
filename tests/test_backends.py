"""tests/backends.py: the Redis backend of the domain tests is a real replica of a world in Redis (not a
plain store under another name), seeded stores stay deterministic, the split view reads from its second
replica, and the fixtures clean up."""

from __future__ import annotations

import random
from typing import Any

import pytest

from groupkit.errors import NotFound
from groupkit.replica import Proposed, SharedWorld
from groupkit.store import Store
from tests.backends import WRITES, RedisWorlds, SplitReplicas
from tests.conftest import DEFAULT_WORLD, user_id

ALICE = user_id(DEFAULT_WORLD, "alice")


def test_the_store_fixture_is_a_replica_on_redis_and_plain_in_memory(backend: str, store: Store) -> None:
    if backend == "memory":
        assert store.replicator is None
        return
    shared = store.replicator
    assert isinstance(shared, SharedWorld)
    before = shared.index
    store.create_group(ALICE, name="logged")
    assert shared.index == before + 1  # the write went through the world's log in Redis


def test_a_write_on_one_replica_is_read_on_another(redis_worlds: RedisWorlds) -> None:
    writer = redis_worlds.shared(DEFAULT_WORLD, rng=random.Random(7))
    reader = redis_worlds.replica(writer)
    created = writer.store.create_group(ALICE, name="seen elsewhere").group.id
    with pytest.raises(NotFound):
        reader.store.get_group(ALICE, created)  # not caught up yet
    redis_worlds.sync(reader)
    assert reader.store.get_group(ALICE, created).group.name == "seen elsewhere"
    with pytest.raises(Proposed):
        reader.store.create_group(ALICE, name="a reader does not write")


def test_seeded_redis_stores_draw_the_same_ids(redis_worlds: RedisWorlds) -> None:
    made = [
        redis_worlds.store(DEFAULT_WORLD, rng=random.Random(seed)).create_group(ALICE, name="x").group.id
        for seed in (7, 7, 8)
    ]
    assert made[0] == made[1] != made[2]


def test_the_split_store_writes_on_one_replica_and_reads_the_other(redis_worlds: RedisWorlds) -> None:
    split: Any = redis_worlds.split(DEFAULT_WORLD, rng=random.Random(7))
    assert isinstance(split, SplitReplicas) and split.reader is not split.writer
    created = split.create_group(ALICE, name="via the writer").group.id
    assert split.reader.index == split.writer.index
    assert split.get_group(ALICE, created).group.name == "via the writer"
    assert split.export() == split.writer.store.export()


def test_writes_names_every_verb_that_changes_the_world() -> None:
    """A verb missing from WRITES would be sent to the split view's reader (where it raises `Proposed`);
    `_changes` verbs are the store's wrappers named `changing`."""
    changing = {
        name
        for name, value in vars(Store).items()
        if callable(value) and getattr(getattr(value, "__code__", None), "co_name", None) == "changing"
    }
    assert changing and changing | {"replace"} == WRITES


def test_drop_deletes_the_worlds_a_test_made(redis_worlds: RedisWorlds) -> None:
    redis_worlds.store(DEFAULT_WORLD).create_group(ALICE, name="x")
    assert redis_worlds.keys()
    redis_worlds.drop()
    assert redis_worlds.keys() == []


def test_closing_stops_the_loop(redis_url: str) -> None:
    worlds = RedisWorlds(redis_url)
    worlds.store(DEFAULT_WORLD)
    worlds.close()
    assert worlds.loop.loop.is_closed()
