"""Cursor pagination: items kept in creation order, and opaque `nextToken`s that walk them exactly once.

Every item gets a world-wide, ever-increasing sequence number when it is created. A page is "the next
`limit` items whose sequence number is above the cursor's", found by bisection, so a page costs
O(limit + log n) and items added during a walk appear after the cursor, never twice. A `nextToken`
carries the sequence number of the last item of the page (the seed's DynamoDB wording: "the key of the
item where the operation stopped"), bound to the list it belongs to.

Cursors are sealed with a secret key of the world (`Cursors`): the number is encrypted, so a cursor shows
nothing of the counter every tenant's items share, and authenticated together with the list's name, so a
cursor from another list, a forged or an altered one is refused with 400 instead of being misread. The
construction is SIV (RFC 5297's shape) with HMAC-SHA256 as the pseudo-random function: the synthetic IV
is a MAC of the list and the number, and the key stream that hides the number is derived from that IV.
The same list and number always give the same cursor, so a page read twice carries the same `nextToken`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from .errors import BadRequest

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

KEY_BYTES = 32
_NUMBER_BYTES = 8
_IV_BYTES = 16
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")  # base64url of IV + number (24 bytes), unpadded


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list; `next_token` continues after it (None on the last page)."""

    items: list[T]
    next_token: str | None


def _refused() -> BadRequest:
    return BadRequest("nextToken is not a token this list issued", code="INVALID_NEXT_TOKEN")


class Cursors:
    """Issues and reads the `nextToken`s of one world under its secret `key` (random unless given: a
    world read back from a state file keeps the key its cursors were issued under)."""

    __slots__ = ("key",)

    def __init__(self, key: bytes | None = None) -> None:
        if key is not None and len(key) != KEY_BYTES:
            raise ValueError(f"a cursor key is {KEY_BYTES} bytes")
        self.key = key if key is not None else secrets.token_bytes(KEY_BYTES)

    def _prf(self, label: bytes, data: bytes) -> bytes:
        return hmac.new(self.key, label + b"\0" + data, hashlib.sha256).digest()

    def _iv(self, scope: str, number: bytes) -> bytes:
        return self._prf(b"iv", scope.encode("utf-8", "surrogatepass") + b"\0" + number)[:_IV_BYTES]

    def _mask(self, iv: bytes, number: bytes) -> bytes:
        pad = self._prf(b"pad", iv)
        return bytes(a ^ b for a, b in zip(number, pad, strict=False))

    def encode(self, scope: str, seq: int) -> str:
        """The cursor of list `scope` that continues after sequence number `seq`."""
        number = seq.to_bytes(_NUMBER_BYTES, "big")  # OverflowError for a negative or huge number
        iv = self._iv(scope, number)
        return base64.urlsafe_b64encode(iv + self._mask(iv, number)).decode()

    def decode(self, scope: str, token: str | None) -> int:
        """The sequence number a cursor continues after (0 for none: the first page); BadRequest unless
        this key issued it for list `scope`."""
        if not token:
            return 0
        if not _TOKEN.fullmatch(token):
            raise _refused()
        raw = base64.urlsafe_b64decode(token)  # 32 base64url characters: always 24 bytes
        iv, sealed = raw[:_IV_BYTES], raw[_IV_BYTES:]
        number = self._mask(iv, sealed)
        if not hmac.compare_digest(iv, self._iv(scope, number)):
            raise _refused()
        return int.from_bytes(number, "big")

    def page(
        self, seqs: list[int], get: Callable[[int], T], scope: str, limit: int, token: str | None
    ) -> Page[T]:
        """One page of list `scope`, whose items are under `seqs` (sorted ascending); `get(seq)` returns
        the item stored under a number."""
        after = self.decode(scope, token)
        start = bisect_right(seqs, after)
        chosen = seqs[start : start + limit]
        items = [get(seq) for seq in chosen]
        more = start + limit < len(seqs)
        return Page(items, self.encode(scope, chosen[-1]) if more and chosen else None)

    def page_of(self, pairs: Iterable[tuple[int, T]], scope: str, limit: int, token: str | None) -> Page[T]:
        """Paginate (seq, item) pairs that are not kept in an index (computed per request)."""
        ordered = sorted(pairs, key=lambda pair: pair[0])
        table = dict(ordered)
        return self.page([seq for seq, _ in ordered], table.__getitem__, scope, limit, token)


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

    def entries(self) -> Iterator[tuple[int, T]]:
        """(sequence number, item) pairs, in order."""
        return ((seq, self._items[seq]) for seq in self._seqs)

    def page(self, cursors: Cursors, scope: str, limit: int, token: str | None) -> Page[T]:
        return cursors.page(self._seqs, self._items.__getitem__, scope, limit, token)
