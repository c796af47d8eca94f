"""The `groupkit world` command line: write the shipped worlds (`default`, `empty`) or a generated one
(`generate`) to a file or stdout, and `check` a world file as `groupkit mock --fixtures` would."""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import IO, Any

from .. import world as worlds
from . import writer
from .generator import Spec, SpecError, generate

DESCRIPTION = """\
Build world files for `groupkit mock --fixtures FILE` (the format of fixtures/README.md):

  groupkit world default -o world.json        the realistic default world
  groupkit world empty -o empty.json          nothing at all
  groupkit world generate --groups 500 --devices 20000 --members 200 --seed 7 -o big.json
  groupkit world check world.json             check a world as the mock does when it loads one

A generated world has tenants owned by subscribers, sub-groups nested up to --depth deep (one chain
reaches it), devices crowded in a few groups (long lists) and thin elsewhere, and members spread over
the groups, half of them in the first tenant. Names include edge cases a UI must survive: CJK, Arabic
and Hebrew (right to left), emoji and ZWJ sequences, combining marks, 200-character names, markup.
Every active user signs in with `Authorization: gen-token-<n>`. Same options and seed, same bytes.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(dest="world_command", metavar="KIND", required=True)
    for name in worlds.BUILT_IN_WORLDS:
        shipped = kinds.add_parser(name, help=f"write the shipped {name} world")
        _output(shipped)
        shipped.set_defaults(world_handler=_shipped)
    spec = Spec()
    generated = kinds.add_parser(
        "generate",
        help="write a generated world (same options and seed: same bytes)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    generated.add_argument(
        "--groups", type=int, default=spec.groups, metavar="N", help="(default: %(default)s)"
    )
    generated.add_argument(
        "--devices", type=int, default=spec.devices, metavar="M", help="(default: %(default)s)"
    )
    generated.add_argument(
        "--members",
        type=int,
        default=spec.members,
        metavar="K",
        help="users, owners included (default: %(default)s)",
    )
    generated.add_argument("--seed", type=int, default=spec.seed, metavar="S", help="(default: %(default)s)")
    generated.add_argument(
        "--depth",
        type=int,
        default=spec.depth,
        metavar="D",
        help="levels of groups, at most (default: %(default)s)",
    )
    generated.add_argument(
        "--edge-ratio",
        type=float,
        default=spec.edge_ratio,
        metavar="R",
        help="share of names that are edge cases after the first few; 0 for plain names (default: %(default)s)",
    )
    _output(generated)
    generated.set_defaults(world_handler=_generate)
    check = kinds.add_parser("check", help="check a world file (exit 0 valid, 1 not valid, 2 unreadable)")
    check.add_argument("file", help="a world file, or a built-in name")
    check.set_defaults(world_handler=_check)


def _output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o", "--output", default="-", metavar="FILE", help="where to write it (default: stdout)"
    )


def run(args: argparse.Namespace) -> int:
    handler: Callable[[argparse.Namespace], int] = args.world_handler
    try:
        return handler(args)
    except (OSError, SpecError) as error:
        print(f"groupkit world: {error}", file=sys.stderr)
        return 2


def _to_stdout(write: Callable[[IO[str]], object]) -> None:
    """Run `write` on a UTF-8 text stream over stdout (whatever the locale), leaving stdout open."""
    stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
    try:
        write(stream)
    finally:
        stream.flush()
        stream.detach()


def _shipped(args: argparse.Namespace) -> int:
    text = resources.files("groupkit.fixtures").joinpath(f"{args.world_command}.json").read_text("utf-8")
    if args.output == "-":
        _to_stdout(lambda out: out.write(text))
    else:
        path = Path(args.output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        print(f"groupkit world: wrote {path} (the {args.world_command} world)", file=sys.stderr)
    return 0


def _generate(args: argparse.Namespace) -> int:
    spec = Spec(
        groups=args.groups,
        devices=args.devices,
        members=args.members,
        seed=args.seed,
        depth=args.depth,
        edge_ratio=args.edge_ratio,
    )
    started = time.monotonic()
    lists: Mapping[str, Iterable[dict[str, Any]]] = generate(spec)
    if args.output == "-":
        counts: dict[str, int] = {}
        _to_stdout(lambda out: counts.update(writer.dump(lists, out)))
        where = "stdout"
    else:
        path = Path(args.output)
        counts = writer.write(path, lists)
        where = f"{path} ({path.stat().st_size / 2**20:.1f} MiB)"
    summary = ", ".join(f"{count} {key}" for key, count in counts.items())
    print(f"groupkit world: wrote {where} in {time.monotonic() - started:.1f} s: {summary}", file=sys.stderr)
    return 0


def _check(args: argparse.Namespace) -> int:
    try:
        data = worlds.read(args.file)
    except ValueError as error:  # not JSON, or not an object
        print(f"groupkit world: {error}", file=sys.stderr)
        return 2
    try:
        worlds.build(data, args.file)
    except worlds.InvalidWorld as invalid:
        print(invalid, file=sys.stderr)
        return 1
    sizes = ", ".join(f"{len(data.get(key, []))} {key}" for key in worlds.KEYS)
    print(f"{args.file}: a valid world ({sizes})")
    return 0
