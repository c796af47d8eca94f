"""Options declared once: each field of an options dataclass carries a `Flag` in its metadata, and from it come
the field's argparse argument, its value read back from the parsed namespace, and the words of a command line
that sets it again (the replay command)."""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    T = TypeVar("T", bound=DataclassInstance)

KEY = "groupkit.flag"


@dataclass(frozen=True)
class Flag:
    """How one option is written on the command line; its name is the field's (`max_examples`: `--max-examples`).

    `help` and `group` place it in `--help`; `metavar` and `parse` are argparse's `metavar` and `type` (for a
    `repeatable` option, `parse` reads one item and each occurrence adds one). An `env` variable holds the
    default (`--help` says so), and a replay command names the variable, never its value (tokens stay out
    of logs). `replay` says whether the replay command repeats the option (when it is set and differs from
    its default); `show` spells a value (an item) there. A field whose default is `False` is a switch.
    """

    help: str
    group: str
    metavar: str | None = None
    parse: Callable[[str], Any] | None = None
    repeatable: bool = False
    env: str | None = None
    replay: bool = True
    show: Callable[[Any], str] = str


def flag(help: str, group: str, **details: Any) -> dict[str, Flag]:
    """The `metadata` of a `dataclasses.field` that is given on the command line."""
    return {KEY: Flag(help, group, **details)}


def option(name: str) -> str:
    """The command-line spelling of a field name."""
    return "--" + name.replace("_", "-")


def declared(cls: type[DataclassInstance]) -> list[tuple[dataclasses.Field[Any], Flag]]:
    """The fields of `cls` that are command-line options, in declaration order, each with its `Flag`."""
    return [(field, field.metadata[KEY]) for field in dataclasses.fields(cls) if KEY in field.metadata]


def default(field: dataclasses.Field[Any]) -> Any:
    """The field's default value (`dataclasses.MISSING` when it is required)."""
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


def add_arguments(parser: argparse.ArgumentParser, cls: type[DataclassInstance]) -> None:
    """One argparse argument per declared option of `cls`, in argument groups by first appearance."""
    groups: dict[str, argparse._ArgumentGroup] = {}
    for field, spec in declared(cls):
        if spec.group not in groups:
            groups[spec.group] = parser.add_argument_group(spec.group)
        text = f"{spec.help} (default: ${spec.env})" if spec.env else spec.help
        settings: dict[str, Any] = {"dest": field.name, "help": text}
        value = default(field)
        if value is dataclasses.MISSING:
            settings["required"] = True
        else:
            settings["default"] = os.environ.get(spec.env, value) if spec.env else value
        if spec.metavar is not None:
            settings["metavar"] = spec.metavar
        if value is False:
            settings["action"] = "store_true"
        else:
            settings["type"] = spec.parse
            if spec.repeatable:
                settings["action"] = "append"
        groups[spec.group].add_argument(option(field.name), **settings)


def from_namespace(cls: type[T], args: argparse.Namespace, **extra: Any) -> T:
    """An instance of `cls` from what `add_arguments`' parser parsed (and `extra` fields, such as `app`).

    An option read from the environment counts as absent when the variable is empty."""
    values = {}
    for field, spec in declared(cls):
        value = getattr(args, field.name)
        values[field.name] = None if spec.env is not None and not value else value
    return cls(**values, **extra)


def command_line(instance: DataclassInstance) -> list[str]:
    """The words that give each replayed option of `instance` that is set and differs from its default."""
    words: list[str] = []
    for field, spec in declared(type(instance)):
        value = getattr(instance, field.name)
        if not spec.replay or value is None or value is False or value == [] or value == default(field):
            continue
        name = option(field.name)
        if spec.env is not None:
            words += [name, f'"${spec.env}"']
        elif value is True:
            words.append(name)
        elif spec.repeatable:
            for item in value:
                words += [name, shlex.quote(spec.show(item))]
        else:
            words += [name, shlex.quote(spec.show(value))]
    return words
