"""`groupkit mock --store URL --workers N`: the flags, what they refuse, and N worker processes serving the
sockets the parent bound, under uvicorn's own supervisor (`uvicorn.supervisors.Multiprocess`), sharing one
world through the store at URL (docs/deployment.md).

uvicorn starts each worker with multiprocessing's spawn method and pickles its `Config` to it, while the
configuration `groupkit mock` serves with holds closures (the app, the protocol class bound to the mock's
error renderer). So the supervisor gets a `WorkerConfig`: plain data (the parsed options, an import-string
placeholder for the app) that, when uvicorn loads it in the worker, builds the mock as `groupkit mock` builds
it in one process (`mockcli.builder`, `mockcli.configure`: the same limits, protocol and graceful shutdown).
The supervisor restarts a worker that dies or stops answering its health pings, restarts them all on SIGHUP,
and on SIGINT or SIGTERM stops every worker (each given --shutdown-timeout for its requests in flight)
before returning.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import socket
import sys
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

if TYPE_CHECKING:
    from .app import MockApp
    from .model import User

MEMORY = "memory"
SHARED_SCHEMES = ("redis", "rediss", "unix")
STORE_HELP = "redis://HOST:PORT/DB, rediss://HOST:PORT/DB or unix:///PATH?db=DB"
PLACEHOLDER_APP = "groupkit.app:create_app"  # never imported: `WorkerConfig.load` builds the app itself
SHARED_OPTIONS = "--store redis://HOST:PORT/DB"

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`groupkit mock`'s `--store` and `--workers` flags."""
    from .mockcli import _positive

    group = parser.add_argument_group("shared store and workers (docs/deployment.md)")
    group.add_argument(
        "--store",
        default=MEMORY,
        metavar="URL",
        help=f"where the worlds live: memory (this process) or a Redis database, {STORE_HELP}, shared by"
        " every worker and every mock started with the same URL (default: %(default)s)",
    )
    group.add_argument(
        "--workers",
        type=_positive(int),
        default=1,
        metavar="N",
        help="serve with N processes (needs a shared --store; default: %(default)s)",
    )


def redacted(url: str) -> str:
    """`url` with its password, if any, shown as `***` (in the user part or a `password=` parameter)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # e.g. an unclosed `[` in the host: say nothing of what follows the scheme
        return url.split("://", 1)[0] + "://..." if "://" in url else "..."
    if password is None and "password=" not in parts.query:
        return url
    netloc = parts.netloc
    if password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}:***@{host}"
    query = parts.query
    if "password=" in query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, "***" if k == "password" else v) for k, v in pairs], safe="*/")
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "") + fragment


def store_problem(url: str) -> str | None:
    """Why `url` cannot be a `--store` (None if it can): `memory` or a Redis URL `redis` can connect to."""
    if url == MEMORY:
        return None
    wrong = f"--store must be {MEMORY} or a Redis URL ({STORE_HELP}), not {redacted(url)!r}"
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in SHARED_SCHEMES:
        return wrong
    from redis.connection import parse_url

    try:
        parsed = parse_url(url)  # type: ignore[no-untyped-call]  # redis-py's URL parser has no annotations
    except ValueError as error:
        return f"{wrong}: {error}"
    if scheme == "unix" and not parsed.get("path"):
        return f"{wrong}: a unix:// URL names the socket's path (unix:///run/redis.sock?db=0)"
    if scheme != "unix" and not parsed.get("host"):
        return f"{wrong}: the URL names no host"
    database = urlsplit(url).path.strip("/")
    if scheme != "unix" and database and not database.isdigit():
        return f"{wrong}: the database after the host is a number (/0, /1...)"
    return None


def refusal(args: argparse.Namespace, *, connect: bool = False) -> str | None:
    """Why `groupkit mock` cannot start with these `--store` and `--workers` options (None if it can); with
    `connect`, a Redis store that does not answer is a reason too (said once, before any worker starts)."""
    problem = store_problem(args.store)
    if problem is not None:
        return problem
    if args.store == MEMORY:
        if args.workers > 1:
            return (
                f"--workers {args.workers} needs a shared store: with the in-memory one each worker would hold"
                " a world of its own (a group created through one would be missing on the others); run Redis"
                f" and add {SHARED_OPTIONS} (docs/deployment.md)"
            )
        return None
    if args.state:
        return (
            "--state FILE is how the in-memory store keeps its world on disk; with --store the world lives in"
            " Redis, which persists it itself (its RDB or AOF settings, docs/deployment.md): drop --state"
        )
    if args.watch:
        return (
            "--watch is not supported with --store (a reload would replace the world every worker and mock"
            " shares): drop --watch, or run a mock of your own with the in-memory store to edit the files"
        )
    return unreachable(args.store) if connect else None


def unreachable(url: str) -> str | None:
    """Why the Redis server at `url` cannot be used (None if it answers a PING)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        client.ping()
    except (OSError, redis.RedisError) as error:
        return f"cannot use the store {redacted(url)}: {error}"
    finally:
        client.close()
    return None


def demo_users(app: MockApp) -> list[User]:
    """The demo users of the world `app` serves by default. With a shared store, those of the world Redis
    holds (made there from the start world if it holds none): its replica is caught up once, in an event
    loop of its own, and the client's connections are closed after, to be opened again by the loop that
    serves. `SharedStoreUnavailable` if Redis does not answer."""
    default = app.sessions.default
    shared = default.shared
    if shared is None:
        return default.store.demo_users()

    async def caught_up() -> list[User]:
        try:
            await default.fresh()
        finally:
            await shared.client.aclose()
        return default.store.demo_users()

    return asyncio.run(caught_up())


class WorkerConfig(uvicorn.Config):
    """What the supervisor pickles to each worker: `groupkit mock`'s parsed options and the logging settings.
    `load`, which uvicorn calls in the worker before serving, replaces it with the configuration the mock
    is served with in one process (a worker that cannot build it exits with uvicorn's STARTUP_FAILURE, so
    the supervisor stops instead of restarting it in a loop)."""

    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        super().__init__(
            PLACEHOLDER_APP,
            workers=options.workers,
            log_level=options.log_level,
            access_log=options.access_log,
        )

    def load(self) -> None:
        from . import mockcli

        # The format `groupkit.cli.main` gives the mock's own log lines (session evictions, the journal...).
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        options = self.options
        try:
            app = mockcli.builder(options)(options.fixtures, state_file=options.state)
        except Exception as error:  # a startup failure: restarting the worker in a loop would not help
            logger.error("groupkit mock: a worker could not build the mock: %s", error)
            sys.exit(STARTUP_FAILURE)
        vars(self).update(vars(mockcli.configure(options, app)))  # the app, its protocol, limits, timeouts
        super().load()
        gc.freeze()  # as `server.serve` does: the built mock stays out of the collector's full passes


def serve(options: argparse.Namespace, sockets: list[socket.socket]) -> int:
    """Serve `options.workers` workers on `sockets` until SIGINT or SIGTERM: 0, or 1 if a worker could not
    start (the supervisor then stops the others)."""
    print(f"Workers: {options.workers} processes sharing {redacted(options.store)}", flush=True)
    supervisor = Multiprocess(WorkerConfig(options), sockets)
    supervisor.run()  # returns once every worker has stopped
    failed = [p.pid for p in supervisor.processes if p.exitcode == STARTUP_FAILURE]
    if failed:
        print(
            f"groupkit mock: worker {failed[0]} could not start (its error is above); stopped",
            file=sys.stderr,
        )
        return 1
    return 0
