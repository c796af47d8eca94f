"""Placeholder until the conformance kit lands: `groupkit conform` options and entry point."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", required=True, help="the server to check")


def run(args: argparse.Namespace) -> int:
    print("groupkit conform: not built yet", file=sys.stderr)
    return 2
