"""groupkit.pagination: sealed cursors, OrderedIndex and pages of sequence numbers; and cursors on the wire
(forged, foreign or stale ones refused with 400, no shared counter shown)."""

from __future__ import annotations

import base64
import re
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groupkit.app import create_app
from groupkit.errors import BadRequest
from groupkit.pagination import KEY_BYTES, Cursors, OrderedIndex, Page
from tests.conftest import DEFAULT_WORLD, auth, group_id, serve, user_id
from tests.groupkit.test_app import assert_error

CURSORS = Cursors(bytes(range(KEY_BYTES)))  # a fixed key, so that failures replay
ACME = group_id(DEFAULT_WORLD, "ACME Logistics")


def encode_token(scope: str, seq: int) -> str:
    return CURSORS.encode(scope, seq)


def decode_token(scope: str, token: str | None) -> int:
    return CURSORS.decode(scope, token)


def paginate(seqs: list[int], get: Any, scope: str, limit: int, token: str | None) -> Page[Any]:
    return CURSORS.page(seqs, get, scope, limit, token)


def page_of(pairs: Any, scope: str, limit: int, token: str | None) -> Page[Any]:
    return CURSORS.page_of(pairs, scope, limit, token)


def raw_token(text: str) -> str:
    """A token built by hand from its decoded text."""
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def old_token(scope: str, seq: int) -> str:
    """A cursor as groupkit issued them before they were sealed: a CRC-32 of the list, then the number.
    Anyone could compute one for any position (the issue's forged cursor)."""
    return raw_token(f"{zlib.crc32(scope.encode()):08x}:{seq}")


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


@pytest.mark.parametrize("seq", [0, 1, 42, 2**31, 10**15, 2**64 - 1])
@pytest.mark.parametrize(
    "scope", ["user-groups:u1", "devices:abc", "users:abc", "roles", "", "é:ü", "a\ud800"]
)
def test_encode_decode_round_trip(scope: str, seq: int) -> None:
    token = encode_token(scope, seq)
    assert decode_token(scope, token) == seq
    # URL-safe and unpadded: usable as a query parameter as is; one length for every cursor.
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert len(token) == 32


@settings(deadline=None)
@given(scope=st.text(max_size=30), seq=st.integers(min_value=0, max_value=2**64 - 1))
def test_encode_decode_round_trip_property(scope: str, seq: int) -> None:
    assert decode_token(scope, encode_token(scope, seq)) == seq


@pytest.mark.parametrize("token", [None, ""])
def test_no_token_is_the_start(token: str | None) -> None:
    assert decode_token("roles", token) == 0


def test_tokens_are_deterministic_and_differ_by_scope_seq_and_key() -> None:
    assert encode_token("a", 1) == encode_token("a", 1)
    assert encode_token("a", 1) != encode_token("b", 1)
    assert encode_token("a", 1) != encode_token("a", 2)
    assert Cursors().encode("a", 1) != encode_token("a", 1)


def test_every_mock_has_its_own_key() -> None:
    assert Cursors().key != Cursors().key
    assert len(Cursors().key) == KEY_BYTES
    with pytest.raises(ValueError):
        Cursors(b"short")


@pytest.mark.parametrize(
    ("scope", "other"),
    [
        pytest.param("devices:g1", "devices:g2", id="same-list-other-group"),
        pytest.param("devices:g1", "users:g1", id="other-list-same-group"),
        pytest.param("roles", "user-groups:u1", id="other-list"),
        pytest.param("user-groups:u1", "user-groups:u2", id="other-user"),
        pytest.param("roles", "Roles", id="case"),
    ],
)
def test_a_token_of_another_scope_is_refused(scope: str, other: str) -> None:
    token = encode_token(scope, 5)
    with pytest.raises(BadRequest) as raised:
        decode_token(other, token)
    assert raised.value.code == "INVALID_NEXT_TOKEN"
    assert raised.value.message


@pytest.mark.parametrize("seq", [0, 1, 5, 10**6])
def test_a_token_sealed_with_another_key_is_refused(seq: int) -> None:
    """Another mock's cursor, or one computed without this mock's key, is not a cursor of this mock."""
    with pytest.raises(BadRequest):
        decode_token("roles", Cursors().encode("roles", seq))


@pytest.mark.parametrize("seq", [0, 1, 5, 40, 10**6])
def test_a_forged_token_with_a_valid_check_value_is_refused(seq: int) -> None:
    """The issue's forgery: the list's check value is right, the position is the forger's choice."""
    with pytest.raises(BadRequest):
        decode_token("roles", old_token("roles", seq))


def test_every_altered_bit_is_refused() -> None:
    raw = bytearray(base64.urlsafe_b64decode(encode_token("devices:g1", 7)))
    for bit in range(len(raw) * 8):
        altered = bytearray(raw)
        altered[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(BadRequest):
            decode_token("devices:g1", base64.urlsafe_b64encode(bytes(altered)).decode())


def test_a_token_does_not_show_its_position() -> None:
    """The sequence numbers are shared by every tenant's items, so a cursor must not carry one readably:
    not as it is, and not under a fixed mask (which would show the distance between two cursors)."""
    raws = {seq: base64.urlsafe_b64decode(encode_token("devices:g1", seq)) for seq in range(1, 200)}
    for seq, raw in raws.items():
        assert seq.to_bytes(8, "big") not in raw
    masks = {
        bytes(a ^ b for a, b in zip(raw[-8:], seq.to_bytes(8, "big"), strict=True))
        for seq, raw in raws.items()
    }
    assert len(masks) == len(raws)


GARBAGE = [
    pytest.param("garbage", id="word"),
    pytest.param("!!!!", id="punctuation"),
    pytest.param("0", id="one-char"),
    pytest.param("é", id="non-ascii"),
    pytest.param(" ", id="space"),
    pytest.param("a" * 1000, id="long"),
    pytest.param("A" * 32, id="right-length-zeros"),
    pytest.param("é" * 32, id="right-length-non-ascii"),
    pytest.param(raw_token("roles:5"), id="scope-name-and-seq"),
    pytest.param(old_token("roles", 5), id="unsealed-old-format"),
    pytest.param(encode_token("roles", 5) + "A", id="appended"),
    pytest.param(encode_token("roles", 5)[:-1], id="truncated"),
    pytest.param(encode_token("roles", 5) + "==", id="padded"),
    pytest.param(" " + encode_token("roles", 5), id="leading-space"),
    pytest.param("+/" * 16, id="standard-alphabet"),
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
def test_ordered_index_remove(removed: int, left: list[str]) -> None:
    index = index_of(2, 5, 9)
    index.remove(removed)
    assert list(index) == left
    assert len(index) == 2
    index.add(10, "item10")
    assert list(index)[-1] == "item10"


def test_ordered_index_replace_keeps_the_place() -> None:
    index = index_of(2, 5, 9)
    index.replace(5, "changed")
    assert list(index) == ["item2", "changed", "item9"]
    assert index.page(CURSORS, "s", 2, None).items == ["item2", "changed"]
    with pytest.raises(KeyError):
        index.replace(6, "new")  # a number not in use is not replaced (nor added)
    assert list(index) == ["item2", "changed", "item9"]
    index.add(10, "item10")  # the highest number is still 9


def test_ordered_index_entries_pair_numbers_and_items() -> None:
    assert list(index_of(2, 5).entries()) == [(2, "item2"), (5, "item5")]
    assert list(OrderedIndex().entries()) == []


def test_ordered_index_remove_unknown_raises() -> None:
    index = index_of(1, 2)
    with pytest.raises(KeyError):
        index.remove(3)
    assert list(index) == ["item1", "item2"]


def test_ordered_index_page_walks_in_order() -> None:
    index = index_of(*range(1, 11))
    page = index.page(CURSORS, "s", 4, None)
    assert page.items == ["item1", "item2", "item3", "item4"]
    page = index.page(CURSORS, "s", 4, page.next_token)
    assert page.items == ["item5", "item6", "item7", "item8"]
    page = index.page(CURSORS, "s", 4, page.next_token)
    assert page.items == ["item9", "item10"]
    assert page.next_token is None


def test_ordered_index_page_after_removing_the_cursor_item() -> None:
    index = index_of(1, 2, 3, 4, 5)
    page = index.page(CURSORS, "s", 2, None)
    assert page.items == ["item1", "item2"]
    index.remove(2)  # the item the cursor stopped at
    index.remove(3)  # and the next one
    index.add(6, "item6")
    page = index.page(CURSORS, "s", 2, page.next_token)
    assert page.items == ["item4", "item5"]
    page = index.page(CURSORS, "s", 2, page.next_token)
    assert page.items == ["item6"]
    assert page.next_token is None


def test_ordered_index_page_refuses_other_scopes() -> None:
    index = index_of(1, 2, 3)
    token = index.page(CURSORS, "a", 1, None).next_token
    with pytest.raises(BadRequest):
        index.page(CURSORS, "b", 1, token)


# ----------------------------------------------------------------- pages of sequence numbers


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


# ----------------------------------------------------------------- on the wire


WIRE_LISTS = [
    pytest.param("/user/groups", {}, "user-groups:" + user_id(DEFAULT_WORLD, "alice"), id="listUserGroups"),
    pytest.param("/group/roles", {}, "roles", id="listRoles"),
    pytest.param("/group/devices", {"groupId": ACME}, f"devices:{ACME}", id="listGroupDevices"),
    pytest.param("/group/users", {"groupId": ACME}, f"users:{ACME}", id="listGroupUsers"),
]


def first_cursor(http: httpx.Client, path: str, params: dict[str, str]) -> str:
    page = http.get(path, params={**params, "limit": 1}, headers=auth("alice"))
    assert page.status_code == 200, page.text
    token: str = page.json()["nextToken"]
    assert token
    return token


@pytest.mark.parametrize(("path", "params", "scope"), WIRE_LISTS)
@pytest.mark.parametrize("seq", [1, 3, 10**6])
def test_a_forged_cursor_is_refused_on_the_wire(
    client: httpx.Client, path: str, params: dict[str, str], scope: str, seq: int
) -> None:
    """The issue's forgery: a cursor with the list's right check value and a position of one's choice."""
    response = client.get(path, params={**params, "nextToken": old_token(scope, seq)}, headers=auth("alice"))
    assert_error(response, 400, "INVALID_NEXT_TOKEN")


@pytest.mark.parametrize(("path", "params", "scope"), WIRE_LISTS)
def test_a_cursor_shows_no_counter(
    client: httpx.Client, path: str, params: dict[str, str], scope: str
) -> None:
    """Every tenant's items share one counter; the cursor must not carry it readably (it did as text)."""
    token = first_cursor(client, path, params)
    assert len(token) == 32
    raw = base64.urlsafe_b64decode(token)
    assert not re.search(rb":[0-9]+$", raw), raw
    assert raw[-8:] not in {seq.to_bytes(8, "big") for seq in range(1, 1000)}


@pytest.fixture(scope="module")
def other_mock() -> Iterator[httpx.Client]:
    """Another mock of the same world with the same seed as the shared one."""
    with serve(create_app(seed=7)) as url, httpx.Client(base_url=url, timeout=10) as http:
        yield http


@pytest.mark.parametrize(("path", "params", "scope"), WIRE_LISTS)
def test_a_cursor_of_another_mock_or_world_is_refused(
    client: httpx.Client, other_mock: httpx.Client, path: str, params: dict[str, str], scope: str
) -> None:
    """Same world, same seed, another mock: its own key. And a reset brings a new world and a new key."""
    foreign = first_cursor(other_mock, path, params)
    refused = client.get(path, params={**params, "nextToken": foreign}, headers=auth("alice"))
    assert_error(refused, 400, "INVALID_NEXT_TOKEN")
    mine = first_cursor(client, path, params)
    assert client.get(path, params={**params, "nextToken": mine}, headers=auth("alice")).status_code == 200
    reset = client.post("/__mock__/reset", headers={"X-Mock-Control": "1"})
    assert reset.status_code == 200, reset.text
    after = client.get(path, params={**params, "nextToken": mine}, headers=auth("alice"))
    assert_error(after, 400, "INVALID_NEXT_TOKEN")
