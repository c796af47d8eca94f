"""Sabotage variants that get cursor pagination wrong: an item repeated or dropped between pages, a walk
that never ends, a forged nextToken read as the first page. Each routes every list through one `page`.

They never read a cursor: the correct list makes and checks them; a variant only remembers what it served.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from groupkit.errors import BadRequest
from groupkit.model import Device, GroupView, Member
from groupkit.pagination import Page
from groupkit.roles import Role
from groupkit.state import State
from groupkit.store import Store, utc_today
from tests.conformance.sabotage.seams import AS_ALICE, expect, mock, require, variant, walk

T = TypeVar("T")
ListCall = Callable[[int, str | None], Page[T]]


class Paging(Store):
    """Serves every list through `page(call, scope, limit, token)`: `call(limit, token)` is the correct
    list, `scope` names the list; `memory` is what a variant keeps about the nextTokens it served."""

    def __init__(
        self,
        state: State | None = None,
        *,
        rng: random.Random | None = None,
        today: Callable[[], str] = utc_today,
    ) -> None:
        super().__init__(state, rng=rng, today=today)
        self.memory: dict[tuple[str, str], Any] = {}

    def page(self, call: ListCall[T], scope: str, limit: int, token: str | None) -> Page[T]:
        return call(limit, token)

    def list_user_groups(self, user_id: str, limit: int, token: str | None) -> Page[GroupView]:
        correct = super().list_user_groups
        return self.page(lambda n, t: correct(user_id, n, t), f"user-groups:{user_id}", limit, token)

    def list_group_devices(self, user_id: str, group_id: str, limit: int, token: str | None) -> Page[Device]:
        correct = super().list_group_devices
        return self.page(lambda n, t: correct(user_id, group_id, n, t), f"devices:{group_id}", limit, token)

    def list_group_users(self, user_id: str, group_id: str, limit: int, token: str | None) -> Page[Member]:
        correct = super().list_group_users
        return self.page(lambda n, t: correct(user_id, group_id, n, t), f"users:{group_id}", limit, token)

    def list_roles(self, limit: int, token: str | None) -> Page[Role]:
        return self.page(super().list_roles, "roles", limit, token)


def role_ids(http: httpx.Client, limit: int) -> list[str]:
    """The roles' ids, walking the whole list `limit` at a time."""
    roles, ended = walk(http, "/group/roles", limit=limit)
    require(ended, "the walk of the roles did not end")
    return [role["id"] for role in roles]


def all_role_ids(http: httpx.Client) -> list[str]:
    body = expect(http.get("/group/roles", params={"limit": 100}, headers=AS_ALICE), 200).json()
    require("nextToken" not in body, "the roles do not fit one page of 100")
    return [role["id"] for role in body["items"]]


class InclusiveCursor(Paging):
    def page(self, call: ListCall[T], scope: str, limit: int, token: str | None) -> Page[T]:
        last = self.memory.get((scope, token)) if token else None  # the last item served before `token`
        if last is None:
            page = call(limit, token)
        else:
            rest = call(limit - 1, token) if limit > 1 else Page([], token)
            page = Page([last, *rest.items], rest.next_token)
        if page.next_token is not None and page.items:
            self.memory[(scope, page.next_token)] = page.items[-1]
        return page


@variant(
    "pagination-repeats",
    "each next page repeats the last item of the previous page",
    build=lambda: mock(store_class=InclusiveCursor),
    include="GET /group/roles",
    checks="pagination_is_complete",
)
def pagination_repeats(http: httpx.Client) -> bool:
    ids = role_ids(http, limit=2)
    return len(ids) > len(set(ids))


class SkippingCursor(Paging):
    def page(self, call: ListCall[T], scope: str, limit: int, token: str | None) -> Page[T]:
        if token:
            skipped = call(1, token)
            if skipped.next_token is None:
                return Page([], None)
            token = skipped.next_token
        return call(limit, token)


@variant(
    "pagination-drops",
    "each next page skips the first item after the cursor",
    build=lambda: mock(store_class=SkippingCursor),
    include="GET /group/devices",
    checks="pagination_is_complete",
)
def pagination_drops(http: httpx.Client) -> bool:
    return len(role_ids(http, limit=2)) < len(all_role_ids(http))


class EndlessCursor(Paging):
    def page(self, call: ListCall[T], scope: str, limit: int, token: str | None) -> Page[T]:
        page = Page([], None) if token and (scope, token) in self.memory else call(limit, token)
        if page.next_token is not None:
            return page
        beyond = f"beyond-{len(self.memory) + 1}"  # a token of its own, past the end of the list
        self.memory[(scope, beyond)] = True
        return Page(page.items, beyond)


@variant(
    "next-token-never-ends",
    "the last page still has a nextToken, leading to endless empty pages",
    build=lambda: mock(store_class=EndlessCursor),
    include="GET /user/groups",
    checks="pagination_is_complete",
)
def next_token_never_ends(http: httpx.Client) -> bool:
    _, ended = walk(http, "/group/roles", limit=100, pages=10)
    return not ended


class ForgivingCursor(Paging):
    def page(self, call: ListCall[T], scope: str, limit: int, token: str | None) -> Page[T]:
        try:
            return call(limit, token)
        except BadRequest as error:
            if error.code != "INVALID_NEXT_TOKEN":
                raise
            return call(limit, None)


@variant(
    "bad-next-token-accepted",
    "a nextToken the server never issued is read as the first page instead of 400",
    build=lambda: mock(store_class=ForgivingCursor),
    include="GET /group/users",
    checks="pagination_is_complete",
)
def bad_next_token_accepted(http: httpx.Client) -> bool:
    forged = http.get("/group/roles", params={"nextToken": "not-a-token"}, headers=AS_ALICE)
    return expect(forged, 200, 400).status_code == 200


VARIANTS = (pagination_repeats, pagination_drops, next_token_never_ends, bad_next_token_accepted)
