"""The `groupkit diff` command line: its arguments, and a run that compares BASE with HEAD and prints the
changes in the asked format (exit 0 pass, 1 a change fails the gate, 2 could not run)."""

from __future__ import annotations

import argparse
import sys

from ..config import ConfigError
from ..documents import SourceError
from ..formats import add_output_arguments, emit
from . import run as diff_run

DESCRIPTION = """\
Compare two versions of an OpenAPI 3.0 contract and report each change that matters to clients, named by
its oasdiff rule id, with its level: ERR (breaks clients), WARN (may break them) or INFO.

BASE and HEAD are files, http(s) URLs or git revisions (origin/main:openapi.yaml, read with git show).
Schemas are compared by meaning: a $ref and the same schema inline, an allOf split, reordering and
descriptions are no change.
"""
EPILOG = """\
An exemptions file accepts known changes until a date:

  exemptions:
    - rule: request-parameter-removed
      operation: GET /group/devices     # or path: /group/devices, or fingerprint: 1a2b3c4d5e6f
      reason: the limit parameter was never honoured (TICKET-12)
      until: 2026-12-31

An expired exemption fails the gate (exemption-expired, ERR); one that matches nothing is a warning
(exemption-unused). Rule levels are set in pyproject.toml under [tool.groupkit.diff] (ERR, WARN, INFO, off).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("base", metavar="BASE", help="the contract before: a file, URL or REV:path")
    parser.add_argument("head", metavar="HEAD", help="the contract after: a file, URL or REV:path")
    parser.add_argument("--exemptions", metavar="FILE", help="a YAML file of accepted changes (see below)")
    add_output_arguments(parser)


def run(args: argparse.Namespace) -> int:
    try:
        findings = diff_run(args.base, args.head, exemptions=args.exemptions)
    except (SourceError, ConfigError) as error:
        print(f"groupkit diff: {error}", file=sys.stderr)
        return 2
    try:
        return emit(findings, args, tool="groupkit diff")
    except OSError as error:
        print(f"groupkit diff: cannot write {args.output}: {error}", file=sys.stderr)
        return 2
