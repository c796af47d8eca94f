"""`groupkit mock --watch`'s swap logic, in process: what a contract change keeps (the world, sessions, the
journal, run-time fault settings), what a world change replaces (the default world; sessions dropped), and
broken files refused while the previous mock goes on serving."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from groupkit.app import MockApp, create_app
from groupkit.reload import Reloader
from tests.conftest import CONTROL, DEFAULT_WORLD, ROOT, auth, group_id, start_mock

ACME = group_id(DEFAULT_WORLD, "ACME Logistics")
NEW_GROUP = {"parent": ACME}


def build(world: dict[str, Any], contract: Path) -> MockApp:
    return create_app(world, contract_path=contract, seed=3)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    contract = tmp_path / "openapi.yaml"
    shutil.copyfile(ROOT / "openapi.yaml", contract)
    world = tmp_path / "world.json"
    world.write_text(json.dumps(DEFAULT_WORLD), encoding="utf-8")
    return contract, world


@pytest.fixture
def said() -> list[str]:
    return []


@pytest.fixture
def reloader(files: tuple[Path, Path], said: list[str]) -> Reloader:
    contract, world = files
    return Reloader(build(DEFAULT_WORLD, contract), build, contract=contract, world=world, say=said.append)


@pytest.fixture
def http(reloader: Reloader) -> Iterator[TestClient]:
    with TestClient(reloader, base_url="http://127.0.0.1", client=("127.0.0.1", 50000)) as client:
        yield client


def acme_name(http: TestClient, session: str | None = None) -> str:
    headers = {**auth("alice"), **({"X-Mock-Session": session} if session else {})}
    answer = http.get("/group", params={"groupId": ACME}, headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()[0]["name"])  # the contract's array of one group


def create(http: TestClient, session: str | None = None) -> str:
    """A new group under ACME, named after the world it is created in."""
    headers = {**auth("alice"), **({"X-Mock-Session": session} if session else {})}
    answer = http.post("/group", json={**NEW_GROUP, "name": f"made in {session}"}, headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def exists(http: TestClient, group: str, session: str | None = None) -> bool:
    """Whether `group` is there in the world of `session`, as that world created it (a seeded session draws
    the same ids as the default world, so the name tells them apart)."""
    headers = {**auth("alice"), **({"X-Mock-Session": session} if session else {})}
    answer = http.get("/group", params={"groupId": group}, headers=headers)
    return answer.status_code == 200 and answer.json()[0]["name"] == f"made in {session}"


def rename_acme(world: Path, name: str) -> None:
    data = json.loads(world.read_text("utf-8"))
    next(g for g in data["groups"] if g["id"] == ACME)["name"] = name
    world.write_text(json.dumps(data), encoding="utf-8")


def test_nothing_is_reloaded_when_no_file_changed(reloader: Reloader, files: tuple[Path, Path]) -> None:
    before = reloader.app
    files[1].write_text(files[1].read_text("utf-8"), encoding="utf-8")  # saved, unchanged
    assert reloader.reload() is None
    assert reloader.app is before


@pytest.mark.slow  # ~1.4 s: two mocks built, requests on both
def test_a_contract_change_keeps_the_world_sessions_journal_and_fault_settings(
    reloader: Reloader, http: TestClient, files: tuple[Path, Path], said: list[str]
) -> None:
    mine, theirs = create(http), create(http, session="suite-a")
    settings = {"delay": "0ms", "faultRate": 0.0, "dropRate": 0.0, "seed": 5}
    assert http.put("/__mock__/behaviour", json=settings).status_code == 200
    journal = len(http.get("/__mock__/journal").json()["items"])
    old = reloader.app
    contract = files[0]
    contract.write_text(contract.read_text("utf-8").replace("title: UnaConnect Group API", "title: Edited"))

    line = reloader.reload()

    assert reloader.app is not old
    assert line == (
        "reloaded openapi.yaml: kept the world, 1 session(s), the journal, the latency and fault settings"
    )
    assert said == [line]
    assert http.get("/openapi.json").json()["info"]["title"] == "Edited"
    assert exists(http, mine) and exists(http, theirs, session="suite-a")
    assert len(http.get("/__mock__/journal").json()["items"]) >= journal
    assert http.get("/__mock__/behaviour").json()["behaviour"]["seed"] == 5
    assert reloader.app.store is old.store


def test_a_world_change_serves_the_new_world_and_drops_sessions(
    reloader: Reloader, http: TestClient, files: tuple[Path, Path], said: list[str]
) -> None:
    mine, theirs = create(http), create(http, session="suite-a")
    store = reloader.app.store
    rename_acme(files[1], "ACME (edited)")

    line = reloader.reload()

    assert line == (
        "reloaded world.json: the default world is the new one; 1 session(s) dropped (copies of the old"
        " world); kept the journal"
    )
    assert acme_name(http) == "ACME (edited)" == acme_name(http, session="suite-a")
    assert not exists(http, mine) and not exists(http, theirs, session="suite-a")
    assert reloader.app.store is store  # the same store, so a --state file follows it
    http.post("/__mock__/reset", headers=CONTROL)
    assert acme_name(http) == "ACME (edited)"  # reset goes back to the new world


@pytest.mark.parametrize(
    "breaking, reason",
    [
        pytest.param(lambda world, _: world.write_text("{"), "world.json", id="world-not-json"),
        pytest.param(
            lambda world, _: world.write_text(json.dumps({"groups": [{"id": "g"}]})),
            "groups[0]: 'token' is a required property",
            id="world-invalid",
        ),
        pytest.param(
            lambda _, contract: contract.write_text("openapi: [\n"), "openapi.yaml", id="contract-yaml"
        ),
        pytest.param(lambda _, contract: contract.write_text("openapi: 3.0.3\n"), "", id="contract-invalid"),
        pytest.param(lambda world, _: world.unlink(), "No such file", id="world-deleted"),
    ],
)
def test_a_broken_file_is_refused_and_the_previous_mock_serves_on(
    reloader: Reloader,
    http: TestClient,
    files: tuple[Path, Path],
    said: list[str],
    breaking: Any,
    reason: str,
) -> None:
    mine = create(http)
    old = reloader.app
    contract, world = files
    breaking(world, contract)

    line = reloader.reload()

    assert line is not None and line.startswith(
        "not reloaded, still serving the previous contract and world: "
    )
    assert reason in line and "\n" not in line
    assert reloader.app is old and exists(http, mine) and acme_name(http) == "ACME Logistics"
    assert said == [line]


def test_the_same_broken_files_are_said_once_until_a_reload_succeeds(
    reloader: Reloader, http: TestClient, files: tuple[Path, Path], said: list[str]
) -> None:
    world = files[1]
    world.write_text("{")
    first, again = reloader.reload(), reloader.reload()  # the watcher and a direct reload, say
    assert first is not None and first == again and said == [first]
    world.write_text(json.dumps(DEFAULT_WORLD), encoding="utf-8")
    rename_acme(world, "ACME (fixed)")
    assert reloader.reload() is not None and acme_name(http) == "ACME (fixed)"
    world.write_text("{")
    assert reloader.reload() == first and said == [first, said[1], first]


def test_a_file_fixed_after_a_refusal_is_reloaded(
    reloader: Reloader, http: TestClient, files: tuple[Path, Path], said: list[str]
) -> None:
    world = files[1]
    world.write_text("{")
    assert reloader.reload() is not None and acme_name(http) == "ACME Logistics"
    world.write_text(json.dumps(DEFAULT_WORLD), encoding="utf-8")
    rename_acme(world, "ACME (fixed)")
    assert reloader.reload() is not None and acme_name(http) == "ACME (fixed)"
    assert said[1].startswith("reloaded world.json: ")


def test_the_watcher_runs_with_the_lifespan_and_stops_with_it(reloader: Reloader) -> None:
    with TestClient(reloader, base_url="http://127.0.0.1"):
        assert reloader._task is not None and not reloader._task.done()
    assert reloader._task.done()


@pytest.mark.slow  # a real process: ~3-5 s
def test_groupkit_mock_watch_reloads_an_edited_world_and_refuses_a_broken_one(tmp_path: Path) -> None:
    world = tmp_path / "world.json"
    world.write_text(json.dumps(DEFAULT_WORLD), encoding="utf-8")
    process, url = start_mock("--watch", "--fixtures", str(world))
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stderr.readline, "")), daemon=True)
    reader.start()

    def wait_for(predicate: Any) -> None:
        deadline = time.monotonic() + 20
        while not predicate():
            assert time.monotonic() < deadline, lines
            time.sleep(0.05)

    def acme() -> str:
        answer = httpx.get(f"{url}/group", params={"groupId": ACME}, headers=auth("alice"))
        return str(answer.json()[0]["name"])

    try:
        rename_acme(world, "ACME (edited on disk)")
        wait_for(lambda: acme() == "ACME (edited on disk)")
        wait_for(lambda: any("reloaded world.json: " in line for line in lines))
        world.write_text('{"groups": [{"id": 1}]}', encoding="utf-8")
        wait_for(lambda: any("not reloaded" in line for line in lines))
        refused = next(line for line in lines if "not reloaded" in line)
        assert "world.json: " in refused and "groups[0]" in refused
        assert acme() == "ACME (edited on disk)"  # the previous world, still served
        assert process.poll() is None
    finally:
        process.terminate()
        reader.join(timeout=10)  # stderr ends with the process
        process.communicate(timeout=10)  # and its pipes are closed
