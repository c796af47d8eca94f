"""groupkit.statefile and `groupkit mock --state FILE`: the world read back exactly (cursors included), files
that cannot be read back refused in one line, atomic writes, saves coalesced after changes and made at
shutdown; and the whole loop as real processes: write, SIGTERM, start again, read everything back."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import random
import signal
import stat
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from groupkit import statefile
from groupkit.app import create_app
from groupkit.model import GroupChanges
from groupkit.statefile import Saver, StateFileError
from groupkit.store import Store
from tests.conftest import DEFAULT_WORLD, GROUPKIT, auth, free_port, group_id, serve, start_mock, user_id

ACME = group_id(DEFAULT_WORLD, "ACME Logistics")
LYON = group_id(DEFAULT_WORLD, "ACME Lyon Warehouse")
ALICE, BRUNO = user_id(DEFAULT_WORLD, "alice"), user_id(DEFAULT_WORLD, "bruno")


def changed_store() -> Store:
    store = Store.from_world(copy.deepcopy(DEFAULT_WORLD), rng=random.Random(5), today=lambda: "2026-11-25")
    child = store.create_group(ALICE, name="Child", parent_id=LYON).group.id
    store.invite(BRUNO, ACME, "new@example.test", "installer")
    store.remove_member(ALICE, ACME, user_id(DEFAULT_WORLD, "dan"))
    store.create_api_key(ALICE, child, "TTI", "tti", "secret-1")
    store.update_group(ALICE, child, GroupChanges(description="moved", parent_id=ACME))
    return store


def walk_after(store: Store, token: str | None) -> list[str]:
    ids: list[str] = []
    while True:
        page = store.list_group_users(ALICE, ACME, 1, token)
        ids += [member.user.id for member in page.items]
        if (token := page.next_token) is None:
            return ids


# ----------------------------------------------------------------- read back exactly


def test_a_saved_store_reads_back_as_it_was(tmp_path: Path) -> None:
    store = changed_store()
    cursor = store.list_group_users(ALICE, ACME, 1, None).next_token
    path = tmp_path / "state.json"
    Saver(store, path).save()
    saved = statefile.read(path)
    assert saved is not None
    state, ids = saved
    back = Store(state, rng=ids, today=lambda: "2026-11-25")
    assert back.export() == store.export()
    assert back.snapshot().positions == store.snapshot().positions
    # A cursor issued before pages on the same way after, and new ids continue the generator's sequence.
    assert walk_after(back, cursor) == walk_after(store, cursor)
    assert back.create_group(ALICE, name="x").group.id == store.create_group(ALICE, name="x").group.id


def test_no_file_reads_as_none(tmp_path: Path) -> None:
    assert statefile.read(tmp_path / "missing.json") is None


def _document(store: Store | None = None) -> dict[str, Any]:
    return json.loads(statefile.encode((store or changed_store()).snapshot()))


def _with(change: Any) -> bytes:
    document = _document()
    change(document)
    return json.dumps(document).encode()


CORRUPT = [
    pytest.param(b"", "not JSON", id="empty"),
    pytest.param(b"{", "not JSON", id="truncated"),
    pytest.param(b"\xff\xfe{}", "not JSON", id="not-utf8"),
    pytest.param(b"[" * 100_000, "not JSON", id="nested"),
    pytest.param(b"[]", '"format" is "groupkit-state/1"', id="array"),
    pytest.param(
        json.dumps(DEFAULT_WORLD).encode(), '"format" is "groupkit-state/1"', id="a-world-not-a-state"
    ),
    pytest.param(
        _with(lambda d: d.update(format="groupkit-state/0")), '"format" is "groupkit-state/1"', id="format"
    ),
    pytest.param(_with(lambda d: d.update(extra=1)), "unknown keys: extra", id="unknown-key"),
    pytest.param(_with(lambda d: d.update(cursorKey="00")), '"cursorKey"', id="cursor-key"),
    pytest.param(_with(lambda d: d.update(ids=[3, [1, 2], None])), '"ids"', id="ids"),
    pytest.param(_with(lambda d: d.pop("ids")), '"ids"', id="no-ids"),
    pytest.param(_with(lambda d: d["positions"].update(next="9")), '"positions"', id="positions-type"),
    pytest.param(_with(lambda d: d["positions"]["groups"].pop()), "positions.groups", id="positions-count"),
    pytest.param(
        _with(lambda d: d["world"]["groups"][0].update(name=42)),
        "groups[0].name: 42 is not of type 'string'",
        id="invalid-world",
    ),
    pytest.param(_with(lambda d: d.update(world=None)), "a world is a JSON object", id="no-world"),
    pytest.param(b'{"format": "groupkit-state/1", "x": NaN}', "NaN is not JSON", id="nan"),
]


@pytest.mark.parametrize(("content", "reason"), CORRUPT)
def test_a_file_that_cannot_be_read_back_is_one_clear_error(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    with pytest.raises(StateFileError) as refused:
        statefile.read(path)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(f"{path} is not a state file groupkit can read back: ")
    assert reason in message
    assert path.read_bytes() == content  # never overwritten


def test_an_unreadable_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="cannot read the state file"):
        statefile.read(tmp_path)  # a directory


# ----------------------------------------------------------------- writing


def test_writes_are_atomic_private_and_leave_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.json"
    statefile.write(path, b"first")
    assert path.read_bytes() == b"first"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds every token of the world
    statefile.write(path, b"second")
    assert path.read_bytes() == b"second"

    def crash(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        statefile.write(path, b"third")
    assert path.read_bytes() == b"second"  # the old file, whole
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_new_state_file_is_written_at_start_and_an_unwritable_one_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    mock = create_app(state_file=path)
    saved = statefile.read(path)
    assert saved is not None and Store(saved[0]).export() == mock.store.export() == DEFAULT_WORLD
    with pytest.raises(StateFileError, match="cannot write the state file"):
        create_app(state_file=tmp_path / "no-such-directory" / "state.json")


def test_an_existing_state_file_wins_over_fixtures_and_reset_goes_to_fixtures(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(statefile.encode(changed_store().snapshot()))
    mock = create_app("empty", state_file=path)
    assert mock.store.export() == changed_store().export()
    mock.reset()
    assert mock.store.counts() == {"users": 0, "groups": 0}


@pytest.mark.slow
def test_the_saver_coalesces_a_burst_and_saves_at_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = changed_store()
    path = tmp_path / "state.json"
    writes: list[bytes] = []
    real_write = statefile.write

    def counted(target: Path, data: bytes) -> None:
        writes.append(data)
        real_write(target, data)

    monkeypatch.setattr(statefile, "write", counted)

    async def scenario() -> None:
        saver = Saver(store, path, interval=0.2)
        saver.start()
        for i in range(20):  # a burst of changes
            store.create_group(ALICE, name=f"burst {i}")
        await asyncio.sleep(0.5)  # two intervals: one write for the burst, none for the quiet one
        assert len(writes) == 1
        store.create_group(ALICE, name="last")
        await saver.stop()  # well within the interval: saved by stop
        assert len(writes) == 2

    asyncio.run(scenario())
    saved = statefile.read(path)
    assert saved is not None and Store(saved[0]).export() == store.export()


@pytest.mark.slow
def test_a_failed_write_is_logged_once_and_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = changed_store()
    path = tmp_path / "state.json"
    failing = [True]
    real_write = statefile.write

    def flaky(target: Path, data: bytes) -> None:
        if failing[0]:
            raise OSError(28, "No space left on device")
        real_write(target, data)

    monkeypatch.setattr(statefile, "write", flaky)

    async def scenario() -> None:
        saver = Saver(store, path, interval=0.05)
        saver.start()
        store.create_group(ALICE, name="x")
        await asyncio.sleep(0.3)
        failing[0] = False
        await asyncio.sleep(0.2)
        await saver.stop()

    asyncio.run(scenario())
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "No space left" in errors[0].getMessage()
    saved = statefile.read(path)
    assert saved is not None and Store(saved[0]).export() == store.export()


def test_the_served_mock_saves_within_the_interval(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with serve(create_app(state_file=path, save_interval=0.2)) as url:
        assert httpx.post(f"{url}/group", json={"name": "first"}, headers=auth("alice")).status_code == 200
        deadline = time.monotonic() + 3
        while "first" not in path.read_text():
            assert time.monotonic() < deadline, "the change was not saved within 3 s"
            time.sleep(0.05)


def test_the_served_mock_saves_at_shutdown(tmp_path: Path) -> None:
    """uvicorn runs the ASGI lifespan's shutdown once the requests in flight are done; the mock saves then
    (the interval here is far too long to have saved the change before)."""
    path = tmp_path / "state.json"
    with serve(create_app(state_file=path, save_interval=60)) as url:
        assert (
            httpx.post(f"{url}/group", json={"name": "at shutdown"}, headers=auth("alice")).status_code == 200
        )
        assert "at shutdown" not in path.read_text()
    saved = statefile.read(path)
    assert saved is not None
    assert "at shutdown" in {g.name for g in saved[0].groups()}


# ----------------------------------------------------------------- groupkit mock --state, as real processes


def start(path: Path, port: int) -> subprocess.Popen[str]:
    return start_mock("--state", str(path), port=port)[0]


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    return err


def everything(http: httpx.Client) -> dict[str, Any]:
    """What a client reads back: the state, and every list as Alice and Eva see it, page by page."""
    seen: dict[str, Any] = {"state": http.get("/__mock__/state").json()}
    for who in ("alice", "eva"):
        groups = http.get("/user/groups", params={"limit": 100}, headers=auth(who)).json()["items"]
        seen[f"groups-{who}"] = groups
        for group in groups:
            for path in ("/group/users", "/group/devices"):
                listed = http.get(path, params={"groupId": group["id"], "limit": 100}, headers=auth(who))
                seen[f"{path}-{group['id']}-{who}"] = listed.json()["items"]
    return seen


LISTS = (
    ("/user/groups", {}),
    ("/group/users", {"groupId": ACME}),
    ("/group/devices", {"groupId": ACME}),
    ("/group/roles", {}),
)


@pytest.mark.slow
def test_the_world_survives_sigterm_and_a_restart(tmp_path: Path) -> None:
    path, port = tmp_path / "state.json", free_port()
    url, alice = f"http://127.0.0.1:{port}", auth("alice")
    process = start(path, port)
    try:
        with httpx.Client(base_url=url, timeout=10) as http:
            created = http.post(
                "/group", params={"parentId": LYON}, json={"name": "Cold room 9"}, headers=alice
            )
            child = created.json()["id"]
            invite = {"email": "new@example.test", "groupId": child, "roleId": "viewer"}
            assert http.put("/group/invite", json=invite, headers=alice).is_success
            key = {"groupId": child, "type": "TTI", "token": "tti-secret", "name": "TTI"}
            assert http.post("/group/apiKey", json=key, headers=alice).is_success
            dan = {"groupId": ACME, "userId": user_id(DEFAULT_WORLD, "dan")}
            assert http.delete("/group/user", params=dan, headers=alice).is_success
            # A cursor of each list, taken before the restart, and the page it leads to.
            cursors = [
                http.get(list_, params={**params, "limit": 1}, headers=alice).json()["nextToken"]
                for list_, params in LISTS
            ]
            assert all(cursors)
            pages = [
                http.get(list_, params={**params, "nextToken": cursor}, headers=alice).json()
                for (list_, params), cursor in zip(LISTS, cursors, strict=True)
            ]
            before = everything(http)
            # The last change, then SIGTERM at once: only the shutdown save can keep it.
            assert http.put("/group/apiKey", json={**key, "token": "tti-last"}, headers=alice).is_success
            before["state"] = http.get("/__mock__/state").json()
    finally:
        stop(process)

    process = start(path, port)
    try:
        with httpx.Client(base_url=url, timeout=10) as http:
            assert everything(http) == before
            assert [
                http.get(list_, params={**params, "nextToken": cursor}, headers=alice).json()
                for (list_, params), cursor in zip(LISTS, cursors, strict=True)
            ] == pages
            key_now = http.put("/group/apiKey", json={"groupId": child, "type": "tti"}, headers=alice).json()
            assert key_now["token"] == "tti-last"
    finally:
        stop(process)


@pytest.mark.slow
def test_a_corrupt_state_file_stops_the_mock_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"format": "groupkit-state/1", "world": ')
    done = subprocess.run(
        [*GROUPKIT, "mock", "--state", str(path), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""  # no banner, no tokens
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"groupkit mock: {path} is not a state file groupkit can read back: not JSON")
    assert path.read_text() == '{"format": "groupkit-state/1", "world": '
