"""Cursor pagination: items kept in creation order, and opaque `nextToken`s that walk them exactly once.

Every item gets a store-wide, ever-increasing sequence number when it is created. A page is "the next
`limit` items whose sequence number is above the cursor's", found by bisection, so a page costs
O(limit + log n) and items added during a walk appear after the cursor, never twice. A `nextToken`
carries the sequence number of the last item of the page (the seed's DynamoDB wording: "the key of the
item where the operation stopped") and a tag of the list it belongs to, so a token from another list,
or one that was tampered with, is refused with 400 instead of being misread.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from .errors import BadRequest

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list; `next_token` continues after it (None on the last page)."""

    items: list[T]
    next_token: str | None


def _tag(scope: str) -> str:
    return format(zlib.crc32(scope.encode()), "08x")


def encode_token(scope: str, seq: int) -> str:
    raw = f"{_tag(scope)}:{seq}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_token(scope: str, token: str | None) -> int:
    """The sequence number a token continues after (0 for the first page); BadRequest if it is not ours."""
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        tag, _, seq_text = raw.partition(":")
        seq = int(seq_text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        seq = -1
        tag = ""
    if tag != _tag(scope) or seq < 0 or not seq_text.isdigit() or encode_token(scope, seq) != token:
        raise BadRequest("nextToken is not a token this list issued", code="INVALID_NEXT_TOKEN")
    return seq


class OrderedIndex(Generic[T]):
    """Items under increasing sequence numbers, in that order; additions must use a higher number."""

    __slots__ = ("_seqs", "_items")

    def __init__(self) -> None:
        self._seqs: list[int] = []
        self._items: dict[int, T] = {}

    def add(self, seq: int, item: T) -> None:
        if self._seqs and seq <= self._seqs[-1]:
            raise ValueError("sequence numbers must increase")
        self._seqs.append(seq)
        self._items[seq] = item

    def insert(self, seq: int, item: T) -> None:
        """Put an item back under the number it had (undoing a `remove`)."""
        insort(self._seqs, seq)
        self._items[seq] = item

    def replace(self, seq: int, item: T) -> None:
        """Put another item under a number in use (a changed record keeps its place)."""
        if seq not in self._items:
            raise KeyError(seq)
        self._items[seq] = item

    def remove(self, seq: int) -> None:
        del self._items[seq]
        del self._seqs[bisect_left(self._seqs, seq)]

    def __len__(self) -> int:
        return len(self._seqs)

    def __iter__(self) -> Iterator[T]:
        return (self._items[seq] for seq in self._seqs)

    def page(self, scope: str, limit: int, token: str | None) -> Page[T]:
        return paginate(self._seqs, self._items.__getitem__, scope, limit, token)


def paginate(seqs: list[int], get: Callable[[int], T], scope: str, limit: int, token: str | None) -> Page[T]:
    """One page of `seqs` (sorted ascending); `get(seq)` returns the item stored under a number."""
    after = decode_token(scope, token)
    start = bisect_right(seqs, after)
    chosen = seqs[start : start + limit]
    items = [get(seq) for seq in chosen]
    more = start + limit < len(seqs)
    return Page(items, encode_token(scope, chosen[-1]) if more and chosen else None)


def page_of(pairs: Iterable[tuple[int, T]], scope: str, limit: int, token: str | None) -> Page[T]:
    """Paginate (seq, item) pairs that are not kept in an index (computed per request)."""
    ordered = sorted(pairs, key=lambda pair: pair[0])
    table = dict(ordered)
    return paginate([seq for seq, _ in ordered], table.__getitem__, scope, limit, token)
