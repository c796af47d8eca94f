"""The machinery that turns one declared field into a flag, a parsed value and replay words, on a small
dataclass of its own: each kind of option (required, switch, repeatable, parsed, from the environment,
not replayed)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

import pytest

from groupkit.conformance.flags import add_arguments, command_line, flag, from_namespace


@dataclass
class Toy:
    url: str = field(metadata=flag("where", "target", metavar="URL"))
    key: str | None = field(default=None, metadata=flag("secret", "target", env="TOY_KEY"))
    loud: bool = field(default=False, metadata=flag("shout", "style"))
    names: list[str] = field(default_factory=list, metadata=flag("a name", "style", repeatable=True))
    size: float = field(default=1.0, metadata=flag("how big", "style", parse=float, show="{:.1f}".format))
    out: str | None = field(default=None, metadata=flag("a file", "style", replay=False))
    extra: object = None  # not an option


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toy")
    add_arguments(parser, Toy)
    return parser


def test_every_declared_field_is_an_option_in_its_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOY_KEY", raising=False)
    text = parser().format_help()
    for spelled in ("--url URL", "--key KEY", "--loud", "--names NAMES", "--size SIZE", "--out OUT"):
        assert spelled in text
    assert "secret (default: $TOY_KEY)" in text
    assert "--extra" not in text
    order = [text.index(line) for line in ("\ntarget:", "\n  --url", "\nstyle:", "\n  --loud")]
    assert order == sorted(order)


def test_parsed_values_become_the_dataclass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOY_KEY", raising=False)
    args = parser().parse_args(["--url", "u", "--loud", "--names", "a", "--names", "b c", "--size", "2.5"])
    assert from_namespace(Toy, args, extra=7) == Toy(
        url="u", loud=True, names=["a", "b c"], size=2.5, extra=7
    )
    assert from_namespace(Toy, parser().parse_args(["--url", "u"])) == Toy(url="u")
    with pytest.raises(SystemExit):
        parser().parse_args([])  # --url is required: the field has no default


@pytest.mark.parametrize("value, expected", [("k-1", "k-1"), ("", None)], ids=["set", "empty"])
def test_the_environment_gives_the_default(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    monkeypatch.setenv("TOY_KEY", value)
    assert from_namespace(Toy, parser().parse_args(["--url", "u"])).key == expected
    assert from_namespace(Toy, parser().parse_args(["--url", "u", "--key", "k-2"])).key == "k-2"


def test_command_line_repeats_what_differs_from_the_default() -> None:
    assert command_line(Toy(url="u")) == ["--url", "u"]
    toy = Toy(url="a b", key="k", loud=True, names=["x", "it's"], size=3.0, out="o.txt")
    assert command_line(toy) == [
        "--url",
        "'a b'",
        "--key",
        '"$TOY_KEY"',  # the variable, never the secret
        "--loud",
        "--names",
        "x",
        "--names",
        "'it'\"'\"'s'",
        "--size",
        "3.0",
    ]
