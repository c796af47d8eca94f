"""`groupkit mock --store URL --workers N` (groupkit/workers.py): what the flags refuse, passwords kept out of
what is printed, the worker's configuration across the spawn boundary, and N real workers sharing one Redis
world, stopped together by SIGTERM."""

from __future__ import annotations

import gc
import pickle
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from groupkit import workers
from groupkit.app import MockApp
from groupkit.cli import build_parser, main
from tests.conftest import GROUPKIT, TOKENS, free_port
from tests.end_to_end.workers_mock import children, left_behind, spawned_workers

REDIS_STATE = "redis://127.0.0.1:6379/0"  # never reached: these refusals come before any connection


def refused(capsys: pytest.CaptureFixture[str], *options: str) -> str:
    """The one line `groupkit mock OPTIONS` refuses to start with (exit 2, nothing on stdout)."""
    assert main(["mock", "--port", "0", *options]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("groupkit mock: ")
    return err


def test_several_workers_need_a_shared_store(capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(capsys, "--workers", "3")
    assert "--workers 3 needs a shared store" in err
    assert "each worker would hold a world of its own" in err
    assert "--store redis://HOST:PORT/DB" in err


@pytest.mark.parametrize(
    "options, words",
    [
        pytest.param(("--state", "world.json"), "drop --state", id="state-file"),
        pytest.param(("--watch",), "--watch is not supported with --store", id="watch"),
    ],
)
def test_the_shared_store_refuses_what_only_memory_does(
    capsys: pytest.CaptureFixture[str], options: tuple[str, ...], words: str
) -> None:
    assert words in refused(capsys, "--store", REDIS_STATE, *options)


@pytest.mark.parametrize(
    "url, why",
    [
        pytest.param("mysql://db/0", "not 'mysql://db/0'", id="other-scheme"),
        pytest.param("localhost:6379", "not 'localhost:6379'", id="no-scheme"),
        pytest.param("redis:///0", "names no host", id="no-host"),
        pytest.param("redis://cache/zero", "database after the host is a number", id="database-name"),
        pytest.param("unix://", "names the socket's path", id="unix-without-path"),
        pytest.param("redis://:hunter2@cache:99999/0", "Port out of range", id="port"),
    ],
)
def test_a_store_that_is_not_a_redis_url_is_refused(
    capsys: pytest.CaptureFixture[str], url: str, why: str
) -> None:
    err = refused(capsys, "--store", url)
    assert "--store must be memory or a Redis URL" in err and why in err
    assert "hunter2" not in err


def test_an_unreachable_store_is_one_line_without_its_password(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()  # nothing listens there
    err = refused(capsys, "--store", f"redis://:hunter2@127.0.0.1:{port}/0", "--workers", "2")
    assert f"cannot use the store redis://:***@127.0.0.1:{port}/0: " in err and "Connection refused" in err
    assert "hunter2" not in err


def test_workers_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["mock", "--workers", "0"])
    assert exit_info.value.code == 2
    assert "--workers: must be more than 0" in capsys.readouterr().err


@pytest.mark.parametrize(
    "url, shown",
    [
        ("redis://:hunter2@cache:6379/0", "redis://:***@cache:6379/0"),
        ("rediss://mock:hunter2@cache:6380/2", "rediss://mock:***@cache:6380/2"),
        ("unix:///run/redis.sock?db=1&password=hunter2", "unix:///run/redis.sock?db=1&password=***"),
        ("redis://cache:6379/0", "redis://cache:6379/0"),
        ("redis://mock@cache/0", "redis://mock@cache/0"),
        ("redis://:hunter2@[::1", "redis://..."),
        ("memory", "memory"),
    ],
)
def test_redacted_hides_passwords_only(url: str, shown: str) -> None:
    assert workers.redacted(url) == shown


def test_the_worker_configuration_crosses_the_spawn_boundary_and_builds_the_mock() -> None:
    options = build_parser().parse_args(
        ["mock", "--max-connections", "7", "--keep-alive", "2", "--shutdown-timeout", "3", "--seed", "7"]
    )
    configuration = pickle.loads(pickle.dumps(workers.WorkerConfig(options)))  # what spawn does
    try:
        configuration.load()
    finally:
        gc.unfreeze()  # `load` freezes what it built, as in a worker; not in this test process
    assert isinstance(configuration.loaded_app, MockApp)
    assert configuration.http_protocol_class.limits.max_connections == 7  # groupkit.server's protocol
    assert configuration.timeout_keep_alive == 2
    assert configuration.timeout_graceful_shutdown == 3
    assert configuration.limit_concurrency == 8


def test_a_worker_that_cannot_build_the_mock_is_a_startup_failure(tmp_path: Path) -> None:
    broken = tmp_path / "world.json"
    broken.write_text("[]")
    options = build_parser().parse_args(["mock", "--fixtures", str(broken)])
    configuration = workers.WorkerConfig(options)
    with pytest.raises(SystemExit) as exit_info:
        configuration.load()
    assert exit_info.value.code == 3  # uvicorn's STARTUP_FAILURE: the supervisor stops instead of restarting


@pytest.mark.slow
def test_two_workers_share_one_world_and_stop_together(redis_url: str) -> None:
    port = free_port()
    process = subprocess.Popen(
        [*GROUPKIT, "mock", "--store", redis_url, "--workers", "2", "--port", str(port),
         "--shutdown-timeout", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    alice = {"Authorization": TOKENS["alice"]}
    try:
        deadline = time.monotonic() + 60
        spawned: set[int] = set()
        while True:  # both workers up and answering
            spawned = spawned_workers(process.pid)
            try:
                answered = len(spawned) == 2 and httpx.get(f"{url}/__mock__/health").status_code == 200
            except httpx.TransportError:
                answered = False
            if answered:
                break
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()[1]
            time.sleep(0.2)
        for _ in range(40):  # fresh connections, spread by the kernel over both workers' accept queues
            assert httpx.get(f"{url}/user/groups", headers=alice).status_code == 200
        created = httpx.post(f"{url}/group", headers=alice, json={"name": "Made through one worker"})
        assert created.status_code == 200, created.text
        group_id = created.json()["id"]
        for _ in range(20):
            read = httpx.get(f"{url}/group", params={"groupId": group_id}, headers=alice)
            assert read.status_code == 200, read.text
            assert [group["name"] for group in read.json()] == ["Made through one worker"]
        assert children(process.pid) >= spawned  # the same two workers served it all
        everyone = children(process.pid)  # the workers and multiprocessing's resource tracker
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            out, err = process.communicate(timeout=15)  # the workers' 2 s shutdown, and a margin
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            pytest.fail(f"SIGTERM did not stop the mock within 15 s: {err}")
    assert process.returncode == 0, err
    assert left_behind(everyone) == []  # no orphan
    assert f"Workers: 2 processes sharing {redis_url}" in out
    assert out.count("groupkit mock ") == 1  # one banner: the workers print none
    assert "demo-token-alice   Alice Martin" in out  # read from the world in Redis
    assert "Traceback" not in err
