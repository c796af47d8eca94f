"""The `groupkit` command: `mock` serves the stateful mock, `world` writes world files for it, `conform` checks
a live server against the contract, `proxy` checks real traffic on its way to one, `lint` checks a contract file
against a ruleset, `diff` reports the breaking changes between two, `gate` runs them all for a CI pipeline."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from . import __version__

DESCRIPTION = """\
groupkit: the UnaConnect Group API's contract (openapi.yaml), a stateful mock of it, and a
conformance kit that checks any live server against it.

  groupkit mock                      serve the mock on http://127.0.0.1:8080 (Swagger UI at /ui/)
  groupkit conform --base-url URL    check a server against the contract (exit 0/1/2)
  groupkit lint openapi.yaml         check a contract file against the ruleset (exit 0/1/2)
  groupkit diff BASE HEAD            report the changes between two contracts that break clients
  groupkit gate --base BASE          lint, diff, self-conformance (and a live server): one CI verdict
  groupkit proxy --upstream URL      forward real traffic to a server and check it against the contract
  groupkit world generate -o FILE    write a world file: default, empty, or generated (any size, edge cases)

Run `groupkit COMMAND --help` for each command's options.
"""


def _lint(args: argparse.Namespace) -> int:
    from .lint.cli import run

    return run(args)


def _diff(args: argparse.Namespace) -> int:
    from .diff.cli import run

    return run(args)


def _conform(args: argparse.Namespace) -> int:
    from .conformance.cli import run

    return int(run(args))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="groupkit", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"groupkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    from . import mockcli

    mockcli.add_parser(commands)

    from .diff import cli as diff_cli
    from .lint import cli as lint_cli

    lint = commands.add_parser(
        "lint",
        help="check a contract file against the ruleset (exit 0 clean, 1 problems, 2 bad configuration)",
        description=lint_cli.DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lint_cli.add_arguments(lint)
    lint.set_defaults(handler=_lint)

    diff = commands.add_parser(
        "diff",
        help="report the changes between two contracts that break clients (exit 0 pass, 1 fail, 2 could not run)",
        description=diff_cli.DESCRIPTION,
        epilog=diff_cli.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    diff_cli.add_arguments(diff)
    diff.set_defaults(handler=_diff)

    from .gate.cli import add_parser as add_gate

    add_gate(commands)

    from .proxy.cli import add_parser as add_proxy

    add_proxy(commands)

    from .worldgen import cli as world_cli

    world = commands.add_parser(
        "world",
        help="write a world file for --fixtures: default, empty, or generated (exit 0, 2 bad options)",
        description=world_cli.DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    world_cli.add_arguments(world)
    world.set_defaults(handler=world_cli.run)

    from .conformance.cli import add_arguments
    from .conformance.results import ExitCode

    outcomes = ", ".join(f"{code.value} {code.meaning}" for code in ExitCode if code != ExitCode.INTERRUPTED)
    conform = commands.add_parser(
        "conform",
        help=f"check a live server against the contract (exit {outcomes})",
        description="Run property-based conformance tests (schemathesis + hypothesis) generated from the "
        "contract against a live server.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(conform)
    conform.set_defaults(handler=_conform)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
