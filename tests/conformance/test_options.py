"""`Options` declares each `groupkit conform` flag once: `--help` lists every one with its default, the parsed
command line becomes `Options`, and the replay command parses back to the options it replays."""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groupkit.cli import build_parser
from groupkit.conformance.flags import declared, default, from_namespace, option
from groupkit.conformance.options import PHASES, Options
from groupkit.conformance.report import replay_command
from groupkit.contract import CONTRACT_PATH

DECLARED = {field.name: spec for field, spec in declared(Options)}
ENVIRONMENT = ("GROUPKIT_TOKEN", "GROUPKIT_OTHER_TOKEN")


def parse(argv: list[str]) -> Options:
    return from_namespace(Options, build_parser().parse_args(["conform", *argv]))


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


def test_every_field_but_the_app_is_a_flag() -> None:
    assert [field.name for field in dataclasses.fields(Options) if field.name not in DECLARED] == ["app"]
    assert {option(name) for name in DECLARED} == {
        "--base-url",
        "--token",
        "--other-token",
        "--persona",
        "--personas",
        "--contract",
        "--wait-for-server",
        "--read-only",
        "--include",
        "--exclude",
        "--phases",
        "--max-examples",
        "--seed",
        "--workers",
        "--rate-limit",
        "--max-time",
        "--request-timeout",
        "--report",
        "--junit-xml",
        "--confirm",
        "--fail-on-flaky",
        "--require-coverage",
        "--strict-fields",
        "--baseline",
        "--write-baseline",
    }


def test_help_lists_each_flag_and_the_environment(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["conform", "--help"])
    out = capsys.readouterr().out
    text = " ".join(out.split())  # argparse wraps help texts
    for name in DECLARED:
        assert f"\n  {option(name)} " in out, name  # its line in the options list, not only the usage
    for variable in ENVIRONMENT:
        assert f"(default: ${variable})" in text and f"\n  {variable} " in out
    for code in ("0 conformant", "1 contract violations found", "2 could not run", "130 interrupted"):
        assert re.search(rf"\n  {code.replace(' ', ' +', 1)}", out), code
    assert "(default: all)" in text and "(default 10)" in text and "(default 1)" in text
    assert "flaky failures do not fail the run (default 0: no replay, every failure fails the run)" in text


@pytest.mark.usefixtures("clean_environment")
def test_defaults_are_the_options_defaults() -> None:
    parsed = parse(["--base-url", "http://127.0.0.1:9"])
    assert parsed == Options(base_url="http://127.0.0.1:9")
    assert (parsed.max_examples, parsed.workers, parsed.request_timeout, parsed.wait_for_server) == (
        100,
        1,
        10.0,
        0.0,
    )
    assert parsed.contract == CONTRACT_PATH and parsed.phases == list(PHASES) and parsed.token is None
    assert (parsed.confirm, parsed.fail_on_flaky, parsed.baseline, parsed.write_baseline) == (
        0,
        False,
        None,
        None,
    )


def test_tokens_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROUPKIT_TOKEN", "t-alice")
    monkeypatch.setenv("GROUPKIT_OTHER_TOKEN", "")
    parsed = parse(["--base-url", "http://127.0.0.1:9"])
    assert (parsed.token, parsed.other_token) == ("t-alice", None)  # an empty variable is no token
    assert parse(["--base-url", "u", "--token", "t-bruno"]).token == "t-bruno"


@pytest.mark.usefixtures("clean_environment")
def test_a_full_command_line() -> None:
    argv = "--base-url u --token t --other-token o --contract c.yaml --wait-for-server 3 --read-only "
    argv += (
        "--include 'GET /group' --include listRoles --exclude x --phases examples,stateful --max-examples 7 "
    )
    argv += "--workers 2 --rate-limit 0.5 --max-time 60 --request-timeout 4 --seed 9 --report r.md --junit-xml j.xml"
    argv += " --confirm 3 --fail-on-flaky --baseline b.yaml --write-baseline w.json"
    assert parse(shlex.split(argv)) == Options(
        base_url="u",
        token="t",
        other_token="o",
        contract=Path("c.yaml"),
        wait_for_server=3.0,
        read_only=True,
        include=["GET /group", "listRoles"],
        exclude=["x"],
        phases=["examples", "stateful"],
        max_examples=7,
        workers=2,
        rate_limit=0.5,
        max_time=60.0,
        request_timeout=4.0,
        seed=9,
        report=Path("r.md"),
        junit_xml=Path("j.xml"),
        confirm=3,
        fail_on_flaky=True,
        baseline=Path("b.yaml"),
        write_baseline=Path("w.json"),
    )


# Any text argparse reads as a value: one that starts with "-" reads as an option (no operation name,
# URL or path the kit is given starts so; a token that does must be given as --token=TOKEN or in the
# environment, and the replay command's `--token "$GROUPKIT_TOKEN"` would not read back).
words = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"])).filter(
    lambda text: not text.startswith("-")
)
tokens = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1).filter(
    lambda text: not text.startswith("-")
)
amounts = st.floats(min_value=0, allow_nan=False)
SHOWN_AS_DEFAULT = {name for name, spec in DECLARED.items() if not spec.replay}


@st.composite
def any_options(draw: st.DrawFn) -> Options:
    values: dict[str, Any] = {
        "base_url": draw(words),
        "token": draw(tokens),
        "other_token": draw(st.none() | tokens),
        "contract": Path(draw(words.filter(bool))),
        "read_only": draw(st.booleans()),
        "include": draw(st.lists(words, max_size=3)),
        "exclude": draw(st.lists(words, max_size=3)),
        "phases": draw(st.none() | st.lists(st.sampled_from(PHASES), min_size=1, max_size=4)),
        "max_examples": draw(st.integers()),
        "workers": draw(st.integers()),
        "rate_limit": draw(st.none() | amounts),
        "max_time": draw(st.none() | amounts),
        "wait_for_server": draw(amounts),
        "request_timeout": draw(st.none() | amounts),
        "report": draw(st.none() | words.filter(bool).map(Path)),
        "junit_xml": draw(st.none() | words.filter(bool).map(Path)),
        "confirm": draw(st.integers(min_value=0)),
        "fail_on_flaky": draw(st.booleans()),
        "baseline": draw(st.none() | words.filter(bool).map(Path)),
        "write_baseline": draw(st.none() | words.filter(bool).map(Path)),
    }
    return Options(**values)


@settings(max_examples=150, deadline=None)
@given(options=any_options(), seed=st.integers(min_value=0))
@pytest.mark.slow
def test_the_replay_command_parses_back_to_the_options(options: Options, seed: int) -> None:
    """bash reads the replay command (quotes, `"$GROUPKIT_TOKEN"`) into the words `groupkit` would get."""
    command = replay_command(options, seed)
    tokens = {"GROUPKIT_TOKEN": options.token or "", "GROUPKIT_OTHER_TOKEN": options.other_token or ""}
    shell = subprocess.run(
        ["bash", "-c", "printf '%s\\0' " + command],
        env={"PATH": os.environ.get("PATH", ""), **tokens},
        capture_output=True,
        check=True,
    )
    argv = shell.stdout.decode("utf-8").split("\0")[:-1]
    assert argv[:2] == ["groupkit", "conform"], command
    with mock.patch.dict(os.environ, dict.fromkeys(ENVIRONMENT, "")):  # no default from this process
        parsed = parse(argv[2:])
    expected = dataclasses.replace(
        options,
        seed=seed,
        phases=options.phases or list(PHASES),  # None means all of them, like the parser's default
        **{
            field.name: default(field)
            for field in dataclasses.fields(Options)
            if field.name in SHOWN_AS_DEFAULT
        },
    )
    assert parsed == expected, command


def test_only_the_run_settings_are_left_out_of_the_replay() -> None:
    assert SHOWN_AS_DEFAULT == {
        "wait_for_server",
        "request_timeout",
        "report",
        "junit_xml",
        # triage and the baseline judge what a run found; replaying its cases needs neither
        "confirm",
        "fail_on_flaky",
        "baseline",
        "write_baseline",
        # a persona's token never goes into a command line printed in a report (--personas FILE does)
        "persona",
    }
