"""The `groupkit` command: `mock` serves the stateful mock, `conform` checks a live server against the
contract, `lint` checks a contract file against a ruleset, `diff` reports the breaking changes between two."""

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

Run `groupkit COMMAND --help` for each command's options.
"""

MOCK_EPILOG = """\
The mock starts from a fixture world (default: a realistic one; `--fixtures empty` for nothing, or a
file in the format of fixtures/README.md) and prints its demo users' tokens. Call it with
`Authorization: <token>` (or `Bearer <token>`). Control API (loopback only): /__mock__/health, /users,
/reset, /state (GET export, PUT import), /journal (GET, DELETE).
"""


def _mock(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app

    try:
        app = create_app(
            args.fixtures,
            validate_responses=not args.no_validate_responses,
            journal_size=args.journal_size,
            control_from_anywhere=args.control_from_anywhere,
            seed=args.seed,
            cors_origins=tuple(args.cors_origin or ["*"]) if not args.no_cors else (),
        )
    except (OSError, ValueError) as error:
        print(f"groupkit mock: {error}", file=sys.stderr)
        return 2
    base = f"http://{args.host}:{args.port}" if ":" not in args.host else f"http://[{args.host}]:{args.port}"
    print(f"groupkit mock {__version__}: {base}  (Swagger UI: {base}/ui/, contract: {base}/openapi.json)")
    users = app.store.demo_users()
    if users:
        print("Demo users (send `Authorization: <token>`):")
        width = max(len(user.token or "") for user in users)
        for user in users:
            print(f"  {user.token:<{width}}  {user.name} <{user.email}>")
    else:
        print("The world is empty: load one with PUT /__mock__/state.")
    print(f"Example: curl -H 'Authorization: {users[0].token if users else 'TOKEN'}' {base}/user/groups")
    sys.stdout.flush()
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=args.access_log)
    return 0


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

    mock = commands.add_parser(
        "mock",
        help="serve the stateful mock of the contract",
        description="Serve the stateful, in-memory mock of the Group API with uvicorn.",
        epilog=MOCK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mock.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    mock.add_argument("--port", type=int, default=8080, help="port to listen on (default: %(default)s)")
    mock.add_argument(
        "--fixtures",
        default="default",
        metavar="WORLD",
        help="the world to start from: default, empty, or a JSON file (default: %(default)s)",
    )
    mock.add_argument(
        "--no-validate-responses",
        action="store_true",
        help="skip validating each response against the contract (faster; on by default)",
    )
    mock.add_argument("--journal-size", type=int, default=1000, help="requests kept in the journal (0: off)")
    mock.add_argument(
        "--control-from-anywhere",
        action="store_true",
        help="let non-loopback clients use /__mock__/ (off by default)",
    )
    mock.add_argument(
        "--cors-origin",
        action="append",
        metavar="ORIGIN",
        help="an origin browsers may call from (repeatable; default: any origin)",
    )
    mock.add_argument("--no-cors", action="store_true", help="send no CORS headers")
    mock.add_argument("--seed", type=int, help="seed for generated ids and tokens (same seed, same ids)")
    mock.add_argument(
        "--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"]
    )
    mock.add_argument("--access-log", action="store_true", help="log every request (costs ~12%% throughput)")
    mock.set_defaults(handler=_mock)

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
