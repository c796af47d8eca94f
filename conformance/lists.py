"""The contract's four paginated lists and one walk through their pages by `nextToken`.

A walk records what a client following the cursor sees, and the first thing that breaks the contract's
pagination rules on the way (too many items on a page, an item twice, a token on the last page, a walk
that does not end, a server-issued token that fails). The checks decide what a walk must also agree with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .calls import OWN_TOKEN, Caller, Reply
from .failures import (
    BrokenWalk,
    DuplicateItem,
    EndlessPagination,
    GroupkitFailure,
    PageOverLimit,
    TokenOnLastPage,
)

# label -> the field that identifies an item (`deviceId` for devices), and whether the list needs a groupId
LISTS: dict[str, tuple[str, bool]] = {
    "GET /user/groups": ("id", False),
    "GET /group/devices": ("deviceId", True),
    "GET /group/users": ("id", True),
    "GET /group/roles": ("id", False),
}
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
EMPTY_PAGES = 3  # this many empty pages in a row that still carry a nextToken: the walk will not end


def item_key(label: str, item: Any) -> str:
    """The identity of a list item: its id field, or its whole JSON when it has none."""
    id_field = LISTS[label][0]
    if isinstance(item, dict) and isinstance(item.get(id_field), str):
        return str(item[id_field])
    return json.dumps(item, sort_keys=True)


@dataclass
class Walk:
    """The pages one walk went through, the items in order, and the first rule it saw broken."""

    label: str
    limit: int
    pages: list[Reply] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)
    problem: tuple[type[GroupkitFailure], str] | None = None
    truncated: bool = False  # stopped at max_pages of a list whose size was not known

    @property
    def status(self) -> int:
        """The first page's status (200 when the list was readable at all)."""
        return self.pages[0].status if self.pages else 0

    @property
    def keys(self) -> list[str]:
        return [item_key(self.label, item) for item in self.items]

    def steps(self, last: int = 4) -> list[str]:
        """The curl commands of the walk (the first page and the last few when it is long)."""
        curls = [page.curl for page in self.pages]
        if len(curls) > last + 1:
            return [curls[0], f"... {len(curls) - last - 1} more pages ...", *curls[-last:]]
        return curls


def walk(
    caller: Caller,
    label: str,
    group_id: str | None,
    *,
    limit: int,
    max_pages: int,
    known_size: int | None = None,
    token: str | None = OWN_TOKEN,
) -> Walk:
    """Follow `nextToken` from the first page until a page has none. After `max_pages` pages the walk
    is endless if the list's size is known (`known_size` items cannot need more), else just truncated."""
    result = Walk(label, limit)
    seen: set[str] = set()
    issued: set[str] = set()
    next_token: str | None = None
    empty_in_a_row = 0
    while True:
        query: dict[str, Any] = {"limit": limit, "nextToken": next_token}
        if LISTS[label][1]:
            query["groupId"] = group_id
        page = caller.send(label, query=query, token=token)
        result.pages.append(page)
        number = len(result.pages)
        if page.status != 200:
            if number > 1:
                result.problem = (
                    BrokenWalk,
                    f"page {number} of {label} (limit={limit}), asked for with the nextToken page "
                    f"{number - 1} returned, answered {page.status}; expected 200. Body: {page.text[:200]}",
                )
            return result
        items = page.items()
        if len(items) > limit:
            result.problem = (
                PageOverLimit,
                f"page {number} of {label} holds {len(items)} items; expected at most limit={limit}",
            )
            return result
        for item in items:
            key = item_key(label, item)
            if key in seen:
                result.problem = (
                    DuplicateItem,
                    f"item {key} of {label} came back again on page {number} (limit={limit}); "
                    "expected every item exactly once",
                )
                return result
            seen.add(key)
            result.items.append(item)
        body = page.body if isinstance(page.body, dict) else {}
        next_token = body.get("nextToken")
        if not next_token:
            if not items and number > 1:
                result.problem = (
                    TokenOnLastPage,
                    f"page {number - 1} of {label} (limit={limit}) carried a nextToken, but the page it "
                    f"leads to is empty and ends the list; expected nextToken null or absent on the last page",
                )
            return result
        empty_in_a_row = 0 if items else empty_in_a_row + 1
        why = ""
        if not isinstance(next_token, str) or next_token in issued:
            why = f"returned the nextToken {next_token!r} a second time"
        elif empty_in_a_row >= EMPTY_PAGES:
            why = f"gave {empty_in_a_row} empty pages in a row (pages {number - empty_in_a_row + 1}-{number}), each with a nextToken"
        elif number >= max_pages and known_size is not None:
            why = f"still had a nextToken after {number} pages of {limit}, for a list of {known_size} items"
        elif number >= max_pages:
            result.truncated = True
            return result
        if why:
            result.problem = (EndlessPagination, f"walking {label} {why}; expected the walk to end")
            return result
        issued.add(next_token)
