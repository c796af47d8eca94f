"""`groupkit mock`: its flags, and starting the mock with them (the world, the banner of demo users, the listening
sockets, `--watch`, uvicorn under the server's limits)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__, behaviour

if TYPE_CHECKING:  # importing connexion (through app) is slow; `groupkit --help` needs neither
    import uvicorn

    from .app import MockApp

MOCK_EPILOG = """\
The mock starts from a fixture world (default: a realistic one; `--fixtures empty` for nothing, or a
file in the format of fixtures/README.md) and prints its demo users' tokens. Call it with
`Authorization: <token>` (or `Bearer <token>`).

Control API, for curl, scripts and test code (loopback clients only, no CORS, no cross-origin requests):
/__mock__/health, /users, /reset, /state (GET export, PUT import), /journal (GET, DELETE). The calls that
change something (POST /reset, PUT /state, DELETE /journal) need the header `X-Mock-Control: 1` or a JSON
Content-Type, which no web page can send there:
  curl -X POST -H 'X-Mock-Control: 1' http://127.0.0.1:8080/__mock__/reset
With --admin-token (or GROUPKIT_ADMIN_TOKEN), every control call also needs `X-Mock-Admin-Token: <token>`.

Sessions: send `X-Mock-Session: NAME` (API and control API) to work on a copy of the start world of your
own, with its own journal; GET /__mock__/sessions lists them (docs/sessions.md).

The mock answers requests addressed to 127.0.0.1, localhost or [::1] (any port), to the --host it listens
on, and to each --allowed-host; any other Host header gets a 403 (a guard against DNS rebinding).
"""

WILDCARD_ADDRESSES = ("0.0.0.0", "::", "")
BANNER_USERS = 12  # demo users the banner lists; the control API lists every one


def security_options(args: argparse.Namespace) -> dict[str, Any]:
    """`create_app`'s keyword arguments for who may reach the mock, from `groupkit mock`'s flags: the Host
    names it answers (loopback names, the address it listens on unless a wildcard, each --allowed-host), the
    admin token, and the API's CORS lists."""
    from .hosts import LOOPBACK_HOSTS

    listening = [args.host] if args.host not in WILDCARD_ADDRESSES else []
    return {
        "allowed_hosts": tuple(dict.fromkeys([*LOOPBACK_HOSTS, *listening, *(args.allowed_host or [])])),
        "admin_token": args.admin_token or None,
        "cors_origins": tuple(args.cors_origin or ["*"]) if not args.no_cors else (),
        "cors_allow_headers": tuple(args.cors_allow_header or ["*"]),
    }


def builder(args: argparse.Namespace) -> Callable[..., MockApp]:
    """The function that builds the mock these options describe: `build(world, contract_path, state_file)`
    (called again at each `--watch` reload, without the state file, and in each `--workers` worker)."""
    from .app import create_app
    from .contract import CONTRACT_PATH

    def build(world: Any, contract_path: Path = CONTRACT_PATH, state_file: str | None = None) -> MockApp:
        app = create_app(
            world,
            validate_responses=not args.no_validate_responses,
            journal_size=args.journal_size,
            control_from_anywhere=args.control_from_anywhere,
            seed=args.seed,
            **security_options(args),
            state_file=state_file,
            max_sessions=args.max_sessions,
            session_idle=args.session_idle,
            token_lifetime=args.token_lifetime,
            contract_path=contract_path,
            store=args.store,
        )
        app.faults.start_with(app.faults.parse(behaviour.from_args(args), "the latency and fault settings"))
        return app

    return build


def configure(args: argparse.Namespace, app: MockApp, served: Any = None) -> uvicorn.Config:
    """uvicorn's configuration for serving `app` (or `served`, what wraps it) under these options' limits."""
    from . import server

    limits = server.Limits(
        request_timeout=args.request_timeout,
        keep_alive=args.keep_alive,
        max_connections=args.max_connections,
        shutdown_timeout=args.shutdown_timeout,
    )
    served = app if served is None else served
    return server.config(
        served, problems=app.problems, limits=limits, log_level=args.log_level, access_log=args.access_log
    )


def _mock(args: argparse.Namespace) -> int:
    from . import server, workers
    from .contract import CONTRACT_PATH
    from .errors import SharedStoreUnavailable

    refused = workers.refusal(args, connect=True)
    if refused is not None:
        print(f"groupkit mock: {refused}", file=sys.stderr)
        return 2
    build = builder(args)
    try:
        app = build(args.fixtures, state_file=args.state)
        users = workers.demo_users(app)  # with --store, those of the world Redis holds
    except (OSError, ValueError, SharedStoreUnavailable) as error:
        print(f"groupkit mock: {error}", file=sys.stderr)
        return 2
    try:  # before anything is printed: a busy port is one line, not a banner and a traceback
        sockets = server.listen(args.host, args.port)
    except server.CannotListen as error:
        print(f"groupkit mock: {error}", file=sys.stderr)
        return 2
    port = sockets[0].getsockname()[1]  # the one chosen, with --port 0
    base = f"http://{args.host}:{port}" if ":" not in args.host else f"http://[{args.host}]:{port}"
    print(f"groupkit mock {__version__}: {base}  (Swagger UI: {base}/ui/, contract: {base}/openapi.json)")
    if users:
        print("Demo users (send `Authorization: <token>`):")
        shown = users[:BANNER_USERS]  # a generated world may hold thousands
        width = max(len(user.token or "") for user in shown)
        for user in shown:
            print(f"  {user.token:<{width}}  {user.name} <{user.email}>")
        if len(users) > len(shown):
            print(f"  ... and {len(users) - len(shown)} more: GET {base}/__mock__/users lists them all")
    else:
        print("The world is empty: load one with PUT /__mock__/state.")
    print(f"Example: curl -H 'Authorization: {users[0].token if users else 'TOKEN'}' {base}/user/groups")
    if args.state:
        print(f"State: kept in {args.state} (written within a second of each change, and at shutdown)")
    sys.stdout.flush()
    if args.workers > 1:
        del app, build  # each worker builds its own; this one only said what the banner says
        return workers.serve(args, sockets)
    served: Any = app
    if args.watch:
        from .reload import Reloader
        from .world import BUILT_IN_WORLDS

        world_file = None if args.fixtures in BUILT_IN_WORLDS else Path(args.fixtures)
        served = Reloader(app, build, contract=CONTRACT_PATH, world=world_file)
        watched = ", ".join(str(path) for path in (served.contract, served.world) if path is not None)
        print(f"Watching: {watched} (reloaded when they change)", flush=True)
    configuration = configure(args, app, served)
    server.serve(configuration, sockets)  # returns after SIGINT or SIGTERM and the graceful shutdown
    return 0


def _positive(kind: type[float]) -> Any:
    def parse(text: str) -> float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
        return value

    return parse


def _add_server_limits(mock: argparse.ArgumentParser) -> None:
    """The flags of `groupkit.server.Limits` that a user may need to change."""
    from .server import Limits

    limits = mock.add_argument_group("server limits (see groupkit/server.py)")
    limits.add_argument(
        "--max-connections",
        type=_positive(int),
        default=Limits.max_connections,
        metavar="N",
        help="connections served at once; beyond, requests get 503, and beyond twice as many a new "
        "connection is closed (default: %(default)s)",
    )
    limits.add_argument(
        "--keep-alive",
        type=_positive(int),
        default=Limits.keep_alive,
        metavar="SECONDS",
        help="close a connection idle this long, a new one included (default: %(default)s)",
    )
    limits.add_argument(
        "--request-timeout",
        type=_positive(float),
        default=Limits.request_timeout,
        metavar="SECONDS",
        help="close a connection whose request has not arrived in full this long after its first byte "
        "(default: %(default)s)",
    )
    limits.add_argument(
        "--shutdown-timeout",
        type=_positive(int),
        default=Limits.shutdown_timeout,
        metavar="SECONDS",
        help="on SIGINT or SIGTERM, give requests in flight this long, then cancel them (default: %(default)s)",
    )


def add_parser(commands: Any) -> None:
    """Add `mock` to `groupkit`'s sub-commands."""
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
        "--state",
        metavar="FILE",
        help="keep the world in FILE across restarts: read at start if it exists (else --fixtures, and the"
        " file is created), written within a second of each change and at shutdown; a file that cannot be"
        " read back stops the mock (exit 2)",
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
    mock.add_argument(
        "--no-cors", action="store_true", help="send no CORS headers (the API's; the control API has none)"
    )
    mock.add_argument(
        "--cors-allow-header",
        action="append",
        metavar="NAME",
        help="a request header browsers may send to the API besides Authorization and Content-Type (repeatable;"
        " default: any header a preflight asks for)",
    )
    mock.add_argument(
        "--allowed-host",
        action="append",
        metavar="NAME",
        help="also answer requests whose Host is NAME, e.g. a container's name (repeatable; * for any Host)",
    )
    mock.add_argument(
        "--admin-token",
        default=os.environ.get("GROUPKIT_ADMIN_TOKEN") or None,
        metavar="TOKEN",
        help="require X-Mock-Admin-Token: TOKEN on every control API call (default: $GROUPKIT_ADMIN_TOKEN, "
        "which keeps the token out of the process list; unset: no admin token)",
    )
    mock.add_argument("--seed", type=int, help="seed for generated ids and tokens (same seed, same ids)")
    mock.add_argument(
        "--watch",
        action="store_true",
        help="reload the contract and the --fixtures file when they change (state kept unless the world"
        " changed); a broken file is refused and the previous mock goes on serving",
    )
    from .sessions import DEFAULT_IDLE_SECONDS, DEFAULT_MAX_SESSIONS

    mock.add_argument(
        "--max-sessions",
        type=_positive(int),
        default=DEFAULT_MAX_SESSIONS,
        metavar="N",
        help="sessions (X-Mock-Session: NAME, each its own copy of the world) kept at once; the least recently"
        " used is evicted to make room (default: %(default)s)",
    )
    mock.add_argument(
        "--session-idle",
        type=_positive(float),
        default=DEFAULT_IDLE_SECONDS,
        metavar="SECONDS",
        help="a session unused this long expires (default: %(default)s)",
    )
    mock.add_argument(
        "--token-lifetime",
        type=_positive(float),
        default=3600,
        metavar="SECONDS",
        help="how long an access token from POST /oauth2/token is valid (default: %(default)s)",
    )
    mock.add_argument(
        "--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"]
    )
    mock.add_argument("--access-log", action="store_true", help="log every request (costs ~12%% throughput)")
    behaviour.add_arguments(mock)
    _add_server_limits(mock)
    from . import workers

    workers.add_arguments(mock)
    mock.set_defaults(handler=_mock)
