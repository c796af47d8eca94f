"""The `groupkit gate` command line: its arguments (declared in `options.py`) and a run that returns the
gate's exit code (0 pass, 1 a step failed, 2 could not run)."""

from __future__ import annotations

import argparse

from ..conformance import flags
from ..contract import CONTRACT_PATH
from .options import GateOptions

DESCRIPTION = """\
One command, one verdict for a CI pipeline. The steps, each with its verdict:

  lint               HEAD against the ruleset of `groupkit lint`
  diff               BASE to HEAD, as `groupkit diff` (skipped without --base)
  self-conformance   the mock built on HEAD, checked in-process by the conformance kit: the contract
                     still mocks and the mock still conforms (a contract the mock refuses fails it)
  conformance        a live server against HEAD, as `groupkit conform` (skipped without --base-url)

HEAD is the contract under review (default: the shipped openapi.yaml): a file, an http(s) URL or a git
REV:path. Lint and diff levels come from pyproject.toml ([tool.groupkit.lint], [tool.groupkit.diff]).
"""
EPILOG = """\
exit codes:
  0   every step passed or was skipped
  1   a step failed: a lint or diff finding at --fail-on, a contract the mock refuses, a conformance failure
  2   could not run: bad options, an unreadable BASE or HEAD, an unreachable server, a rejected token...
      (a failure found elsewhere still makes it 1)

examples:
  groupkit gate --base origin/main:openapi.yaml
  groupkit gate openapi.yaml --base origin/main:openapi.yaml --report "$GITHUB_STEP_SUMMARY" \\
      --junit-xml reports/gate.xml --format githubactions
  GROUPKIT_TOKEN=... groupkit gate --base origin/main:openapi.yaml --base-url http://127.0.0.1:8000 \\
      --wait-for-server 60 --seed 1 --baseline conform-baseline.yaml --confirm 3

Pipelines to copy: docs/ci/github-actions.yml and docs/ci/gitlab-ci.yml.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "contract",
        nargs="?",
        default=str(CONTRACT_PATH),
        metavar="HEAD",
        help="the contract under review: a file, URL or REV:path (default: the shipped openapi.yaml)",
    )
    flags.add_arguments(parser, GateOptions)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `gate` sub-command of `groupkit`."""
    gate = commands.add_parser(
        "gate",
        help="lint, diff and conformance in one CI verdict (exit 0 pass, 1 fail, 2 could not run)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(gate)
    gate.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from . import run as gate_run

    options = flags.from_namespace(GateOptions, args, contract=args.contract)
    return gate_run(options).exit_code
