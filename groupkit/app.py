"""Builds the mock: connexion 3 serving the contract, each operation bound to a store, wrapped in the
request journal, the body guard and the control API.

    MockApp ─> CORS ─┬─ /__mock__/* ──> Control (loopback only)
                     └─ everything else ──> JournalMiddleware ─> BodyGuard ─> connexion AsyncApp ─> handlers ─> Store

CORS is on for every origin by default, because frontends under development are served from another
origin (a dev server on another port) and send the `Authorization` header.

`create_app()` gives a fresh mock per call (its own store and journal), so tests never share state.
"""

from __future__ import annotations

import functools
import random
import warnings
from pathlib import Path
from typing import Any

# connexion 3.3 imports starlette's TestClient, which warns about its httpx backend at import time;
# it is noise for a user starting the mock.
warnings.filterwarnings("ignore", message=".*starlette.testclient.*")

from connexion import AsyncApp  # noqa: E402
from connexion.options import SwaggerUIOptions  # noqa: E402
from connexion.resolver import Resolver  # noqa: E402
from connexion.security import ApiKeySecurityHandler  # noqa: E402
from starlette.middleware.cors import CORSMiddleware  # noqa: E402
from starlette.types import Receive, Scope, Send  # noqa: E402

from groupkit.handlers import OPERATIONS  # noqa: E402

from . import contract, problems  # noqa: E402
from . import world as worlds  # noqa: E402
from .control import PREFIX, Control  # noqa: E402
from .guard import DEFAULT_MAX_BODY, BodyGuard  # noqa: E402
from .journal import Journal, JournalMiddleware  # noqa: E402
from .store import Store  # noqa: E402


def _token_of(header: str) -> str:
    scheme, _, rest = header.strip().partition(" ")
    return rest.strip() if scheme.lower() == "bearer" and rest else header.strip()


def _security_map(store: Store) -> dict[str, type]:
    """connexion's apiKey handler, resolving tokens against this mock's store (raw or `Bearer <token>`)."""

    def token_info(api_key: str, required_scopes: Any = None) -> dict[str, str] | None:
        user = store.user_for_token(_token_of(api_key))
        return {"sub": user.id} if user is not None else None

    class StoreApiKeyHandler(ApiKeySecurityHandler):  # type: ignore[misc]  # connexion ships no types
        def _resolve_func(self, security_scheme: Any) -> Any:
            return token_info

    return {"apiKey": StoreApiKeyHandler}


class MockApp:
    """The mock as one ASGI application; `store` and `journal` are its state."""

    def __init__(
        self,
        store: Store,
        initial_world: dict[str, Any],
        *,
        validate_responses: bool,
        journal_size: int,
        control_from_anywhere: bool,
        max_body: int,
        contract_path: Path,
        cors_origins: tuple[str, ...],
        seed: int | None,
    ) -> None:
        self.store = store
        document = contract.load(contract_path)
        self.journal = Journal(journal_size, contract.operations(document))
        bound = {op: functools.partial(handler, store) for op, handler in OPERATIONS.items()}
        self.connexion = AsyncApp(
            __name__,
            pythonic_params=True,
            validate_responses=validate_responses,
            security_map=_security_map(store),
            resolver=Resolver(function_resolver=bound.__getitem__),
        )
        self.connexion.add_api(
            contract_path,
            base_path="",
            swagger_ui_options=SwaggerUIOptions(swagger_ui_path="/ui"),
        )
        self.problems = problems.Problems.of(document)  # every error, from every source, renders here
        self.problems.register(self.connexion)
        self.initial_world = initial_world
        self.seed = seed
        self.control = Control(store, self.reset, self.journal, control_from_anywhere, self.problems)
        self._api = JournalMiddleware(
            BodyGuard(self.connexion, self.problems, max_body), self.journal, PREFIX
        )
        self._entry: Any = self._dispatch
        if cors_origins:
            self._entry = CORSMiddleware(
                self._dispatch,
                allow_origins=list(cors_origins),
                allow_methods=["GET", "POST", "PUT", "DELETE"],
                allow_headers=["Authorization", "Content-Type"],
                expose_headers=["Allow"],
                max_age=600,
            )

    def reset(self) -> None:
        """Back to the world the mock started with; with a seed, ids are generated afresh from it too, so
        a test that resets before each scenario sees the same ids every time (hypothesis replays need it)."""
        self.store.replace(
            self.initial_world, rng=random.Random(self.seed) if self.seed is not None else None
        )

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX + "/"):
            await self.control(scope, receive, send)
        else:
            await self._api(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._entry(scope, receive, send)


def create_app(
    world: dict[str, Any] | str = "default",
    *,
    validate_responses: bool = True,
    journal_size: int = 1000,
    control_from_anywhere: bool = False,
    max_body: int = DEFAULT_MAX_BODY,
    seed: int | None = None,
    contract_path: Path | str = contract.CONTRACT_PATH,
    cors_origins: tuple[str, ...] = ("*",),
) -> MockApp:
    """A fresh mock holding `world` (a built-in name, a file path, or a world dict); a broken world is
    refused with `groupkit.world.InvalidWorld`, which names each problem."""
    source = world if isinstance(world, str) else None
    data = worlds.read(world) if isinstance(world, str) else world
    store = Store(worlds.build(data, source), rng=random.Random(seed))  # InvalidWorld names each problem
    return MockApp(
        store,
        data,
        validate_responses=validate_responses,
        journal_size=journal_size,
        control_from_anywhere=control_from_anywhere,
        max_body=max_body,
        contract_path=Path(contract_path),
        cors_origins=cors_origins,
        seed=seed,
    )
