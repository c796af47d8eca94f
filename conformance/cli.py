"""`groupkit conform`: its command-line options (`add_arguments`) and entry point (`run`, the exit code).

Kept free of heavy imports: `groupkit` builds every sub-command's parser at start-up, so schemathesis is
only imported when `conform` actually runs.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

EPILOG = """\
exit codes:
  0  conformant: every check passed on every executed case
  1  contract violations found (each is listed with its check, a curl reproduction and a replay command)
  2  could not run: bad options, invalid contract, unreachable server, rejected token, no operation
     selected, or no test case executed
  130 interrupted

environment:
  GROUPKIT_TOKEN         default for --token (keeps the secret out of shell history and CI logs)
  GROUPKIT_OTHER_TOKEN   default for --other-token

examples:
  groupkit conform --base-url http://127.0.0.1:8080 --token demo-token-alice --other-token demo-token-eva
  GROUPKIT_TOKEN=... groupkit conform --base-url https://staging.example --read-only --rate-limit 5
  groupkit conform --base-url URL --include 'GET /group/devices' --include listGroupUsers --seed 42
  groupkit conform --base-url URL --report "$GITHUB_STEP_SUMMARY" --junit-xml conformance.xml

The check policy (what each check guards, what is relaxed and why): docs/conformance.md.
"""


def _positive_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    target = parser.add_argument_group("target")
    target.add_argument("--base-url", required=True, metavar="URL", help="the server to check")
    target.add_argument(
        "--token",
        default=os.environ.get("GROUPKIT_TOKEN"),
        help="access token sent as `Authorization: TOKEN` (default: $GROUPKIT_TOKEN)",
    )
    target.add_argument(
        "--other-token",
        default=os.environ.get("GROUPKIT_OTHER_TOKEN"),
        metavar="TOKEN",
        help="a second user's token, who is not in the first user's groups: enables isolation_between_users "
        "(default: $GROUPKIT_OTHER_TOKEN)",
    )
    target.add_argument(
        "--contract", type=Path, metavar="FILE", help="the contract (default: the shipped one)"
    )
    target.add_argument(
        "--wait-for-server",
        type=_positive_float,
        default=0.0,
        metavar="SECONDS",
        help="wait up to SECONDS for the server to answer before giving up (exit 2)",
    )
    scope = parser.add_argument_group("what to test")
    scope.add_argument(
        "--read-only",
        action="store_true",
        help="only safe (GET) operations and no check that writes: for shared staging servers",
    )
    scope.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="OPERATION",
        help="test only this operation: 'METHOD /path' or operationId (repeatable)",
    )
    scope.add_argument(
        "--exclude", action="append", default=[], metavar="OPERATION", help="skip it (repeatable)"
    )
    scope.add_argument(
        "--phases",
        type=lambda text: [part.strip() for part in text.split(",") if part.strip()],
        metavar="LIST",
        help="comma-separated among examples,coverage,fuzzing,stateful (default: all)",
    )
    budget = parser.add_argument_group("budget and reproducibility")
    budget.add_argument(
        "--max-examples", type=int, default=100, metavar="N", help="cases per operation and phase"
    )
    budget.add_argument(
        "--seed", type=int, help="same seed, same server state: same run (printed at the end)"
    )
    budget.add_argument("--workers", type=int, default=1, metavar="N", help="concurrent workers (default 1)")
    budget.add_argument(
        "--rate-limit", type=float, metavar="PER_SECOND", help="at most this many requests per second"
    )
    budget.add_argument("--max-time", type=float, metavar="SECONDS", help="stop after this long")
    budget.add_argument(
        "--request-timeout", type=float, default=10.0, metavar="SECONDS", help="per request (default 10)"
    )
    output = parser.add_argument_group("reports")
    output.add_argument(
        "--report", type=Path, metavar="FILE", help="write a Markdown summary (CI job summaries)"
    )
    output.add_argument(
        "--junit-xml", type=Path, metavar="FILE", help="write JUnit XML (one case per operation)"
    )


def run(args: argparse.Namespace) -> int:
    from groupkit.contract import CONTRACT_PATH

    from .runner import Options, run

    options = Options(
        base_url=args.base_url,
        token=args.token,
        other_token=args.other_token or None,
        contract=args.contract or CONTRACT_PATH,
        read_only=args.read_only,
        include=list(args.include),
        exclude=list(args.exclude),
        max_examples=args.max_examples,
        seed=args.seed,
        workers=args.workers,
        rate_limit=args.rate_limit,
        max_time=args.max_time,
        junit_xml=args.junit_xml,
        report=args.report,
        wait_for_server=args.wait_for_server,
        request_timeout=args.request_timeout,
        phases=args.phases,
    )
    return run(options).exit_code
