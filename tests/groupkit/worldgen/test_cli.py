"""`groupkit world`: the shipped worlds byte for byte, a generated one to a file or stdout (the same bytes),
`check`'s exit codes, and bad options as one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from groupkit import world as worlds
from groupkit.cli import main
from tests.conftest import ROOT

GENERATE = ["world", "generate", "--groups", "30", "--devices", "90", "--members", "12", "--seed", "4"]


@pytest.mark.parametrize("name", worlds.BUILT_IN_WORLDS)
def test_the_shipped_worlds_are_written_byte_for_byte(tmp_path: Path, name: str) -> None:
    path = tmp_path / "out" / f"{name}.json"
    assert main(["world", name, "-o", str(path)]) == 0
    assert path.read_bytes() == (ROOT / "fixtures" / f"{name}.json").read_bytes()


def test_generate_writes_a_valid_world_and_says_what_is_in_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "gen.json"
    assert main([*GENERATE, "--depth", "4", "-o", str(path)]) == 0
    assert "30 groups, " in capsys.readouterr().err
    data = worlds.load(str(path))
    assert len(data["groups"]) == 30 and len(data["devices"]) == 90 and len(data["users"]) == 12
    assert main(["world", "check", str(path)]) == 0
    assert f"{path}: a valid world (12 users, 30 groups" in capsys.readouterr().out


def test_stdout_gets_the_same_bytes_as_a_file(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    path = tmp_path / "gen.json"
    assert main([*GENERATE, "-o", str(path)]) == 0
    capsysbinary.readouterr()
    assert main(GENERATE) == 0
    printed = capsysbinary.readouterr().out
    assert printed == path.read_bytes()
    assert "東京".encode() in printed  # UTF-8 on stdout's bytes, whatever the locale


def test_check_names_each_problem_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"groups": [{"id": "g", "token": "t", "createdAt": "2024-01-01", "updatedAt": "x"}]}')
    assert main(["world", "check", str(path)]) == 1
    assert "groups[0].updatedAt" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        pytest.param(["world", "check", "{nope}"], "groupkit world: ", id="missing-file"),
        pytest.param([*GENERATE, "--depth", "0"], "groupkit world: --depth must be 1 or more", id="depth"),
        pytest.param(["world", "generate", "--members", "0"], "groups need an owner", id="owner"),
    ],
)
def test_unusable_input_is_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = [arg.replace("{nope}", str(tmp_path / "nope.json")) for arg in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_file_that_is_not_json_cannot_be_checked(tmp_path: Path) -> None:
    path = tmp_path / "world.json"
    path.write_text("{")
    assert main(["world", "check", str(path)]) == 2
