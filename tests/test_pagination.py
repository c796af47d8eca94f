"""Unit tests of groupkit.pagination: opaque tokens, OrderedIndex, paginate and page_of."""

from __future__ import annotations

import base64
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groupkit.errors import BadRequest
from groupkit.pagination import OrderedIndex, Page, decode_token, encode_token, page_of, paginate


def raw_token(text: str) -> str:
    """A token built by hand from its decoded text, the way encode_token builds its own."""
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def tag(scope: str) -> str:
    return format(zlib.crc32(scope.encode()), "08x")


def walk(seqs: list[int], scope: str, limit: int) -> tuple[list[int], list[Page[int]]]:
    pages: list[Page[int]] = []
    token: str | None = None
    items: list[int] = []
    for _ in range(len(seqs) + 2):
        page: Page[int] = paginate(seqs, lambda seq: seq, scope, limit, token)
        pages.append(page)
        items.extend(page.items)
        if page.next_token is None:
            return items, pages
        token = page.next_token
    raise AssertionError("nextToken never ran out")


# ----------------------------------------------------------------- tokens


@pytest.mark.parametrize("seq", [0, 1, 42, 2**31, 10**15])
@pytest.mark.parametrize("scope", ["user-groups", "devices:abc", "users:abc", "roles", "", "é:ü"])
def test_encode_decode_round_trip(scope: str, seq: int) -> None:
    token = encode_token(scope, seq)
    assert decode_token(scope, token) == seq
    # URL-safe and unpadded: usable as a query parameter as is.
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert token == raw_token(f"{tag(scope)}:{seq}")


@settings(deadline=None)
@given(scope=st.text(max_size=30), seq=st.integers(min_value=0, max_value=2**63))
def test_encode_decode_round_trip_property(scope: str, seq: int) -> None:
    assert decode_token(scope, encode_token(scope, seq)) == seq


@pytest.mark.parametrize("token", [None, ""])
def test_no_token_is_the_start(token: str | None) -> None:
    assert decode_token("roles", token) == 0


def test_tokens_are_deterministic_and_differ_by_scope_and_seq() -> None:
    assert encode_token("a", 1) == encode_token("a", 1)
    assert encode_token("a", 1) != encode_token("b", 1)
    assert encode_token("a", 1) != encode_token("a", 2)


@pytest.mark.parametrize(
    ("scope", "other"),
    [
        pytest.param("devices:g1", "devices:g2", id="same-list-other-group"),
        pytest.param("devices:g1", "users:g1", id="other-list-same-group"),
        pytest.param("roles", "user-groups", id="other-list"),
        pytest.param("roles", "Roles", id="case"),
    ],
)
def test_a_token_of_another_scope_is_refused(scope: str, other: str) -> None:
    token = encode_token(scope, 5)
    with pytest.raises(BadRequest) as raised:
        decode_token(other, token)
    assert raised.value.code == "INVALID_NEXT_TOKEN"
    assert raised.value.message


GARBAGE = [
    pytest.param("garbage", id="word"),
    pytest.param("!!!!", id="punctuation"),
    pytest.param("0", id="one-char"),
    pytest.param("é", id="non-ascii"),
    pytest.param(" ", id="space"),
    pytest.param("a" * 1000, id="long"),
    pytest.param(raw_token("nocolon"), id="no-colon"),
    pytest.param(raw_token("roles:5"), id="scope-name-not-tag"),
    pytest.param(raw_token(f"{tag('roles')}:"), id="no-seq"),
    pytest.param(raw_token(f"{tag('roles')}:-1"), id="negative-seq"),
    pytest.param(raw_token(f"{tag('roles')}:+5"), id="plus-sign"),
    pytest.param(raw_token(f"{tag('roles')}:05"), id="leading-zero"),
    pytest.param(raw_token(f"{tag('roles')}: 5"), id="space-in-seq"),
    pytest.param(raw_token(f"{tag('roles')}:5 "), id="trailing-space"),
    pytest.param(raw_token(f"{tag('roles')}:1_000"), id="underscore-digits"),
    pytest.param(raw_token(f"{tag('roles')}:٥"), id="arabic-indic-digit"),
    pytest.param(raw_token(f"{tag('roles')}:5.0"), id="float"),
    pytest.param(raw_token(f"{tag('roles')}:5:6"), id="two-seqs"),
    pytest.param(raw_token(f"{tag('roles').upper()}:5"), id="upper-case-tag"),
    pytest.param(base64.urlsafe_b64encode(f"{tag('roles')}:5".encode()).decode() + "==", id="padded"),
    pytest.param(base64.b64encode(b"\xff\xfe\xfd:5").decode(), id="not-utf8"),
    pytest.param(encode_token("roles", 5) + "A", id="appended"),
    pytest.param(encode_token("roles", 5)[:-1], id="truncated"),
]


@pytest.mark.parametrize("token", GARBAGE)
def test_a_garbage_token_is_refused(token: str) -> None:
    with pytest.raises(BadRequest) as raised:
        decode_token("roles", token)
    assert raised.value.code == "INVALID_NEXT_TOKEN"


@settings(deadline=None)
@given(token=st.text(min_size=1, max_size=40))
def test_decode_accepts_only_what_encode_issued(token: str) -> None:
    try:
        seq = decode_token("roles", token)
    except BadRequest as error:
        assert error.code == "INVALID_NEXT_TOKEN"
    else:
        assert encode_token("roles", seq) == token


# ----------------------------------------------------------------- OrderedIndex


def index_of(*seqs: int) -> OrderedIndex[str]:
    index: OrderedIndex[str] = OrderedIndex()
    for seq in seqs:
        index.add(seq, f"item{seq}")
    return index


def test_ordered_index_keeps_creation_order() -> None:
    index = index_of(2, 5, 9, 40)
    assert list(index) == ["item2", "item5", "item9", "item40"]
    assert len(index) == 4
    assert len(OrderedIndex()) == 0
    assert list(OrderedIndex()) == []


@pytest.mark.parametrize(
    "seq", [pytest.param(9, id="equal"), pytest.param(3, id="lower"), pytest.param(0, id="zero")]
)
def test_ordered_index_refuses_a_number_that_does_not_increase(seq: int) -> None:
    index = index_of(2, 5, 9)
    with pytest.raises(ValueError):
        index.add(seq, "late")
    assert list(index) == ["item2", "item5", "item9"]


@pytest.mark.parametrize(
    ("removed", "left"),
    [
        pytest.param(2, ["item5", "item9"], id="first"),
        pytest.param(5, ["item2", "item9"], id="middle"),
        pytest.param(9, ["item2", "item5"], id="last"),
    ],
)
def test_ordered_index_remove_and_insert_back(removed: int, left: list[str]) -> None:
    index = index_of(2, 5, 9)
    index.remove(removed)
    assert list(index) == left
    assert len(index) == 2
    index.insert(removed, f"item{removed}")
    assert list(index) == ["item2", "item5", "item9"]
    assert len(index) == 3
    # Adding after an insert still needs a number above the highest.
    with pytest.raises(ValueError):
        index.add(9, "x")
    index.add(10, "item10")
    assert list(index)[-1] == "item10"


def test_ordered_index_replace_keeps_the_place() -> None:
    index = index_of(2, 5, 9)
    index.replace(5, "changed")
    assert list(index) == ["item2", "changed", "item9"]
    assert index.page("s", 2, None).items == ["item2", "changed"]
    with pytest.raises(KeyError):
        index.replace(6, "new")  # a number not in use is not replaced (nor added)
    assert list(index) == ["item2", "changed", "item9"]
    index.add(10, "item10")  # the highest number is still 9


def test_ordered_index_remove_unknown_raises() -> None:
    index = index_of(1, 2)
    with pytest.raises(KeyError):
        index.remove(3)
    assert list(index) == ["item1", "item2"]


def test_ordered_index_page_walks_in_order() -> None:
    index = index_of(*range(1, 11))
    page = index.page("s", 4, None)
    assert page.items == ["item1", "item2", "item3", "item4"]
    page = index.page("s", 4, page.next_token)
    assert page.items == ["item5", "item6", "item7", "item8"]
    page = index.page("s", 4, page.next_token)
    assert page.items == ["item9", "item10"]
    assert page.next_token is None


def test_ordered_index_page_after_removing_the_cursor_item() -> None:
    index = index_of(1, 2, 3, 4, 5)
    page = index.page("s", 2, None)
    assert page.items == ["item1", "item2"]
    index.remove(2)  # the item the cursor stopped at
    index.remove(3)  # and the next one
    index.add(6, "item6")
    page = index.page("s", 2, page.next_token)
    assert page.items == ["item4", "item5"]
    page = index.page("s", 2, page.next_token)
    assert page.items == ["item6"]
    assert page.next_token is None


def test_ordered_index_page_refuses_other_scopes() -> None:
    index = index_of(1, 2, 3)
    token = index.page("a", 1, None).next_token
    with pytest.raises(BadRequest):
        index.page("b", 1, token)


# ----------------------------------------------------------------- paginate


@pytest.mark.parametrize(
    ("size", "limit", "page_sizes"),
    [
        pytest.param(0, 1, [0], id="empty"),
        pytest.param(0, 20, [0], id="empty-big-limit"),
        pytest.param(1, 1, [1], id="one-limit-one"),
        pytest.param(5, 5, [5], id="limit-equals-size"),
        pytest.param(5, 6, [5], id="limit-above-size"),
        pytest.param(5, 100, [5], id="limit-max"),
        pytest.param(6, 3, [3, 3], id="exact-multiple-2"),
        pytest.param(9, 3, [3, 3, 3], id="exact-multiple-3"),
        pytest.param(7, 3, [3, 3, 1], id="remainder-1"),
        pytest.param(8, 3, [3, 3, 2], id="remainder-2"),
        pytest.param(4, 1, [1, 1, 1, 1], id="limit-one"),
        pytest.param(101, 100, [100, 1], id="max-plus-one"),
    ],
)
def test_paginate_page_boundaries(size: int, limit: int, page_sizes: list[int]) -> None:
    seqs = [10 * (i + 1) for i in range(size)]
    items, pages = walk(seqs, "s", limit)
    assert items == seqs
    assert [len(p.items) for p in pages] == page_sizes
    assert [p.next_token is None for p in pages] == [False] * (len(pages) - 1) + [True]


def test_paginate_maps_through_get() -> None:
    table = {3: "c", 7: "g", 9: "i"}
    page: Page[str] = paginate([3, 7, 9], table.__getitem__, "s", 2, None)
    assert page.items == ["c", "g"]
    assert page.next_token == encode_token("s", 7)
    page = paginate([3, 7, 9], table.__getitem__, "s", 2, page.next_token)
    assert page == Page(["i"], None)


def test_paginate_token_past_the_end_gives_an_empty_last_page() -> None:
    page: Page[int] = paginate([1, 2, 3], lambda s: s, "s", 2, encode_token("s", 99))
    assert page == Page([], None)


def test_paginate_token_between_items_continues_after_it() -> None:
    page: Page[int] = paginate([10, 20, 30, 40], lambda s: s, "s", 2, encode_token("s", 15))
    assert page.items == [20, 30]
    assert page.next_token == encode_token("s", 30)


def test_paginate_items_added_during_a_walk_come_once_at_the_end() -> None:
    seqs = [1, 2, 3, 4]
    page: Page[int] = paginate(seqs, lambda s: s, "s", 2, None)
    seen = list(page.items)
    seqs.extend([5, 6, 7])
    while page.next_token is not None:
        page = paginate(seqs, lambda s: s, "s", 2, page.next_token)
        seen.extend(page.items)
    assert seen == [1, 2, 3, 4, 5, 6, 7]


@settings(deadline=None)
@given(
    seqs=st.lists(st.integers(min_value=1, max_value=10**6), unique=True, max_size=60).map(sorted),
    limit=st.integers(min_value=1, max_value=100),
)
def test_paginate_walk_yields_every_item_exactly_once(seqs: list[int], limit: int) -> None:
    items, pages = walk(seqs, "prop", limit)
    assert items == seqs
    assert all(len(p.items) <= limit for p in pages)
    assert all(len(p.items) == limit for p in pages[:-1])
    assert pages[-1].next_token is None
    assert len(pages) == max(1, -(-len(seqs) // limit))


# ----------------------------------------------------------------- page_of


def test_page_of_sorts_pairs_by_sequence_number() -> None:
    pairs: list[tuple[int, Any]] = [(30, "c"), (10, "a"), (40, "d"), (20, "b")]
    page = page_of(pairs, "s", 3, None)
    assert page.items == ["a", "b", "c"]
    assert page.next_token == encode_token("s", 30)
    page = page_of(iter(pairs), "s", 3, page.next_token)
    assert page == Page(["d"], None)


@pytest.mark.parametrize(("limit", "expected_token"), [(2, None), (1, 5)])
def test_page_of_boundaries(limit: int, expected_token: int | None) -> None:
    page = page_of([(9, "late"), (5, "early")], "s", limit, None)
    assert page.items == ["early", "late"][:limit]
    assert page.next_token == (None if expected_token is None else encode_token("s", expected_token))


def test_page_of_empty() -> None:
    assert page_of([], "s", 5, None) == Page([], None)


def test_page_of_refuses_a_foreign_token() -> None:
    with pytest.raises(BadRequest) as raised:
        page_of([(1, "a"), (2, "b")], "s", 1, encode_token("t", 1))
    assert raised.value.code == "INVALID_NEXT_TOKEN"


@settings(deadline=None)
@given(
    seqs=st.lists(st.integers(min_value=1, max_value=10**6), unique=True, max_size=40),
    limit=st.integers(min_value=1, max_value=10),
)
def test_page_of_walk_is_the_sorted_pairs_once(seqs: list[int], limit: int) -> None:
    pairs = [(seq, f"v{seq}") for seq in seqs]
    token: str | None = None
    seen: list[str] = []
    for _ in range(len(seqs) + 1):
        page = page_of(pairs, "w", limit, token)
        assert len(page.items) <= limit
        seen.extend(page.items)
        token = page.next_token
        if token is None:
            break
    assert token is None
    assert seen == [f"v{seq}" for seq in sorted(seqs)]
