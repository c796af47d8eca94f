"""Flake triage (`--confirm N`): after the run, each distinct failure's reproduction is sent again N times and
its check run again on each answer; a failure that comes back every time is deterministic, one that does not
is flaky.

A replay re-sends the exact requests of the reproduction (a stateful chain in order) through the run's
transport and headers, then calls the failed check alone on the last answer with `Case.validate_response`,
which gives it the same check configuration as in the run. It reproduces when that check raises a failure
with the finding's title. Each replay gets a fresh run context, so a check's run-once probe runs again as it
did the first time (the run's own context is detached: call this after the engine has finished); what the
replays create is marked with the run's marker and joins the run's ledger.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from schemathesis.checks import CHECKS, CheckFunction, is_check_class, load_all_checks
from schemathesis.core.failures import FailureGroup
from schemathesis.schemas import BaseSchema

from .calls import AnyCase
from .context import Settings, attach, detach
from .reproduction import Reproduction
from .results import DETERMINISTIC, FLAKY, Finding

__all__ = ["Triage", "confirm"]


@dataclasses.dataclass
class Triage:
    """What the replays left for the report: their ledger, notes, and the failures they could not replay."""

    created: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    errors: list[str] = dataclasses.field(default_factory=list)


def confirm(
    schema: BaseSchema, settings: Settings, found: Iterable[tuple[Finding, Reproduction]], times: int
) -> Triage:
    """Replay each finding `times` times and label it `DETERMINISTIC` or `FLAKY` (see the module docstring).

    A finding without generated requests to send (an `after_run` failure) keeps no label; so does one whose
    replay raised (the server went away, a check crashed): it is named in `Triage.errors`."""
    load_all_checks()
    triage = Triage()
    attempt = 0
    for finding, reproduction in found:
        if not reproduction.cases or reproduction.check not in CHECKS.get_all_names():
            continue
        check = CHECKS.get_one(reproduction.check)
        if is_check_class(check):  # an instance of it keeps state across the run: not callable on one answer
            continue
        reproduced = 0
        for _ in range(times):
            attempt += 1
            # Replays run one at a time after the engine: no other worker's write can race the checks' reads.
            replay = dataclasses.replace(settings, run_id=f"{settings.run_id}-r{attempt}", workers=1)
            context = attach(schema, replay)
            try:
                reproduced += _replay(reproduction.cases, check, finding.title)
            except Exception as error:
                triage.errors.append(
                    f"--confirm: could not replay {finding.operation} {finding.check}: "
                    f"{type(error).__name__}: {(str(error).splitlines() or [''])[0]}"
                )
                break
            finally:
                detach(schema)
                triage.created += [entry for entry in context.ledger() if entry not in triage.created]
                triage.notes += [note for note in context.notes if note not in triage.notes]
        else:
            finding.replays, finding.reproduced = times, reproduced
            finding.stability = DETERMINISTIC if reproduced == times else FLAKY
    return triage


def _replay(cases: list[AnyCase], check: CheckFunction, title: str) -> bool:
    """Send `cases` in order and run `check` on the last answer: whether it fails again with `title`."""
    *before, last = cases
    for case in before:
        case.call(**_transport(case))
    kwargs = _transport(last)
    response = last.call(**kwargs)
    try:
        last.validate_response(response, checks=[check], headers=kwargs["headers"], transport_kwargs=kwargs)
    except FailureGroup as group:
        return any(failure.title == title for failure in group.exceptions)
    return False


def _transport(case: AnyCase) -> dict[str, Any]:
    """The configured headers (the run's `Authorization`), which the engine sends every case with; the transport
    itself takes the timeout, TLS settings and rate limit from the configuration."""
    config = case.operation.schema.config
    return {"headers": dict(config.headers_for(operation=case.operation) or {})}
