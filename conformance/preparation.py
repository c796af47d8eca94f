"""Everything a conformance run does before the engine starts: the options and the contract checked, the
operations selected, the server waited for, the run's schemathesis schema built and its context attached,
every token tried once (GET /user/groups), and the run's fixtures discovered. What stops a run here is a
`CannotRun` (exit 2).
"""

from __future__ import annotations

import time
from typing import Any

import requests
import schemathesis
from schemathesis.filters import FilterSet

from groupkit import contract

from . import baseline, fixtures, personas
from .casting import persona_callers
from .configuration import problems, schemathesis_config, select
from .context import RunContext, Settings, attach, detach
from .options import Options
from .report import Console
from .results import BaselineEntry, Result


class CannotRun(Exception):
    """The run cannot start or go on: exit 2 with this message."""


def prepare(
    options: Options, result: Result, console: Console
) -> tuple[schemathesis.schemas.BaseSchema, RunContext, list[BaselineEntry] | None]:
    """The run's schema (narrowed to the selected operations), its attached context, and the baseline's
    entries (None without `--baseline`); a `CannotRun` says why the run cannot start."""
    wrong = problems(options)
    if wrong:
        raise CannotRun("bad options: " + "; ".join(wrong))
    known = None
    if options.baseline is not None:
        try:
            known = baseline.load(options.baseline)
        except baseline.BaselineError as error:
            raise CannotRun(f"--baseline {options.baseline}: {error}") from None
    issues = contract.lint(options.contract)
    if issues:
        shown = "\n  ".join(str(issue) for issue in issues[:10])
        raise CannotRun(f"the contract {options.contract} is not valid OpenAPI 3.0:\n  {shown}")
    operations = {
        f"{method} {path}": op_id
        for (method, path), op_id in contract.operations(contract.load(options.contract)).items()
    }
    selected, unknown = select(operations, options.include, options.exclude, options.read_only)
    if unknown:
        raise CannotRun(
            f"no operation is named {', '.join(repr(name) for name in unknown)}; the contract has: "
            + ", ".join(f"{label} ({op_id})" for label, op_id in operations.items())
        )
    if not selected:
        raise CannotRun("the include/exclude options (and --read-only) select no operation")
    result.operations = selected
    if options.app is None:
        wait_for_server(options)
    schema = schema_for(options, result.seed, selected)
    assert options.token is not None
    try:
        cast = tuple(personas.gather(options.persona, options.personas).items())
    except personas.PersonaError as error:
        raise CannotRun(str(error)) from None
    settings = Settings(
        token=options.token,
        other_token=options.other_token,
        read_only=options.read_only,
        run_id=result.run_id,
        workers=options.workers,
        request_timeout=options.request_timeout,
        personas=cast,
        strict_fields=options.strict_fields,
        deadline=None if options.max_time is None else result.started + options.max_time,
    )
    context = attach(schema, settings)
    console.start(options, result, context.prefix, known)
    try:
        preflight(context, options)
        found = fixtures.discover(context)
    except BaseException:
        detach(schema)
        raise
    if found:  # the engine's schema binds the discovered ids; the checks' follow-ups keep the first one
        schema = schema_for(options, result.seed, selected, fixtures.configuration(found))
        attach(schema, settings, context)
    return schema, context, known


def schema_for(
    options: Options, seed: int, selected: list[str], extra: dict[str, Any] | None = None
) -> schemathesis.schemas.BaseSchema:
    """The contract as the run's schemathesis schema, narrowed to the selected operations; `extra` adds
    dictionaries and parameter bindings (fixtures.py) to the configuration."""
    data = schemathesis_config(options, seed)
    for key, value in (extra or {}).items():
        data[key] = {**data.get(key, {}), **value}
    schema = schemathesis.openapi.from_path(options.contract, config=schemathesis.Config.from_dict(data))
    if options.app is not None:
        schema.app = options.app
    include = FilterSet()
    include.include(name=selected)
    schema.filter_set = schema.config.operations.filter_set_with(include=include)
    return schema


def wait_for_server(options: Options) -> None:
    url = options.base_url.rstrip("/") + "/user/groups"
    deadline = time.monotonic() + options.wait_for_server
    while True:
        try:
            requests.get(url, timeout=min(5.0, options.request_timeout or 5.0))
            return
        except requests.RequestException as error:
            if time.monotonic() >= deadline:
                waited = f" for {options.wait_for_server:g} s" if options.wait_for_server else ""
                raise CannotRun(
                    f"cannot reach {options.base_url}{waited}: {type(error).__name__}"
                    " (is the server up? --wait-for-server SECONDS waits for it to start)"
                ) from None
            time.sleep(0.25)


def preflight(context: RunContext, options: Options) -> None:
    """Both tokens must be accepted (GET /user/groups): a rejected token makes every check meaningless."""
    callers = [("--token", context.caller), ("--other-token", context.other)]
    callers += [(f"persona {name}", caller) for name, caller in persona_callers(context).items()]
    for name, caller in callers:
        if caller is None:
            continue
        try:
            reply = caller.send("GET /user/groups")
        except requests.RequestException as error:
            raise CannotRun(f"cannot reach {options.base_url}: {type(error).__name__}") from None
        if reply.status in (401, 403):
            raise CannotRun(f"the server rejected {name}: GET /user/groups answered {reply.status}")
