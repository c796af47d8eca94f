"""Builds the mock: connexion 3 serving the contract, each operation bound to a store, wrapped in the
request journal, the body guard and the control API.

    MockApp ── /__mock__/* ──> Control (loopback only)
           └── everything else ──> JournalMiddleware ─> BodyGuard ─> connexion AsyncApp ─> handlers ─> Store

`create_app()` gives a fresh mock per call (its own store and journal), so tests never share state.
"""

from __future__ import annotations

import functools
import random
from pathlib import Path
from typing import Any

from connexion import AsyncApp
from connexion.exceptions import ProblemException
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from connexion.security import ApiKeySecurityHandler
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from groupkit.handlers import OPERATIONS

from . import contract, problems
from . import world as worlds
from .control import PREFIX, Control
from .errors import GroupkitError
from .guard import DEFAULT_MAX_BODY, BodyGuard
from .journal import Journal, JournalMiddleware
from .store import Store


def _token_of(header: str) -> str:
    scheme, _, rest = header.strip().partition(" ")
    return rest.strip() if scheme.lower() == "bearer" and rest else header.strip()


def _security_map(store: Store) -> dict[str, type]:
    """connexion's apiKey handler, resolving tokens against this mock's store (raw or `Bearer <token>`)."""

    def token_info(api_key: str, required_scopes: Any = None) -> dict[str, str] | None:
        user = store.user_for_token(_token_of(api_key))
        return {"sub": user.id} if user is not None else None

    class StoreApiKeyHandler(ApiKeySecurityHandler):
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
        http_errors = problems.HttpErrors(contract.path_methods(document))
        self.connexion.add_error_handler(GroupkitError, problems.domain_error)
        self.connexion.add_error_handler(ProblemException, http_errors)
        self.connexion.add_error_handler(HTTPException, http_errors)
        self.connexion.add_error_handler(Exception, problems.unexpected)
        self.control = Control(store, initial_world, self.journal, control_from_anywhere)
        self._api = JournalMiddleware(BodyGuard(self.connexion, max_body), self.journal, PREFIX)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX + "/"):
            await self.control(scope, receive, send)
        else:
            await self._api(scope, receive, send)


def create_app(
    world: dict[str, Any] | str = "default",
    *,
    validate_responses: bool = True,
    journal_size: int = 1000,
    control_from_anywhere: bool = False,
    max_body: int = DEFAULT_MAX_BODY,
    seed: int | None = None,
    contract_path: Path | str = contract.CONTRACT_PATH,
) -> MockApp:
    """A fresh mock holding `world` (a built-in name, a file path, or a world dict, checked first)."""
    if isinstance(world, str):
        world = worlds.load(world)
    else:
        errors = worlds.problems(world)
        if errors:
            raise ValueError("not a valid world:\n  " + "\n  ".join(errors))
    store = Store.from_world(world, rng=random.Random(seed))
    return MockApp(
        store,
        world,
        validate_responses=validate_responses,
        journal_size=journal_size,
        control_from_anywhere=control_from_anywhere,
        max_body=max_body,
        contract_path=Path(contract_path),
    )
