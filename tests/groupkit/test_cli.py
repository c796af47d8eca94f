"""The `groupkit` command: help, lint's exit codes and messages, and `groupkit mock` as a real process."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from groupkit.cli import main
from tests.conftest import GROUPKIT, ROOT, start_mock


def test_help_names_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("mock", "conform", "lint"):
        assert f"groupkit {command}" in out


@pytest.mark.parametrize(
    "command, words", [("mock", "--fixtures"), ("lint", "contract"), ("conform", "--base-url")]
)
def test_each_command_has_help(capsys: pytest.CaptureFixture[str], command: str, words: str) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert words in capsys.readouterr().out


def test_lint_passes_the_shipped_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(ROOT / "openapi.yaml")]) == 0
    assert "valid" in capsys.readouterr().out


def test_lint_prints_each_problem_with_its_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "openapi.yaml").read_text("utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace("        retryDelay: 60\n", "        retryDelay: soon\n"))
    assert main(["lint", str(broken)]) == 1
    out = capsys.readouterr().out
    assert (
        f"{broken}:/components/schemas/RetryPolicy/example/retryDelay: 'soon' is not of type 'integer'" in out
    )


def test_lint_of_a_missing_file_fails(tmp_path: Path) -> None:
    assert main(["lint", str(tmp_path / "nope.yaml")]) == 1


@pytest.mark.slow
def test_mock_starts_prints_tokens_and_serves() -> None:
    process, url = start_mock()
    try:
        groups = httpx.get(f"{url}/user/groups", headers={"Authorization": "demo-token-alice"})
        assert groups.status_code == 200 and groups.json()["items"]
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert "demo-token-alice" in out and "Alice Martin" in out
    assert f"{url}/ui/" in out
    assert "Traceback" not in err


@pytest.mark.slow
def test_the_banner_lists_a_dozen_users_and_says_where_the_rest_are(tmp_path: Path) -> None:
    world = tmp_path / "many.json"
    made = subprocess.run(
        [
            *GROUPKIT,
            "world",
            "generate",
            "--groups",
            "8",
            "--devices",
            "8",
            "--members",
            "40",
            "-o",
            str(world),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    process, url = start_mock("--fixtures", str(world))
    process.terminate()
    out, _ = process.communicate(timeout=10)
    listed = [line for line in out.splitlines() if line.startswith("  gen-token-")]
    assert len(listed) == 12
    assert f"more: GET {url}/__mock__/users lists them all" in out


@pytest.mark.slow
def test_mock_refuses_a_broken_world(tmp_path: Path) -> None:
    broken = tmp_path / "world.json"
    broken.write_text("[]")
    done = subprocess.run(
        [*GROUPKIT, "mock", "--fixtures", str(broken)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "world" in done.stderr
