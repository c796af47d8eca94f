"""`groupkit conform`: its command-line options (`add_arguments`, derived from `Options`) and entry point (`run`,
the exit code).

Kept free of heavy imports: `groupkit` builds every sub-command's parser at start-up, so schemathesis is
only imported when `conform` actually runs.
"""

from __future__ import annotations

import argparse
import textwrap

from . import flags
from .options import Options
from .results import ExitCode

EXAMPLES = """\
examples:
  groupkit conform --base-url http://127.0.0.1:8080 --token demo-token-alice --other-token demo-token-eva
  GROUPKIT_TOKEN=... groupkit conform --base-url https://staging.example --read-only --rate-limit 5
  groupkit conform --base-url URL --include 'GET /group/devices' --include listGroupUsers --seed 42
  groupkit conform --base-url URL --report "$GITHUB_STEP_SUMMARY" --junit-xml conformance.xml

The check policy (what each check guards, what is relaxed and why): docs/conformance.md.
"""


def epilog() -> str:
    """What `--help` says after the options: the exit codes, the environment variables, examples."""
    lines = ["exit codes:"]
    for code in ExitCode:
        lines += textwrap.wrap(
            f"{code.value:<4}{code.meaning}: {code.detail}",
            width=108,
            initial_indent="  ",
            subsequent_indent="      ",
        )
    lines += ["", "environment (keeps secrets out of shell history and CI logs):"]
    for field, spec in flags.declared(Options):
        if spec.env is not None:
            lines.append(f"  {spec.env:<22} default for {flags.option(field.name)}")
    return "\n".join(lines) + "\n\n" + EXAMPLES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = epilog()
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    flags.add_arguments(parser, Options)


def run(args: argparse.Namespace) -> ExitCode:
    from .runner import run

    return run(flags.from_namespace(Options, args)).exit_code
