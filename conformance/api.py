"""The kit from a user's own pytest suite: `load()` gives a schemathesis schema of the contract wired to a
live server or an in-process ASGI app, with the kit's hooks and checks attached; `CHECKS` lists the checks.

    schema = groupkit.conformance.load(base_url="http://127.0.0.1:8080", token="demo-token-alice")

    @schema.parametrize()
    def test_api(case):
        case.call_and_validate(additional_checks=groupkit.conformance.CHECKS)

    TestWorkflow = schema.as_state_machine().TestCase

Once this package is imported the checks are registered with schemathesis, hence on by default for the
schemas `load()` returns (`additional_checks=CHECKS` is harmless: each check runs once per response);
they stay inert for any other schema.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.filters import FilterSet
from schemathesis.schemas import BaseSchema

from groupkit.contract import CONTRACT_PATH

from . import hooks  # noqa: F401  (registration)
from .access import auth_is_enforced, isolation_between_users
from .configuration import SAFE_METHODS, problems, schemathesis_config
from .context import Settings, attach, context_for
from .error_bodies import error_body_conforms
from .field_drift import response_fields_are_documented
from .membership import invited_member_is_listed, removed_member_is_gone, updated_role_is_listed
from .neighbours import neighbours_are_unchanged
from .options import Options
from .pagination import pagination_is_complete
from .persistence import (
    created_group_is_readable,
    created_key_is_stored,
    deleted_key_stays_deleted,
    update_is_persisted,
)
from .role_matrix import permissions_are_enforced

CHECKS = [
    pagination_is_complete,
    created_group_is_readable,
    update_is_persisted,
    created_key_is_stored,
    deleted_key_stays_deleted,
    invited_member_is_listed,
    updated_role_is_listed,
    removed_member_is_gone,
    auth_is_enforced,
    isolation_between_users,
    error_body_conforms,
    response_fields_are_documented,
    permissions_are_enforced,
    neighbours_are_unchanged,
]


def load(
    *,
    token: str,
    base_url: str | None = None,
    app: Any = None,
    other_token: str | None = None,
    contract: Path | str = CONTRACT_PATH,
    read_only: bool = False,
    max_examples: int = 25,
    seed: int | None = None,
    personas: dict[str, str] | None = None,
) -> BaseSchema:
    """The contract as a schemathesis schema against `base_url`, or in-process against the ASGI `app`."""
    if base_url is None and app is None:
        raise ValueError("give base_url (a live server) or app (an ASGI app tested in-process)")
    options = Options(
        base_url=base_url or "http://127.0.0.1",
        token=token,
        other_token=other_token,
        contract=Path(contract),
        read_only=read_only,
        max_examples=max_examples,
        app=app,
    )
    wrong = problems(options)
    if wrong:
        raise ValueError("; ".join(wrong))
    config = schemathesis.Config.from_dict(schemathesis_config(options, seed))
    schema = schemathesis.openapi.from_path(options.contract, config=config)
    if app is not None:
        schema.app = app
    if read_only:
        safe = FilterSet()
        safe.include(method=[method.lower() for method in SAFE_METHODS])
        schema.filter_set = schema.config.operations.filter_set_with(include=safe)
    attach(
        schema,
        Settings(
            token=token,
            other_token=other_token,
            read_only=read_only,
            run_id=secrets.token_hex(3),
            personas=tuple((personas or {}).items()),
        ),
    )
    return schema


def created(schema: BaseSchema) -> list[str]:
    """What the kit's runs on `schema` created or changed so far (for clean-up on shared servers)."""
    context = context_for(schema)
    return context.ledger() if context is not None else []
