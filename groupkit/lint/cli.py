"""The `groupkit lint` command line: its arguments, and a run that prints the findings in the asked format
(exit 0 clean, 1 problems at the `--fail-on` level, 2 when the configuration is unusable)."""

from __future__ import annotations

import argparse
import sys

from ..config import ConfigError
from ..contract import CONTRACT_PATH
from ..findings import Level, failing
from ..formats import add_output_arguments, emit
from . import PARSER, configured_levels
from . import run as lint_run

DESCRIPTION = """\
Check an OpenAPI 3.0 contract against a ruleset: its syntax and structure, that every example matches its
schema, and the spectral:oas rules teams keep on (operationId present and unique, a success response,
summary and description, tags defined, security schemes defined, unused components, links that resolve,
no YAML anchors). Each problem is printed as FILE:/json/pointer: message [LEVEL rule].

Levels and rules are set per project in pyproject.toml:

  [tool.groupkit.lint]
  oas3-unused-component = "INFO"   # or ERR, WARN, off
"""
VALIDITY_RULES = {PARSER, "oas3-schema", "oas3-valid-schema-example", "oas3-valid-media-example"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "contract", nargs="?", default=str(CONTRACT_PATH), help="the contract: a file, URL or REV:path"
    )
    add_output_arguments(parser)


def run(args: argparse.Namespace) -> int:
    try:
        findings = lint_run(args.contract, levels=configured_levels())
    except ConfigError as error:
        print(f"groupkit lint: {error}", file=sys.stderr)
        return 2
    try:
        code = emit(findings, args, tool="groupkit lint")
    except OSError as error:
        print(f"groupkit lint: cannot write {args.output}: {error}", file=sys.stderr)
        return 2
    if args.format == "text" and not args.output and not failing(findings, Level[args.fail_on]):
        if not any(f.rule in VALIDITY_RULES for f in findings):
            print(f"{args.contract}: valid OpenAPI 3.0, every example matches its schema")
    return code
