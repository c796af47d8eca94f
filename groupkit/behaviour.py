"""The latency and fault settings of the mock (`groupkit.faults`): what they are, their one JSON form (the
control API's body, the `--behaviour` file in JSON or TOML, what `groupkit mock`'s flags build), and how it
is checked. No HTTP here.

    {"delay": "200ms", "jitter": "300ms", "faultRate": 0.1, "dropRate": 0.05, "faultStatuses": [404, 409],
     "seed": 7, "operations": {"listUserGroups": {"delay": "2s"}, "inviteUser": {"faultRate": 0.5}}}

A duration is a number of milliseconds or a string with a unit (`250ms`, `1.5s`); `delay + jitter` is at
most `MAX_DELAY` seconds. Rates are from 0 to 1, and a fault and a drop together at most 1. `faultStatuses`
narrows the statuses a fault answers to those listed that the operation documents (empty: any error status
it documents). `operations` overrides any of these fields for one operationId; the rest is inherited.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

MAX_DELAY = 60.0
FIELDS = {  # JSON name -> Rules attribute
    "delay": "delay",
    "jitter": "jitter",
    "faultRate": "fault_rate",
    "dropRate": "drop_rate",
    "faultStatuses": "statuses",
}
_DURATION = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s)?\s*", re.IGNORECASE)


class InvalidBehaviour(ValueError):
    """Raised for settings that cannot be used; `problems` names each one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Rules:
    """What happens to one request: a delay of `delay` plus up to `jitter` seconds, then an error answer with
    probability `fault_rate` (one of `statuses` the operation documents; empty: any it documents) or a
    closed connection with probability `drop_rate`."""

    delay: float = 0.0
    jitter: float = 0.0
    fault_rate: float = 0.0
    drop_rate: float = 0.0
    statuses: tuple[int, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.delay or self.jitter or self.fault_rate or self.drop_rate)


@dataclass(frozen=True)
class Behaviour:
    """The global rules, each operation's overrides (JSON field names to values, already checked), and the
    seed of the sequence of decisions (None: a new random one each time the behaviour is set)."""

    rules: Rules = Rules()
    operations: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    seed: int | None = None

    @cached_property
    def _per_operation(self) -> dict[str, Rules]:
        return {
            operation: replace(self.rules, **{FIELDS[name]: value for name, value in overrides.items()})
            for operation, overrides in self.operations.items()
        }

    def rules_for(self, operation_id: str) -> Rules:
        return self._per_operation.get(operation_id, self.rules)

    @property
    def active(self) -> bool:
        return self.rules.active or any(rules.active for rules in self._per_operation.values())

    def to_json(self) -> dict[str, Any]:
        values = asdict(self.rules)
        result: dict[str, Any] = {
            name: _render(name, values[attribute]) for name, attribute in FIELDS.items()
        }
        result["seed"] = self.seed
        result["operations"] = {
            operation: {name: _render(name, value) for name, value in overrides.items()}
            for operation, overrides in self.operations.items()
        }
        return result


def _render(name: str, value: Any) -> Any:
    if name in ("delay", "jitter"):
        return f"{round(value * 1000)}ms"
    return list(value) if isinstance(value, tuple) else value


def parse(data: Any, operations: Mapping[str, Collection[int]], where: str = "the behaviour") -> Behaviour:
    """The behaviour `data` (the JSON form) describes, checked against `operations` (each operationId and
    the error statuses it documents); InvalidBehaviour names every problem."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise InvalidBehaviour([f"{where} must be a JSON object, not {type(data).__name__}"])
    known = {*FIELDS, "seed", "operations"}
    problems += [
        f"{where}: unknown field {name!r}; known: {', '.join(sorted(known))}"
        for name in data
        if name not in known
    ]
    documented = {status for statuses in operations.values() for status in statuses}
    top = _fields(data, documented, where, problems)
    seed = data.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        problems.append(f"{where}: seed must be an integer or null, not {seed!r}")
    per_operation: dict[str, dict[str, Any]] = {}
    given = data.get("operations", {})
    if not isinstance(given, dict):
        problems.append(f"{where}: operations must be an object of operationId to settings")
        given = {}
    for operation, overrides in given.items():
        here = f"{where}: operations.{operation}"
        if operation not in operations:
            problems.append(f"{here}: no such operationId; known: {', '.join(sorted(operations))}")
        elif not isinstance(overrides, dict):
            problems.append(f"{here} must be an object")
        else:
            unknown = [name for name in overrides if name not in FIELDS]
            problems += [f"{here}: unknown field {name!r}; known: {', '.join(FIELDS)}" for name in unknown]
            per_operation[operation] = _fields(overrides, set(operations[operation]), here, problems)
    rules = Rules(**{FIELDS[name]: value for name, value in top.items()})
    for operation, overrides in per_operation.items():
        _check_sums(
            replace(rules, **{FIELDS[n]: v for n, v in overrides.items()}),
            f"{where}: operations.{operation}",
            problems,
        )
    _check_sums(rules, where, problems)
    if problems:
        raise InvalidBehaviour(problems)
    return Behaviour(rules, per_operation, seed)


def _fields(data: Mapping[str, Any], documented: set[int], where: str, problems: list[str]) -> dict[str, Any]:
    """The Rules fields `data` sets, by JSON name, each checked (problems appended)."""
    result: dict[str, Any] = {}
    for name in ("delay", "jitter"):
        if name in data:
            try:
                result[name] = duration(data[name])
            except ValueError as error:
                problems.append(f"{where}: {name}: {error}")
    for name in ("faultRate", "dropRate"):
        if name in data:
            value = data[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                problems.append(f"{where}: {name} must be a number from 0 to 1, not {value!r}")
            else:
                result[name] = float(value)
    if "faultStatuses" in data:
        value = data["faultStatuses"]
        if not isinstance(value, list) or not all(
            isinstance(s, int) and not isinstance(s, bool) for s in value
        ):
            problems.append(f"{where}: faultStatuses must be a list of HTTP statuses")
        else:
            foreign = sorted(set(value) - documented)
            if foreign:
                listed = ", ".join(map(str, sorted(documented)))
                problems.append(f"{where}: faultStatuses {foreign} not documented here; documented: {listed}")
            result["faultStatuses"] = tuple(sorted(set(value)))
    return result


def _check_sums(rules: Rules, where: str, problems: list[str]) -> None:
    if rules.delay + rules.jitter > MAX_DELAY:
        problems.append(
            f"{where}: delay + jitter is {rules.delay + rules.jitter:g} s; at most {MAX_DELAY:g} s"
        )
    if rules.fault_rate + rules.drop_rate > 1:
        problems.append(f"{where}: faultRate + dropRate is more than 1")


def duration(value: Any) -> float:
    """Seconds, from a number of milliseconds or a string `250ms`, `1.5s` (a bare number: milliseconds)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        seconds = value / 1000
    elif isinstance(value, str) and (match := _DURATION.fullmatch(value)):
        number, unit = float(match.group(1)), (match.group(2) or "ms").lower()
        seconds = number if unit == "s" else number / 1000
    else:
        raise ValueError(f"{value!r} is not a duration (milliseconds, or e.g. 250ms, 1.5s)")
    if not math.isfinite(seconds) or seconds < 0 or seconds > MAX_DELAY:
        raise ValueError(f"{value!r} is not from 0 to {MAX_DELAY:g} s")
    return seconds


def read(path: Path | str) -> Any:
    """The JSON form held by a behaviour file: TOML if its name ends in `.toml`, else JSON; ValueError
    (InvalidBehaviour) if it cannot be read."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
        return tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise InvalidBehaviour([f"{path}: {error}"]) from error


# ---------------------------------------------------------------------- `groupkit mock`'s flags

FLAGS = {"delay": "delay", "delay_jitter": "jitter", "fault_rate": "faultRate", "drop_rate": "dropRate"}


def add_arguments(parser: Any) -> None:
    """`groupkit mock`'s latency and fault flags (an argparse parser)."""
    group = parser.add_argument_group(
        "latency and faults (docs/latency-and-faults.md; at run time: /__mock__/behaviour)"
    )
    group.add_argument(
        "--behaviour",
        metavar="FILE",
        help="the settings' JSON form in a JSON or .toml file; the flags below override it",
    )
    for flag, what in (
        (
            "--delay",
            "a delay before each answer, e.g. 200ms or 1.5s (OPERATION_ID=DURATION: that operation's)",
        ),
        (
            "--delay-jitter",
            "up to this much more delay, drawn at random per request (OPERATION_ID=DURATION too)",
        ),
        (
            "--fault-rate",
            "the share of requests answered with an error status the operation documents, 0 to 1",
        ),
        ("--drop-rate", "the share of requests whose connection is closed without an answer, 0 to 1"),
    ):
        group.add_argument(flag, action="append", metavar="VALUE", help=what + " (repeatable)")
    group.add_argument(
        "--fault-status",
        action="append",
        type=int,
        metavar="STATUS",
        help="faults answer only these documented statuses (repeatable)",
    )
    group.add_argument(
        "--fault-seed",
        type=int,
        metavar="N",
        help="seed of the fault sequence (default: --seed; same seed, same faults)",
    )


def from_args(args: Any) -> dict[str, Any]:
    """The JSON form `groupkit mock`'s flags describe: the `--behaviour` file, then each flag over it
    (`parse` checks the result)."""
    data = read(args.behaviour) if args.behaviour else {}
    if not isinstance(data, dict):
        raise InvalidBehaviour([f"{args.behaviour} must hold an object (a table), not {type(data).__name__}"])
    given = data.get("operations", {})
    operations = (
        {op: dict(v) if isinstance(v, dict) else v for op, v in given.items()}
        if isinstance(given, dict)
        else given
    )
    for attribute, name in FLAGS.items():
        for value in getattr(args, attribute) or []:
            operation, _, text = value.rpartition("=")
            parsed: Any = text if name in ("delay", "jitter") else _number(text, attribute)
            if not operation:
                data[name] = parsed
            elif isinstance(operations, dict) and isinstance(operations.setdefault(operation, {}), dict):
                operations[operation][name] = parsed  # (a malformed file's operations: parse refuses them)
    if operations:
        data["operations"] = operations
    if args.fault_status:
        data["faultStatuses"] = args.fault_status
    seed = args.fault_seed if args.fault_seed is not None else data.get("seed", args.seed)
    if seed is not None:
        data["seed"] = seed
    return data


def _number(text: str, attribute: str) -> float:
    try:
        return float(text)
    except ValueError:
        flag = "--" + attribute.replace("_", "-")
        raise InvalidBehaviour([f"{flag}: {text!r} is not a number from 0 to 1"]) from None
