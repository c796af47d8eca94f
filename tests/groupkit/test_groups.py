"""groupkit.groups and the access rules under it: the move rule (a move keeps the group's Subscribers), and
the caller's groups at any depth of sub-groups (iterative, linear in the groups the caller sees); in the
store and on the wire."""

from __future__ import annotations

import copy
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from groupkit import access
from groupkit.app import create_app
from groupkit.errors import Conflict, Forbidden
from groupkit.model import GroupChanges
from groupkit.state import State
from groupkit.store import Store
from tests.backends import StoreFactory
from tests.conftest import DEFAULT_WORLD, ROOT, auth, group_id, serve, user_id
from tests.groupkit.test_app import assert_error

ACME, LYON, ROTTERDAM, REEFER, NORDIC, OSLO = (
    group_id(DEFAULT_WORLD, name)
    for name in (
        "ACME Logistics",
        "ACME Lyon Warehouse",
        "ACME Rotterdam Port",
        "Rotterdam Reefer Fleet",
        "Nordic Cold Chain",
        "Nordic Oslo Depot",
    )
)
ALICE, BRUNO, EVA, DAN = (user_id(DEFAULT_WORLD, name) for name in ("alice", "bruno", "eva", "dan"))


StoreOf = Callable[..., Store]


@pytest.fixture
def store_of(make_store: StoreFactory) -> StoreOf:
    """A store of `world` (the default one if none) over the test's backend (memory or Redis)."""

    def of(world: dict[str, Any] | None = None) -> Store:
        return make_store(world or DEFAULT_WORLD, rng=random.Random(3), today=lambda: "2026-11-25")

    return of


def move(store: Store, user: str, group: str, parent: str) -> str:
    return store.update_group(user, group, GroupChanges(parent_id=parent)).group.parent or ""


# ----------------------------------------------------------------- the move rule


@pytest.mark.parametrize("moved", [LYON, ROTTERDAM], ids=["leaf", "with-sub-groups"])
def test_an_administrator_cannot_move_a_group_out_of_its_subscribers_reach(
    moved: str, store_of: StoreOf
) -> None:
    """The issue's case: Bruno (Administrator of ACME) moves an ACME group under a group of his own."""
    store = store_of()
    own = store.create_group(BRUNO, name="Bruno's own").group.id
    before = store.export()
    with pytest.raises(Forbidden, match="Subscriber"):
        move(store, BRUNO, moved, own)
    assert store.export() == before
    assert store.get_group(ALICE, moved).role.id == "subscriber"


def test_a_subscriber_cannot_move_a_group_out_of_her_subscription_either(store_of: StoreOf) -> None:
    """Alice administers a top-level group of her own, with no Subscriber: a move there would end her
    Subscriber role in Lyon."""
    store = store_of()
    own = store.create_group(ALICE, name="Alice's own").group.id
    with pytest.raises(Forbidden):
        move(store, ALICE, LYON, own)


def test_moves_within_a_subscription_are_free(store_of: StoreOf) -> None:
    store = store_of()
    assert move(store, BRUNO, REEFER, LYON) == LYON
    assert move(store, BRUNO, LYON, ROTTERDAM) == ROTTERDAM
    assert store.get_group(ALICE, REEFER).role.id == "subscriber"


def test_a_group_without_a_subscriber_may_join_a_subscription(store_of: StoreOf) -> None:
    store = store_of()
    own = store.create_group(BRUNO, name="Bruno's own").group.id
    child = store.create_group(BRUNO, name="Child", parent_id=own).group.id
    assert move(store, BRUNO, own, ACME) == ACME
    assert store.get_group(ALICE, child).role.id == "subscriber"


def test_a_subscriber_held_in_the_group_itself_moves_with_it(store_of: StoreOf) -> None:
    """Eva is Subscriber of Nordic directly; made an Administrator of ACME, she may bring Nordic under it."""
    store = store_of()
    store.invite(ALICE, ACME, "eva.lindqvist@nordic-coldchain.example", "administrator")
    assert move(store, EVA, NORDIC, ACME) == ACME
    assert store.get_group(EVA, OSLO).role.id == "subscriber"
    assert store.get_group(ALICE, OSLO).role.id == "subscriber"


def test_a_move_between_two_lines_with_the_same_subscriber_is_allowed(store_of: StoreOf) -> None:
    world = copy.deepcopy(DEFAULT_WORLD)
    world["memberships"] += [
        {"groupId": NORDIC, "userId": ALICE, "roleId": "subscriber"},
        {"groupId": NORDIC, "userId": BRUNO, "roleId": "administrator"},
    ]
    store = store_of(world)
    assert move(store, BRUNO, LYON, NORDIC) == NORDIC
    assert store.get_group(ALICE, LYON).role.id == "subscriber"
    # Back is refused: Eva, Subscriber of Lyon under Nordic, is no Subscriber of ACME.
    with pytest.raises(Forbidden):
        move(store, BRUNO, LYON, ACME)


def test_a_cycle_is_still_a_conflict_before_the_move_rule(store_of: StoreOf) -> None:
    store = store_of()
    with pytest.raises(Conflict):
        move(store, ALICE, ACME, REEFER)


def test_the_move_rule_on_the_wire(client: httpx.Client) -> None:
    own = client.post("/group", json={"name": "Bruno's own"}, headers=auth("bruno"))
    assert own.status_code == 200, own.text
    before = client.get("/__mock__/state").json()
    refused = client.put("/group", json={"groupId": LYON, "parent": own.json()["id"]}, headers=auth("bruno"))
    body = assert_error(refused, 403, "FORBIDDEN")
    assert "Subscriber" in body["message"]
    assert client.get("/__mock__/state").json() == before
    assert client.get("/group", params={"groupId": LYON}, headers=auth("alice")).status_code == 200


# ----------------------------------------------------------------- deep chains of sub-groups


def chain_world(depth: int, *, members_from_the_bottom: bool = False) -> dict[str, Any]:
    """The default world with a chain of `depth` nested sub-groups under ACME, each created by Alice (so
    she is its Administrator) and with Dan as Viewer, Installer, Administrator in turn down the chain."""
    world = copy.deepcopy(DEFAULT_WORLD)
    parent, memberships = ACME, []
    for level in range(depth):
        group = str(uuid.UUID(int=level + 1, version=4))
        world["groups"].append(
            {
                "id": group,
                "name": f"level {level}",
                "parent": parent,
                "ownerId": ALICE,
                "token": f"gtk_{level:032x}",
                "createdAt": "2026-01-01",
                "updatedAt": "2026-01-01",
            }
        )
        memberships.append({"groupId": group, "userId": ALICE, "roleId": "administrator"})
        memberships.append(
            {"groupId": group, "userId": DAN, "roleId": ("viewer", "installer", "administrator")[level % 3]}
        )
        parent = group
    world["memberships"] += memberships[::-1] if members_from_the_bottom else memberships
    return world


@pytest.mark.slow
def test_the_groups_of_a_deep_chain_carry_the_effective_role(store_of: StoreOf) -> None:
    store = store_of(chain_world(2000, members_from_the_bottom=True))
    for user, expected in ((ALICE, {"subscriber"}), (DAN, {"viewer", "installer", "administrator"})):
        items, token = [], None
        while True:
            page = store.list_user_groups(user, 100, token)
            items += page.items
            if (token := page.next_token) is None:
                break
        assert len(items) == 2004
        assert {view.role.id for view in items} == expected
        for view in items[::97]:  # the same role `GET /group` shows (an ancestry walk)
            assert store.get_group(user, view.group.id).role == view.role


@pytest.mark.parametrize("from_the_bottom", [False, True], ids=["members-from-the-top", "from-the-bottom"])
def test_the_visible_groups_are_found_in_linear_time(
    monkeypatch: pytest.MonkeyPatch, from_the_bottom: bool
) -> None:
    """Each group's children are looked up a bounded number of times (at most once per role that reaches
    it), whatever the order of the memberships: no quadratic walk of a chain."""
    calls = 0
    children = State.children

    def counted(self: State, group: str) -> Any:
        nonlocal calls
        calls += 1
        return children(self, group)

    # Memory only: this counts `State.children` calls of `access.visible_groups` over a `State`, the same
    # code whatever holds the state; a Redis replica would only add the cost of its snapshot.
    state = Store.from_world(chain_world(3000, members_from_the_bottom=from_the_bottom))._state
    monkeypatch.setattr(State, "children", counted)
    for user in (ALICE, DAN):
        calls = 0
        found = access.visible_groups(state, user)
        assert len(found) == 3004
        assert calls <= 4 * len(found), (user, calls)


def test_moving_and_creating_at_the_bottom_of_a_deep_chain(store_of: StoreOf) -> None:
    store = store_of(chain_world(2000))
    bottom = str(uuid.UUID(int=2000, version=4))
    child = store.create_group(ALICE, name="below the bottom", parent_id=bottom).group.id
    with pytest.raises(Conflict):
        move(store, ALICE, ACME, child)  # under its own descendant, 2,002 levels down
    assert move(store, ALICE, child, LYON) == LYON


@pytest.mark.parametrize(
    "depth", [pytest.param(1200, id="1200"), pytest.param(5000, id="5000", marks=pytest.mark.slow)]
)
def test_a_deep_chain_answers_quickly_on_the_wire(depth: int) -> None:
    """Before: a recursive walk answered 500 (RecursionError) from ~950 levels, and took seconds at 800."""
    with serve(create_app(chain_world(depth))) as url, httpx.Client(base_url=url, timeout=30) as http:
        started = time.perf_counter()
        first = http.get("/user/groups", params={"limit": 100}, headers=auth("alice"))
        elapsed = time.perf_counter() - started
        assert first.status_code == 200, first.text
        assert len(first.json()["items"]) == 100 and first.json()["nextToken"]
        assert elapsed < 1.5, f"GET /user/groups took {elapsed:.2f} s"
        assert http.get("/user/groups", headers=auth("dan")).status_code == 200
        assert http.get("/user/groups", headers=auth("eva")).status_code == 200  # another tenant


# ----------------------------------------------------------------- what the README says of Dan


def test_the_readmes_line_about_dan_is_true(client: httpx.Client) -> None:
    """README: Dan is Viewer of ACME, read-only there (403), but may leave or create a top-level group."""
    (line,) = [
        row for row in (ROOT / "README.md").read_text("utf-8").splitlines() if "`demo-token-dan`" in row
    ]
    assert "403" in line and "leave" in line and "top-level group" in line
    dan = auth("dan")
    refused = [
        client.put("/group", json={"groupId": ACME, "name": "x"}, headers=dan),
        client.post("/group", params={"parentId": ACME}, json={"name": "x"}, headers=dan),
        client.put(
            "/group/invite",
            json={"email": "x@example.test", "groupId": ACME, "roleId": "viewer"},
            headers=dan,
        ),
        client.put("/group/user", json={"groupId": ACME, "userId": BRUNO, "roleId": "viewer"}, headers=dan),
        client.delete("/group/user", params={"groupId": ACME, "userId": BRUNO}, headers=dan),
        client.post(
            "/group/apiKey", json={"groupId": ACME, "type": "X", "token": "t", "name": "n"}, headers=dan
        ),
        client.delete("/group/apiKey", params={"groupId": ACME, "type": "sigfox"}, headers=dan),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert client.post("/group", json={"name": "Dan's own"}, headers=dan).status_code == 200
    assert client.delete("/group/user", params={"groupId": ACME}, headers=dan).status_code == 200
