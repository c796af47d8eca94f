"""Tests of the personas: `--persona NAME=TOKEN`, the personas file, `GROUPKIT_PERSONA_<NAME>`, what wins, what
is refused, and that a token never reaches the output or the replay command."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from groupkit.app import create_app
from groupkit.cli import main
from groupkit.conformance import flags
from groupkit.conformance.options import Options
from groupkit.conformance.personas import PersonaError, gather, mask, parse_spec
from groupkit.conformance.results import ExitCode
from groupkit.conformance.runner import run
from tests.conftest import TOKENS


def test_a_spec_is_name_equals_token() -> None:
    assert parse_spec("Dan=demo-token-dan") == ("dan", "demo-token-dan")
    assert parse_spec("qa.viewer = tok=with=equals ") == ("qa.viewer", "tok=with=equals")


@pytest.mark.parametrize("spec", ["dan", "dan=", "=token", "1dan=token", "da n=token"])
def test_a_malformed_spec_is_refused(spec: str) -> None:
    with pytest.raises(PersonaError):
        parse_spec(spec)


def test_file_environment_and_flags_are_merged_later_wins(tmp_path: Path) -> None:
    path = tmp_path / "personas.toml"
    path.write_text('dan = { env = "STAGING_DAN" }\nchloe = "from-file"\nbruno = "bruno-file"\n')
    environ = {"STAGING_DAN": "dan-secret", "GROUPKIT_PERSONA_CHLOE": "chloe-env", "GROUPKIT_PERSONA_": "x"}
    found = gather(["bruno=bruno-flag"], path, environ)
    assert found == {"dan": "dan-secret", "chloe": "chloe-env", "bruno": "bruno-flag"}


def test_a_json_file_reads_the_same(tmp_path: Path) -> None:
    path = tmp_path / "personas.json"
    path.write_text(json.dumps({"dan": {"env": "DAN_TOKEN"}, "chloe": "c"}))
    assert gather([], path, {"DAN_TOKEN": "d"}) == {"dan": "d", "chloe": "c"}


@pytest.mark.parametrize(
    "text, message",
    [
        ('dan = { env = "UNSET_VARIABLE" }', "UNSET_VARIABLE is not set"),
        ("dan = 3", "expected a token string"),
        ("dan = ", "not valid TOML"),
        ('"9lives" = "t"', "persona name"),
    ],
)
def test_a_bad_file_names_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "personas.toml"
    path.write_text(text)
    with pytest.raises(PersonaError, match=message):
        gather([], path, {})


def test_two_personas_with_one_token_are_refused() -> None:
    with pytest.raises(PersonaError, match="same token"):
        gather(["a=t1", "b=t1"], None, {})


def test_mask_keeps_a_token_out() -> None:
    assert mask("demo-token-dan") == "demo…"
    assert "secret" not in mask("secret")


def test_persona_tokens_are_kept_out_of_the_replay_command(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    options = Options(base_url="http://127.0.0.1", token="t", persona=["dan=secret-dan"], personas=path)
    words = flags.command_line(options)
    assert "secret-dan" not in " ".join(words)
    assert words[-2:] == ["--personas", str(path)]


@pytest.mark.slow  # a kit run up to its preflight (over 1 s)
def test_a_rejected_persona_token_stops_the_run() -> None:
    out = io.StringIO()
    options = Options(
        base_url="http://127.0.0.1",
        token=TOKENS["alice"],
        persona=["ghost=demo-token-nobody"],
        include=["PUT /group"],
        max_examples=1,
        app=create_app(seed=1),
    )
    result = run(options, out=out)
    assert result.exit_code == ExitCode.CANNOT_RUN
    assert "the server rejected persona ghost: GET /user/groups answered 401" in out.getvalue()
    assert "demo-token-nobody" not in out.getvalue()


def test_a_bad_persona_is_exit_2_before_anything_is_sent(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["conform", "--base-url", "http://127.0.0.1:9", "--token", "t", "--persona", "dan"])
    assert code == ExitCode.CANNOT_RUN
    assert "expected NAME=TOKEN" in capsys.readouterr().out
