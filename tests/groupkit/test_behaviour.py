"""The latency and fault settings (`groupkit.behaviour`): their JSON form, every refusal, the `--behaviour` file
(JSON or TOML) and `groupkit mock`'s flags."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from groupkit import behaviour
from groupkit.behaviour import Behaviour, InvalidBehaviour, Rules
from groupkit.cli import build_parser

DOCUMENTED = {"getGroup": (400, 401, 404), "inviteUser": (400, 401, 403, 404, 409, 413, 415)}


def parse(data: Any) -> Behaviour:
    return behaviour.parse(data, DOCUMENTED)


def test_the_full_form_round_trips() -> None:
    data = {
        "delay": "200ms",
        "jitter": "1.5s",
        "faultRate": 0.1,
        "dropRate": 0.05,
        "faultStatuses": [404, 409],
        "seed": 7,
        "operations": {"getGroup": {"delay": 2000, "faultRate": 0.95}},
    }
    parsed = parse(data)
    assert parsed.rules == Rules(0.2, 1.5, 0.1, 0.05, (404, 409))
    assert parsed.rules_for("getGroup") == Rules(2.0, 1.5, 0.95, 0.05, (404, 409))
    assert parsed.rules_for("inviteUser") == parsed.rules
    assert parsed.active and not Behaviour().active
    assert parse(parsed.to_json()) == parsed
    assert parsed.to_json()["delay"] == "200ms"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(250, 0.25), (0, 0.0), ("250ms", 0.25), ("1.5s", 1.5), (" 2 S ", 2.0), ("60s", 60.0), ("40", 0.04)],
)
def test_durations(value: Any, seconds: float) -> None:
    assert behaviour.duration(value) == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["61s", 60001, -1, "abc", "1h", True, None, "nan", float("inf"), [1]])
def test_a_duration_out_of_bounds_or_unreadable_is_refused(value: Any) -> None:
    with pytest.raises(ValueError):
        behaviour.duration(value)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        pytest.param([], "must be a JSON object", id="not-object"),
        pytest.param({"latency": 1}, "unknown field 'latency'", id="unknown-field"),
        pytest.param({"delay": "1h"}, "delay: '1h' is not a duration", id="bad-duration"),
        pytest.param(
            {"delay": "40s", "jitter": "30s"}, "delay + jitter is 70 s; at most 60 s", id="too-slow"
        ),
        pytest.param({"faultRate": 1.5}, "faultRate must be a number from 0 to 1", id="rate-high"),
        pytest.param({"dropRate": True}, "dropRate must be a number from 0 to 1", id="rate-bool"),
        pytest.param({"faultRate": 0.6, "dropRate": 0.5}, "faultRate + dropRate is more than 1", id="sum"),
        pytest.param({"faultStatuses": [500]}, "faultStatuses [500] not documented here", id="status"),
        pytest.param({"faultStatuses": "404"}, "faultStatuses must be a list", id="statuses-type"),
        pytest.param({"seed": "7"}, "seed must be an integer or null", id="seed"),
        pytest.param({"operations": []}, "operations must be an object", id="operations-type"),
        pytest.param(
            {"operations": {"nope": {}}}, "operations.nope: no such operationId; known: getGroup", id="op"
        ),
        pytest.param({"operations": {"getGroup": 1}}, "operations.getGroup must be an object", id="op-type"),
        pytest.param({"operations": {"getGroup": {"seed": 1}}}, "unknown field 'seed'", id="op-field"),
        pytest.param(
            {"operations": {"getGroup": {"faultStatuses": [409]}}},
            "operations.getGroup: faultStatuses [409] not documented here; documented: 400, 401, 404",
            id="op-status",
        ),
        pytest.param(
            {"delay": "50s", "operations": {"getGroup": {"jitter": "20s"}}},
            "operations.getGroup: delay + jitter is 70 s",
            id="op-sum",
        ),
    ],
)
def test_every_problem_is_named(data: Any, words: str) -> None:
    with pytest.raises(InvalidBehaviour) as refused:
        parse(data)
    assert any(words in problem for problem in refused.value.problems), refused.value.problems


def test_all_problems_are_named_at_once() -> None:
    with pytest.raises(InvalidBehaviour) as refused:
        parse({"delay": "1h", "faultRate": 2, "extra": 1})
    assert len(refused.value.problems) == 3


# ---------------------------------------------------------------------- the file and the flags


def mock_args(*flags: str) -> argparse.Namespace:
    return build_parser().parse_args(["mock", *flags])


def test_no_flags_means_no_behaviour() -> None:
    assert not parse(behaviour.from_args(mock_args())).active


def test_the_flags_describe_the_json_form() -> None:
    args = mock_args(
        "--delay", "200ms", "--delay", "getGroup=2s", "--delay-jitter", "100ms", "--fault-rate", "0.1",
        "--drop-rate", "inviteUser=0.5", "--fault-status", "404", "--fault-seed", "7",
    )  # fmt: skip
    parsed = parse(behaviour.from_args(args))
    assert parsed.rules == Rules(0.2, 0.1, 0.1, 0.0, (404,))
    assert parsed.rules_for("getGroup").delay == 2.0
    assert parsed.rules_for("inviteUser").drop_rate == 0.5
    assert parsed.seed == 7


def test_the_fault_seed_defaults_to_the_mocks_seed() -> None:
    assert parse(behaviour.from_args(mock_args("--seed", "11", "--fault-rate", "0.5"))).seed == 11


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_a_file_in_json_or_toml_and_flags_over_it(tmp_path: Path, suffix: str) -> None:
    file = tmp_path / f"behaviour{suffix}"
    if suffix == ".json":
        file.write_text(
            '{"delay": "1s", "faultRate": 0.2, "seed": 3, "operations": {"getGroup": {"dropRate": 0.8}}}'
        )
    else:
        file.write_text('delay = "1s"\nfaultRate = 0.2\nseed = 3\n[operations.getGroup]\ndropRate = 0.8\n')
    parsed = parse(behaviour.from_args(mock_args("--behaviour", str(file), "--delay", "300ms")))
    assert parsed.rules == Rules(delay=0.3, fault_rate=0.2)
    assert parsed.rules_for("getGroup") == Rules(delay=0.3, fault_rate=0.2, drop_rate=0.8)
    assert parsed.seed == 3


@pytest.mark.parametrize(
    ("content", "words"),
    [("{", "Expecting"), ("[1]", "must hold an object"), ("delay = ", "Invalid")],
)
def test_an_unreadable_file_is_refused(tmp_path: Path, content: str, words: str) -> None:
    file = tmp_path / ("b.toml" if "=" in content else "b.json")
    file.write_text(content)
    with pytest.raises(InvalidBehaviour, match=words):
        behaviour.from_args(mock_args("--behaviour", str(file)))


def test_a_rate_that_is_no_number_names_its_flag() -> None:
    with pytest.raises(InvalidBehaviour, match="--drop-rate: 'often' is not a number"):
        behaviour.from_args(mock_args("--drop-rate", "often"))


def test_a_bad_setting_stops_the_mock_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from groupkit.cli import main

    assert main(["mock", "--port", "0", "--delay", "2m"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert (
        err[-1]
        == "groupkit mock: the latency and fault settings: delay: '2m' is not a duration (milliseconds, or e.g. 250ms, 1.5s)"
    )
