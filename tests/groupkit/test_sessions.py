"""groupkit.sessions: `X-Mock-Session` gives each caller its own world and journal, bounded in number and idle
time, through the API, the security lookup, the journal and the control API; one wire test runs two suites
in parallel against a real server."""

from __future__ import annotations

import copy
import gc
import logging
import threading
import tracemalloc
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from groupkit.app import MockApp, create_app
from groupkit.cli import main
from groupkit.handlers import OPERATIONS
from groupkit.journal import Journal
from groupkit.sessions import SESSION_HEADER, InvalidSessionName, Sessions, World, check_name
from groupkit.statefile import read as read_state_file
from groupkit.store import Store
from tests.conftest import CONTROL, DEFAULT_WORLD, auth, serve

START_GROUPS = len(DEFAULT_WORLD["groups"])
PAGE = "http://127.0.0.1:5173"


def session(name: str, who: str = "alice") -> dict[str, str]:
    return {SESSION_HEADER: name, **auth(who)}


def in_process(app: MockApp) -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 5000))


@pytest.fixture(scope="module")
def mock() -> MockApp:
    return create_app(seed=7)


@pytest.fixture
def http(mock: MockApp) -> Iterator[TestClient]:
    """The module's mock in process, its default world reset; each test uses session names of its own."""
    mock.reset()
    mock.journal.clear()
    with in_process(mock) as client:
        yield client


def group_names(http: TestClient, headers: dict[str, str]) -> set[str]:
    answer = http.get("/user/groups", params={"limit": 100}, headers=headers)
    assert answer.status_code == 200, answer.text
    return {group["name"] for group in answer.json()["items"]}


# ----------------------------------------------------------------------------- the rules, on Sessions itself


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def sessions(max_sessions: int = 3, idle_seconds: float = 60, clock: Clock | None = None) -> Sessions:
    journal = lambda: Journal(10, {})  # noqa: E731
    return Sessions(
        World(Store(), journal()),
        Store,
        journal,
        max_sessions=max_sessions,
        idle_seconds=idle_seconds,
        clock=clock or Clock(),
    )


def test_a_session_is_created_once_and_found_again() -> None:
    kept = sessions()
    first = kept.select("suite-a")
    assert kept.select("suite-a") is first and kept.find("suite-a") is first
    assert first.store is not kept.default.store and first.journal is not kept.default.journal
    assert kept.find("suite-b") is None and len(kept) == 1


def test_the_least_recently_used_session_is_evicted_when_full(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    kept = sessions(max_sessions=3, clock=clock)
    for name in ("a", "b", "c"):
        kept.select(name)
        clock.now += 1
    kept.select("a")  # used again: now "b" is the least recently used
    with caplog.at_level(logging.WARNING, logger="groupkit.sessions"):
        kept.select("d")
    assert [item["name"] for item in kept.listing()] == ["c", "a", "d"]
    assert len(caplog.records) == 1
    assert "'b' evicted" in caplog.text and "--max-sessions" in caplog.text and "'d'" in caplog.text


def test_an_idle_session_expires(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    kept = sessions(max_sessions=10, idle_seconds=60, clock=clock)
    kept.select("old")
    clock.now += 50
    kept.select("recent")
    clock.now += 10  # "old" idle 60 s, "recent" 10 s
    with caplog.at_level(logging.WARNING, logger="groupkit.sessions"):
        assert kept.find("old") is None
    assert kept.find("recent") is not None and len(kept) == 1
    assert "'old' expired" in caplog.text and "--session-idle" in caplog.text


@pytest.mark.parametrize("name", ["a", "suite-A_1", "gw0:checkout.spec", "9" * 64])
def test_a_good_name_is_taken(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "a b", "-lead", ".", "x" * 65, "caf\u00e9", "a/b", "a\tb", "a;b"], ids=repr
)
def test_a_bad_name_is_refused(name: str) -> None:
    with pytest.raises(InvalidSessionName, match="letters, digits"):
        sessions().select(name)


# ----------------------------------------------------------------------------- the API, in process


def test_a_session_starts_from_the_start_world_and_keeps_its_writes(http: TestClient) -> None:
    http.post("/group", json={"name": "Only default"}, headers=auth("alice")).raise_for_status()
    http.post("/group", json={"name": "Only A"}, headers=session("iso-a")).raise_for_status()
    assert "Only A" in group_names(http, session("iso-a"))
    assert "Only default" not in group_names(http, session("iso-a"))  # a copy of the start world
    assert not {"Only A", "Only default"} & group_names(http, session("iso-b"))
    assert "Only A" not in group_names(http, auth("alice"))
    health = http.get("/__mock__/health", headers={SESSION_HEADER: "iso-a"}).json()
    assert health == {"status": "ok", "users": len(DEFAULT_WORLD["users"]), "groups": START_GROUPS + 1,
                      "session": "iso-a"}  # fmt: skip


def test_a_seeded_mock_gives_each_session_the_ids_the_default_world_got(http: TestClient) -> None:
    made = [
        http.post("/group", json={"name": "Same"}, headers=headers).json()["id"]
        for headers in (auth("alice"), session("seed-a"), session("seed-b"))
    ]
    assert len(set(made)) == 1, made


def test_a_cursor_of_one_session_is_refused_in_another(http: TestClient) -> None:
    first = http.get("/user/groups", params={"limit": 1}, headers=session("cursor-a")).json()
    token = first["nextToken"]
    assert http.get(
        "/user/groups", params={"limit": 1, "nextToken": token}, headers=session("cursor-a")
    ).is_success
    other = http.get("/user/groups", params={"limit": 1, "nextToken": token}, headers=session("cursor-b"))
    assert other.status_code == 400 and other.json()["code"] == "INVALID_NEXT_TOKEN"


def test_the_token_lookup_uses_the_sessions_world(http: TestClient) -> None:
    world = copy.deepcopy(DEFAULT_WORLD)
    alice = next(user for user in world["users"] if user.get("token") == "demo-token-alice")
    alice["token"] = "session-only-token"
    headers = {"X-Mock-Control": "1", SESSION_HEADER: "tokens"}
    assert http.put("/__mock__/state", json=world, headers=headers).status_code == 200
    mine = {SESSION_HEADER: "tokens", "Authorization": "session-only-token"}
    assert http.get("/user/groups", headers=mine).status_code == 200
    assert (
        http.get("/user/groups", headers=session("tokens")).status_code == 401
    )  # the old token is gone there
    assert http.get("/user/groups", headers={"Authorization": "session-only-token"}).status_code == 401
    journal = http.get("/__mock__/journal", headers={SESSION_HEADER: "tokens"}).json()["items"]
    assert [entry["caller"] for entry in journal] == [alice["id"], None]


def test_a_plain_handler_in_the_thread_pool_gets_the_sessions_store() -> None:
    seen: list[Store] = []
    list_roles = OPERATIONS["listRoles"]

    def plain(store: Store, user: str, limit: int = 20, next_token: str | None = None) -> Any:
        seen.append(store)
        return {"items": [{"id": r.id, "name": r.name} for r in store.list_roles(limit, next_token).items]}

    assert list_roles is not plain
    app = create_app(operations={**OPERATIONS, "listRoles": plain}, validate_responses=False)
    with in_process(app) as http:
        assert http.get("/group/roles", headers=session("pool")).status_code == 200
        assert http.get("/group/roles", headers=auth("alice")).status_code == 200
    pool = app.sessions.find("pool")
    assert pool is not None and seen == [pool.store, app.store]


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({SESSION_HEADER: "a b"}, id="space"),
        pytest.param({SESSION_HEADER: ""}, id="empty"),
        pytest.param({SESSION_HEADER: "x" * 65}, id="too-long"),
    ],
)
def test_a_bad_session_header_is_a_400_with_the_error_body(http: TestClient, headers: dict[str, str]) -> None:
    for answer in (
        http.get("/user/groups", headers={**auth("alice"), **headers}),
        http.get("/__mock__/health", headers=headers),
    ):
        assert answer.status_code == 400 and answer.headers["content-type"] == "application/json"
        body = answer.json()
        assert body["code"] == "BAD_REQUEST" and SESSION_HEADER in body["message"], body


def test_a_repeated_session_header_is_a_400(http: TestClient) -> None:
    headers = [(SESSION_HEADER, "one"), (SESSION_HEADER, "two"), ("Authorization", "demo-token-alice")]
    answer = http.get("/user/groups", headers=httpx.Headers(headers))
    assert answer.status_code == 400 and "once" in answer.json()["message"]
    assert http.app.sessions.find("one") is None  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- the control API per session


def test_reset_goes_back_to_the_start_world_for_that_session_only(http: TestClient) -> None:
    for name in ("reset-a", "reset-b"):
        http.post("/group", json={"name": f"In {name}"}, headers=session(name)).raise_for_status()
    http.post("/group", json={"name": "In default"}, headers=auth("alice")).raise_for_status()
    answer = http.post("/__mock__/reset", headers={**CONTROL, SESSION_HEADER: "reset-a"})
    assert answer.json() == {"status": "reset", "users": len(DEFAULT_WORLD["users"]), "groups": START_GROUPS,
                             "session": "reset-a"}  # fmt: skip
    assert http.get("/__mock__/state", headers={SESSION_HEADER: "reset-a"}).json() == DEFAULT_WORLD
    assert "In reset-b" in group_names(http, session("reset-b"))
    assert "In default" in group_names(http, auth("alice"))


def test_reset_and_import_create_a_session_but_a_refused_import_does_not(http: TestClient) -> None:
    assert http.post("/__mock__/reset", headers={**CONTROL, SESSION_HEADER: "fresh"}).status_code == 200
    broken = copy.deepcopy(DEFAULT_WORLD)
    broken["devices"][0].pop("groupId")
    refused = http.put("/__mock__/state", json=broken, headers={SESSION_HEADER: "broken"})
    assert refused.status_code == 400 and refused.json()["message"].startswith("Not a valid world")
    empty = {"format": DEFAULT_WORLD["format"], "users": [], "groups": [], "memberships": [], "devices": []}
    imported = http.put("/__mock__/state", json=empty, headers={SESSION_HEADER: "imported"})
    assert imported.json() == {"status": "imported", "users": 0, "groups": 0, "session": "imported"}
    names = [item["name"] for item in http.get("/__mock__/sessions").json()["items"]]
    assert "fresh" in names and "imported" in names and "broken" not in names
    assert http.get("/__mock__/health").json()["groups"] == START_GROUPS  # the default world untouched


def test_export_and_import_move_a_world_between_sessions(http: TestClient) -> None:
    http.post("/group", json={"name": "Moved"}, headers=session("from")).raise_for_status()
    exported = http.get("/__mock__/state", headers={SESSION_HEADER: "from"}).json()
    http.put("/__mock__/state", json=exported, headers={SESSION_HEADER: "to"}).raise_for_status()
    assert "Moved" in group_names(http, session("to"))
    assert http.get("/__mock__/state", headers={SESSION_HEADER: "to"}).json() == exported


def test_each_session_has_its_own_journal(http: TestClient) -> None:
    http.get("/group/roles", headers=session("journal-a"))
    http.post("/group", json={"name": "B"}, headers=session("journal-b"))
    http.post("/group", json={"name": "B2"}, headers=session("journal-b"))
    read = lambda name: http.get("/__mock__/journal", headers={SESSION_HEADER: name}).json()["items"]  # noqa: E731
    assert [entry["operationId"] for entry in read("journal-a")] == ["listRoles"]
    assert [entry["operationId"] for entry in read("journal-b")] == ["createGroup", "createGroup"]
    assert http.get("/__mock__/journal").json()["items"] == []  # the default journal saw none of them
    cleared = http.delete("/__mock__/journal", headers={**CONTROL, SESSION_HEADER: "journal-b"})
    assert cleared.json() == {"cleared": 2}
    assert read("journal-b") == [] and len(read("journal-a")) == 1


def test_sessions_are_listed_and_deleted(http: TestClient) -> None:
    http.get("/group/roles", headers=session("listed"))
    listing = http.get("/__mock__/sessions").json()
    assert listing["maxSessions"] == 100 and listing["sessionIdleSeconds"] == 1800
    item = next(item for item in listing["items"] if item["name"] == "listed")
    assert set(item) == {"name", "created", "lastUsed", "idleSeconds", "users", "groups", "journal"}
    assert item["groups"] == START_GROUPS and item["journal"] == 1 and item["created"].endswith("+00:00")
    assert http.delete("/__mock__/sessions/listed").status_code == 403  # X-Mock-Control needed
    assert http.delete("/__mock__/sessions/listed", headers=CONTROL).json() == {"deleted": "listed"}
    assert http.delete("/__mock__/sessions/listed", headers=CONTROL).status_code == 404
    assert http.get("/__mock__/sessions/listed").status_code == 405


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/__mock__/health"),
        ("GET", "/__mock__/users"),
        ("GET", "/__mock__/state"),
        ("GET", "/__mock__/journal"),
        ("DELETE", "/__mock__/journal"),
    ],
)
def test_a_control_call_on_an_unknown_session_is_404(http: TestClient, method: str, path: str) -> None:
    answer = http.request(method, path, headers={**CONTROL, SESSION_HEADER: "never-used"})
    assert answer.status_code == 404 and answer.json()["code"] == "NOT_FOUND", answer.text
    assert "never-used" in answer.json()["message"]


def test_the_control_apis_refusals_come_first() -> None:
    app = create_app(admin_token="s3cret")
    with in_process(app) as http:
        assert http.get("/__mock__/sessions").status_code == 401
        assert http.get("/__mock__/health", headers={SESSION_HEADER: "a b"}).status_code == 401
        admin = {"X-Mock-Admin-Token": "s3cret"}
        assert http.get("/__mock__/sessions", headers=admin).status_code == 200
    with TestClient(app, base_url="http://127.0.0.1", client=("192.0.2.9", 5000)) as remote:
        assert remote.delete("/__mock__/sessions/x", headers={**CONTROL, **admin}).status_code == 403


# ----------------------------------------------------------------------------- CORS, state file, command line


@pytest.mark.parametrize("allow_headers", [("*",), ("X-Request-Id",)], ids=["any-header", "listed-headers"])
def test_a_preflight_allows_the_session_header(allow_headers: tuple[str, ...]) -> None:
    with in_process(create_app(cors_allow_headers=allow_headers)) as http:
        asked = {
            "Origin": PAGE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, x-mock-session",
        }
        preflight = http.options("/group", headers=asked)
        assert preflight.status_code == 200, preflight.text
        assert "x-mock-session" in preflight.headers["access-control-allow-headers"].lower()
        answer = http.post(
            "/group", json={"name": "From a page"}, headers={"Origin": PAGE, **session("page")}
        )
        assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == "*"


def test_the_state_file_keeps_the_default_world_only(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    app = create_app(state_file=path)
    with in_process(app) as http:
        http.post("/group", json={"name": "Session only"}, headers=session("unsaved")).raise_for_status()
        http.post("/group", json={"name": "Saved"}, headers=auth("alice")).raise_for_status()
    assert app.saver is not None
    app.saver.save()
    saved = read_state_file(path)
    assert saved is not None
    exported = Store(saved[0]).export()
    names = {group["name"] for group in exported["groups"]}
    assert "Saved" in names and "Session only" not in names


def test_the_mock_command_passes_its_session_options(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def refuse(*_args: Any, **options: Any) -> MockApp:
        seen.update(options)
        raise ValueError("stop here")

    monkeypatch.setattr("groupkit.app.create_app", refuse)
    assert main(["mock", "--max-sessions", "7", "--session-idle", "90"]) == 2
    assert (seen["max_sessions"], seen["session_idle"]) == (7, 90.0)
    assert main(["mock"]) == 2 and (seen["max_sessions"], seen["session_idle"]) == (100, 1800.0)


# ----------------------------------------------------------------------------- memory, and the wire


def make_sessions(app: MockApp, http: TestClient, indexes: range) -> list[weakref.ref[Store]]:
    """A session per index, each with one write; weak references to their stores."""
    stores = []
    for index in indexes:
        answer = http.post("/group", json={"name": f"g{index}"}, headers=session(f"many-{index}"))
        assert answer.status_code == 200, answer.text
        found = app.sessions.find(f"many-{index}")
        assert found is not None
        stores.append(weakref.ref(found.store))
    return stores


@pytest.mark.slow
def test_evicted_sessions_are_freed() -> None:
    app = create_app(seed=7, max_sessions=2)
    with in_process(app) as http:
        stores = make_sessions(app, http, range(6))
    gc.collect()
    assert len(app.sessions) == 2
    assert [ref() is None for ref in stores] == [True] * 4 + [False] * 2


@pytest.mark.slow
def test_memory_stays_flat_while_sessions_come_and_go() -> None:
    """Each session kept costs ~35 KB of the default world (measured); evicted ones are freed entirely."""
    app = create_app(seed=7, max_sessions=3)
    tracemalloc.start()  # before the first session: the live ones are traced at both measures
    try:
        with in_process(app) as http:
            make_sessions(app, http, range(6))  # warm up: every cache filled, the bound reached
            gc.collect()
            before = tracemalloc.get_traced_memory()[0]
            make_sessions(app, http, range(6, 36))
            gc.collect()
            growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(app.sessions) == 3
    # 30 sessions kept would take ~1 MB; measured: ~10-60 KB (the libraries' small caches), whatever the count
    assert growth < 250_000, growth


@pytest.mark.slow  # ~1-1.5 s on 2 busy cores: a server, two clients, 32 requests
def test_two_suites_writing_in_parallel_see_only_their_own_writes() -> None:
    """The wire test: two threads, each a suite with its own session, create groups at the same time
    against one real server and then list; each sees its own groups and none of the other's."""
    app = create_app(seed=7)
    errors: list[BaseException] = []
    seen: dict[str, set[str]] = {}
    start = threading.Barrier(2)

    def suite(url: str, name: str) -> None:
        try:
            with httpx.Client(base_url=url, headers=session(name), timeout=10) as http:
                start.wait()
                for index in range(15):
                    http.post("/group", json={"name": f"{name}-{index}"}).raise_for_status()
                items = http.get("/user/groups", params={"limit": 100}).json()["items"]
                seen[name] = {group["name"] for group in items}
        except BaseException as error:  # noqa: BLE001  # reported by the main thread
            errors.append(error)

    with serve(app) as url:
        threads = [threading.Thread(target=suite, args=(url, name)) for name in ("suite-a", "suite-b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        default = httpx.get(f"{url}/user/groups", params={"limit": 100}, headers=auth("alice")).json()
    assert not errors, errors
    for name, other in (("suite-a", "suite-b"), ("suite-b", "suite-a")):
        mine = {n for n in seen[name] if n.startswith("suite-")}
        assert mine == {f"{name}-{index}" for index in range(15)}, (name, sorted(mine))
        assert len(seen[name]) == len(default["items"]) + 15 and not any(
            n.startswith(other) for n in seen[name]
        )
    assert not [group for group in default["items"] if group["name"].startswith("suite-")]
