"""`groupkit proxy`: its options, the server it runs (uvicorn as `groupkit mock` runs it, behind the same Host
check), and the reports it writes when it stops: the journal, JUnit (the kit's writer) and Markdown."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from groupkit.conformance.results import ExitCode, Result

if TYPE_CHECKING:  # connexion (through problems) is slow to import; `groupkit --help` needs none of these
    import uvicorn
    from starlette.types import ASGIApp

    from groupkit.problems import Problems

DESCRIPTION = """\
A validating reverse proxy: point a frontend or a manual tester at it instead of the real server. It
forwards every request to --upstream unchanged and checks each request and answer against the contract
(status, content type, schema, Error body and code, undocumented fields); each problem is one line on
stderr as it happens. On Ctrl-C (or SIGTERM) it writes the journal and the reports it was asked for.

  groupkit proxy --upstream https://staging.example/ --port 8081 --junit reports/proxy.xml
"""

EPILOG = """\
Exit codes: 0 stopped normally (with --fail-on-violation: and no violation was seen), 1 a violation was
seen and --fail-on-violation is set, 2 could not start (bad options, busy port).
Tokens, cookies and API-key headers are forwarded but never stored or printed: the journal and the
reports show them as [Filtered], and secret fields of bodies (token, password, ...) too.
"""


def add_parser(commands: Any) -> None:
    proxy = commands.add_parser(
        "proxy",
        help="a validating proxy: check real traffic against the contract (exit 0, 1 with "
        "--fail-on-violation and a violation, 2 could not start)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    proxy.add_argument(
        "--upstream", required=True, metavar="URL", help="the server to forward to (http or https)"
    )
    proxy.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    proxy.add_argument(
        "--port", type=int, default=8081, help="port to listen on (default: %(default)s; 0: any)"
    )
    proxy.add_argument("--journal", type=Path, metavar="FILE", help="write the journal (JSON) here at exit")
    proxy.add_argument(
        "--journal-size", type=int, default=1000, help="exchanges kept in the journal (default: %(default)s)"
    )
    proxy.add_argument(
        "--junit",
        "--junit-xml",
        dest="junit",
        type=Path,
        metavar="FILE",
        help="write a JUnit XML report at exit",
    )
    proxy.add_argument(
        "--markdown",
        "--report",
        dest="markdown",
        type=Path,
        metavar="FILE",
        help="write a Markdown report at exit",
    )
    proxy.add_argument("--fail-on-violation", action="store_true", help="exit 1 if any violation was seen")
    proxy.add_argument(
        "--strict-fields",
        action="store_true",
        help="every undocumented response property is a violation (default: only a near miss of a documented name, such as owner_id for ownerId)",
    )
    proxy.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long the upstream has to answer (default: %(default)s)",
    )
    proxy.add_argument(
        "--contract",
        type=Path,
        metavar="FILE",
        help="the contract to check against (default: the shipped openapi.yaml)",
    )
    proxy.add_argument(
        "--allowed-host",
        action="append",
        metavar="NAME",
        help="also answer requests whose Host is NAME (repeatable; * for any)",
    )
    proxy.set_defaults(handler=run)


def server_config(
    app: ASGIApp, problems: Problems, *, host: str = "127.0.0.1", log_level: str = "warning"
) -> uvicorn.Config:
    """uvicorn's configuration as `groupkit mock` has it (limits, JSON refusals), adding no header of its own:
    the client sees the upstream's `Server` and `Date`."""
    from groupkit import server

    configuration = server.config(app, problems=problems, host=host, log_level=log_level)
    configuration.server_header = False
    configuration.date_header = False
    return configuration


def _fail(message: str) -> int:
    print(f"groupkit proxy: {message}", file=sys.stderr)
    return int(ExitCode.CANNOT_RUN)


def run(args: argparse.Namespace) -> int:
    import httpx

    from groupkit import app as _  # noqa: F401  # first: it quiets connexion's import-time warning
    from groupkit import contract, server
    from groupkit.hosts import LOOPBACK_HOSTS, HostGuard
    from groupkit.problems import Problems

    from .forward import Proxy
    from .record import Record
    from .report import write_reports
    from .rules import Rules

    try:
        upstream = httpx.URL(args.upstream)
    except httpx.InvalidURL as error:
        return _fail(f"--upstream {args.upstream!r} is not a URL: {error}")
    if upstream.scheme not in ("http", "https") or not upstream.host:
        return _fail(f"--upstream {args.upstream!r} must be an http:// or https:// URL with a host")
    if args.timeout <= 0 or args.journal_size < 1:
        return _fail("--timeout must be positive and --journal-size at least 1")
    try:
        document = contract.load(args.contract) if args.contract else contract.default()
        rules = Rules(document, strict_fields=args.strict_fields)
        problems = Problems.of(document)
    except (OSError, ValueError) as error:
        return _fail(f"cannot use the contract: {error}")
    record = Record(
        str(upstream), size=args.journal_size, log=lambda line: print(line, file=sys.stderr, flush=True)
    )
    proxy = Proxy(str(upstream), rules, record, timeout=args.timeout)
    listening = [args.host] if args.host not in ("0.0.0.0", "::", "") else []
    try:
        guarded = HostGuard(proxy, problems, [*LOOPBACK_HOSTS, *listening, *(args.allowed_host or [])])
        sockets = server.listen(args.host, args.port)
    except (ValueError, server.CannotListen) as error:
        return _fail(str(error))
    configuration = server_config(guarded, problems, host=args.host)
    port = sockets[0].getsockname()[1]
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"groupkit proxy: http://{shown}:{port} -> {upstream} (checking against "
        f"{args.contract or 'the shipped openapi.yaml'}; Ctrl-C writes the reports and stops)",
        flush=True,
    )
    server.serve(configuration, sockets)
    result = record.result(args.fail_on_violation, rules.documented_paths)
    write_reports(result, record, args)
    _summary(result)
    return int(result.exit_code)


def _summary(result: Result) -> None:
    violations = sum(finding.count for finding in result.failures)
    print(
        f"groupkit proxy: {result.cases} exchange(s), {violations} violation(s) of {len(result.failures)} kind(s), "
        f"{len(result.warnings)} warning(s), {len(result.errors)} error(s); exit {int(result.exit_code)}",
        file=sys.stderr,
        flush=True,
    )
