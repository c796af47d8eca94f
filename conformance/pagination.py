"""`pagination_is_complete`: walking a list by `nextToken` yields every item exactly once.

On every 200 page of a list the fuzzer asked for: at most `limit` items, none twice. Once per list and
group (memoised; a bounded number of groups per list): a walk with the largest page size and one with a
tiny page size must both end, keep every page within its limit, never repeat an item, carry no
`nextToken` on the last page, and return the same items. Once per list: a `nextToken` the server never
issued ("garbage!!") is rejected with 400.
"""

from __future__ import annotations

from typing import Any

from schemathesis.core.transport import Response

from .calls import AnyCase
from .context import ProbeSkipped, RunContext
from .failures import DuplicateItem, ForeignTokenAccepted, MissingItem, PageOverLimit, TokenOnLastPage
from .lists import DEFAULT_LIMIT, LISTS, MAX_LIMIT, Walk, item_key, walk
from .machinery import (
    SKIPPED,
    groupkit_check,
    is_documented_call,
    is_positive,
    json_body,
    probe,
    sent_own_token,
    sent_query,
)
from .sandbox import visible_groups

BAD_TOKEN = "garbage!!"
GROUPS_PER_LIST = 4  # groups the check picks itself, from the token's GET /user/groups
MAX_WALKS_PER_LIST = 12  # and at most this many groups in all (the stateful phase keeps making new ones)
LONG_LIST_PAGES = 100  # a list longer than this many pages of 100 is not walked twice


@groupkit_check
def pagination_is_complete(run: RunContext, response: Response, case: AnyCase) -> bool | None:
    label = case.operation.label
    if label not in LISTS or not is_documented_call(case):
        return SKIPPED
    needs_group = LISTS[label][1]
    if response.status_code == 200 and is_positive(case) and sent_own_token(run, response):
        _check_page(label, json_body(response), sent_query(case, "limit"))
        group_id = sent_query(case, "groupId")
        if not needs_group or isinstance(group_id, str):
            _walk_once(run, label, group_id if needs_group else None)
    if run.claim("pagination_is_complete", label, "own-groups"):
        if needs_group:
            for group in visible_groups(run)[:GROUPS_PER_LIST]:
                _walk_once(run, label, group["id"])
        else:
            _walk_once(run, label, None)
    if run.claim("pagination_is_complete", label, "bad-token"):
        probe(run, lambda: _reject_foreign_token(run, label))
    return None


def _check_page(label: str, body: Any, limit: Any) -> None:
    """A single page the fuzzer got: within its limit, no item twice."""
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return  # response_schema_conformance reports a page without `items`
    if isinstance(limit, str) and limit.strip().isdigit():
        limit = int(limit)  # the coverage phase sends query values as the strings that go on the wire
    allowed = limit if isinstance(limit, int) and 1 <= limit <= MAX_LIMIT else DEFAULT_LIMIT
    if len(items) > allowed:
        raise PageOverLimit(
            operation=label,
            detail=f"the page holds {len(items)} items; expected at most limit={allowed}"
            + ("" if limit is not None else " (the default limit)"),
        )
    keys = [item_key(label, item) for item in items]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise DuplicateItem(
            operation=label, detail=f"the page lists {', '.join(twice)} more than once; expected each once"
        )


def _walk_once(run: RunContext, label: str, group_id: str | None) -> None:
    if not run.claim("pagination_is_complete", label, group_id):
        return
    if run.take(("pagination_is_complete", label), MAX_WALKS_PER_LIST):
        probe(run, lambda: _compare_walks(run, label, group_id))


def _compare_walks(run: RunContext, label: str, group_id: str | None) -> None:
    whole = walk(run.caller, label, group_id, limit=MAX_LIMIT, max_pages=LONG_LIST_PAGES)
    if whole.status != 200:
        return  # not readable for this token (a stale id); other checks judge that status
    _raise_problem(label, whole)
    if whole.truncated:
        raise ProbeSkipped(f"{label} holds more than {LONG_LIST_PAGES * MAX_LIMIT} items: not walked twice")
    count = len(whole.items)
    limit = 1 if count <= 2 else 2 if count <= 100 else -(-count // 50)  # at most ~50 small pages
    small = walk(run.caller, label, group_id, limit=limit, max_pages=-(-count // limit) + 3, known_size=count)
    if small.status != 200:
        raise ProbeSkipped(f"{label} answered {whole.status} then {small.status} for the same list")
    # A walk that skipped items often also ends on an empty page: report the missing items first.
    if small.problem is None or small.problem[0] is TokenOnLastPage:
        _compare_items(label, group_id, whole, small)
    _raise_problem(label, small)


def _compare_items(label: str, group_id: str | None, whole: Walk, small: Walk) -> None:
    expected, seen = whole.keys, small.keys
    if set(expected) == set(seen):
        return
    missing = [key for key in expected if key not in seen]
    extra = [key for key in seen if key not in expected]
    where = f" of group {group_id}" if group_id else ""
    detail = (
        f"walking {label}{where} with limit={small.limit} returned {len(seen)} items in {len(small.pages)} "
        f"pages, with limit={MAX_LIMIT} {len(expected)} items; expected the same items"
    )
    if missing:
        detail += f"; missing from the small pages: {', '.join(missing[:5])}"
    if extra:
        detail += f"; only in the small pages: {', '.join(extra[:5])}"
    raise MissingItem(operation=label, detail=detail, steps=[*whole.steps(2), *small.steps()])


def _raise_problem(label: str, result: Walk) -> None:
    if result.problem is not None:
        failure, detail = result.problem
        raise failure(operation=label, detail=detail, steps=result.steps())


def _reject_foreign_token(run: RunContext, label: str) -> None:
    query: dict[str, Any] = {"nextToken": BAD_TOKEN}
    if LISTS[label][1]:
        groups = visible_groups(run)
        if not groups:
            raise ProbeSkipped("the token sees no group to ask a list of")
        query["groupId"] = groups[0]["id"]
    reply = run.caller.send(label, query=query)
    if reply.status != 400:
        raise ForeignTokenAccepted(
            operation=label,
            detail=f"{reply.brief()} to nextToken={BAD_TOKEN!r}, a cursor it never issued; expected 400 "
            "(INVALID_NEXT_TOKEN)",
            steps=[reply.curl],
        )
