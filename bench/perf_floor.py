"""Floors for `perf.py --floors`: the cheapest servers of this stack answering the benchmark's requests with
the mock's own answers (canned: no store, no journal, no CORS), served by uvicorn as the mock is (uvloop,
httptools, no access log), to show what the stack itself costs.

    starlette  a bare Starlette app with one route per target: the ceiling of uvicorn + Starlette
    connexion  connexion's AsyncApp on the contract, with its default middleware (routing, apiKey security,
               request validation, and response validation with --validate-responses), every operation
               answering its canned body: the floor of any mock with connexion in the request path;
               with --levers, through the mock's own levers (groupkit.fastconnexion's app, handlers
               decorated once, signatures read once; groupkit.validation's compiled schemas): the floor
               of the mock as it is built

    python bench/perf_floor.py connexion --port 8090 [--validate-responses] [--levers]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling modules, however this is run

import perf_calls  # noqa: E402
from perf_servers import CONTRACT, HOST, TOKEN  # noqa: E402
from perf_wrk import TARGETS  # noqa: E402


def canned() -> dict[tuple[str, str], bytes]:
    """The mock's answer (default world) to each target, by (method, path)."""
    from groupkit.app import create_app

    app = create_app()
    answers = {}
    for target in TARGETS:
        path, _, query = target.path.partition("?")
        call = perf_calls.asgi_call(app, target.method, path, query, (target.body or "").encode())
        status, body = asyncio.run(call())
        assert status == 200, f"{target.label} answered {status}"
        answers[(target.method, path)] = body
    return answers


def starlette_app(answers: dict[tuple[str, str], bytes]) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    def route(method: str, path: str, body: bytes) -> Route:
        async def endpoint(request: Request) -> Response:
            await request.body()
            return Response(body, media_type="application/json")

        return Route(path, endpoint, methods=[method])

    return Starlette(routes=[route(method, path, body) for (method, path), body in answers.items()])


def connexion_app(
    answers: dict[tuple[str, str], bytes], validate_responses: bool, levers: bool = False
) -> Any:
    from connexion import AsyncApp  # after canned(): groupkit.app quiets connexion's import-time warning
    from connexion.resolver import Resolver
    from connexion.security import ApiKeySecurityHandler

    from groupkit.fastconnexion import FastAsyncApp, accepts_kwarg
    from groupkit.validation import validator_map

    values = {path: json.loads(body) for (_, path), body in answers.items()}

    def token_info(api_key: str, required_scopes: Any = None) -> dict[str, str] | None:
        return {"sub": "caller"} if api_key == TOKEN else None

    class TokenHandler(ApiKeySecurityHandler):  # type: ignore[misc]  # connexion ships no types
        def _resolve_func(self, security_scheme: Any) -> Any:
            return token_info

        if levers:
            _accepts_kwarg = staticmethod(accepts_kwarg)

    async def list_user_groups(**arguments: Any) -> Any:
        return values["/user/groups"]

    async def create_group(**arguments: Any) -> Any:
        return values["/group"]

    async def not_benchmarked(**arguments: Any) -> Any:
        return {"message": "not benchmarked"}, 501

    handlers = {"listUserGroups": list_user_groups, "createGroup": create_group}
    app = (FastAsyncApp if levers else AsyncApp)(
        __name__,
        pythonic_params=True,
        validate_responses=validate_responses,
        security_map={"apiKey": TokenHandler},
        resolver=Resolver(function_resolver=lambda operation_id: handlers.get(operation_id, not_benchmarked)),
        **({"validator_map": validator_map()} if levers else {}),
    )
    app.add_api(CONTRACT, base_path="")
    return app


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("kind", choices=["starlette", "connexion"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--validate-responses", action="store_true", help="connexion only")
    parser.add_argument("--levers", action="store_true", help="connexion only: through the mock's levers")
    args = parser.parse_args()
    import uvicorn

    answers = canned()
    app = (
        starlette_app(answers)
        if args.kind == "starlette"
        else connexion_app(answers, args.validate_responses, args.levers)
    )
    uvicorn.run(app, host=HOST, port=args.port, http="httptools", log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
