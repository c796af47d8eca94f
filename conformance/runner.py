"""One conformance run, end to end: check the options and the contract, reach the server, check the
tokens, run the schemathesis engine with the kit's checks, and turn its events into findings and a verdict.

    run(Options) ─ preparation.py: options checked ─ contract lint ─ --baseline ─ wait for the server ─ tokens
                 └ schemathesis engine (examples, coverage, fuzzing, stateful) ─ events ─> Findings
                 └ --confirm replays (triage.py) ─ baseline match (baseline.py) ─ verdict
                 └ console progress and summary, --report Markdown, --junit-xml (report.py), --write-baseline

The findings, the result and its exit code (`ExitCode`) are defined in results.py; each finding keeps its
minimal reproduction (reproduction.py) for its fingerprint and its replays.
"""

from __future__ import annotations

import random
import secrets
import sys
import time
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TextIO

import requests
import schemathesis
from schemathesis.core.errors import NoLinksFound
from schemathesis.engine import events, from_schema

from . import (  # noqa: F401  (the checks register themselves when imported)
    access,
    baseline,
    deadline,
    error_bodies,
    field_drift,
    hooks,
    membership,
    neighbours,
    pagination,
    persistence,
    role_matrix,
    triage,
)
from .collect import Findings, count_cases
from .context import RunContext, detach
from .coverage import Coverage
from .options import Options
from .preparation import CannotRun, prepare
from .report import Console, write_junit, write_markdown
from .reproduction import Reproduction
from .results import FLAKY, BaselineEntry, ExitCode, Finding, Result

TESTING_PHASES = ("examples", "coverage", "fuzzing", "stateful")

__all__ = ["Options", "run"]


def run(options: Options, out: TextIO | None = None) -> Result:
    console = Console(out if out is not None else sys.stdout)
    started = time.monotonic()
    seed = options.seed if options.seed is not None else random.randrange(2**31)
    result = Result(exit_code=ExitCode.CANNOT_RUN, seed=seed, run_id=secrets.token_hex(3))
    result.require_coverage = options.require_coverage
    result.started = started
    schema, context, known, replayed = None, None, None, triage.Triage()
    found = Findings()
    try:
        schema, context, known = prepare(options, result, console)
        _execute(schema, context, result, console, found)
        if options.confirm and found:
            replayed = _confirm(schema, context, result, console, found, options.confirm)
        _judge(result, options, known)
        result.exit_code = _verdict(result)
    except CannotRun as error:
        result.errors.append(str(error))
        _judge(result, options, known)
        # violations found before the run broke down still count
        result.exit_code = ExitCode.VIOLATIONS if result.blocking else ExitCode.CANNOT_RUN
    except KeyboardInterrupt:
        result.errors.append("interrupted")
        result.exit_code = ExitCode.INTERRUPTED
    finally:
        if context is not None:
            result.created = [*context.ledger(), *replayed.created]
            result.notes = [*context.notes, *(note for note in replayed.notes if note not in context.notes)]
            result.warnings = field_drift.ledger(context).warnings()
        if schema is not None:
            detach(schema)
        if context is not None:
            detach(context.caller.schema)  # the schema the run was set up with, when fixtures rebuilt it
    result.elapsed = time.monotonic() - started
    console.summary(result, options)
    writers = [(options.report, write_markdown), (options.junit_xml, write_junit)]
    if result.cases:  # a baseline of a run that tested nothing would claim there is nothing to know
        writers.append((options.write_baseline, baseline.write))
    for path, write in writers:
        if path is None:
            continue
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            write(path, result, options)
        except OSError as error:
            console.error(f"could not write {path}: {error}")
            if result.exit_code == ExitCode.OK:
                result.exit_code = ExitCode.CANNOT_RUN  # the run was asked for a report it did not deliver
        else:
            if write is baseline.write:
                console.line(f"Baseline of this run's {len(result.failures)} failure(s): {path}")
    return result


def _confirm(
    schema: schemathesis.schemas.BaseSchema,
    context: RunContext,
    result: Result,
    console: Console,
    found: Findings,
    times: int,
) -> triage.Triage:
    """Replay every finding `times` times and print what each turned out to be."""
    console.phase_started(f"confirm: each failure replayed {times} time(s)")
    replayed = triage.confirm(schema, context.settings, found, times)
    result.errors += replayed.errors
    for finding in result.failures:
        console.triaged(finding)
    return replayed


def _judge(result: Result, options: Options, known: list[BaselineEntry] | None) -> None:
    """Match the baseline and decide which findings fail the run: not one an unexpired entry covers, nor a
    flaky one (unless --fail-on-flaky)."""
    if known is not None:
        result.stale = baseline.match(known, result.failures, date.today())
    for finding in result.failures:
        covered = finding.known is not None and not finding.expired
        tolerated = finding.stability == FLAKY and not options.fail_on_flaky
        finding.blocking = not (covered or tolerated)


def _verdict(result: Result) -> ExitCode:
    if result.blocking or (result.require_coverage and result.not_verified and result.cases):
        return ExitCode.VIOLATIONS
    if result.errors or result.cases == 0:
        if result.cases == 0 and not result.errors:
            result.errors.append("no test case was executed")
        return ExitCode.CANNOT_RUN
    return ExitCode.OK


def _execute(
    schema: schemathesis.schemas.BaseSchema,
    context: RunContext,
    result: Result,
    console: Console,
    found: Findings,
) -> None:
    coverage = Coverage(result.operations)
    result.coverage = coverage.by_operation
    stream = from_schema(schema).execute()
    limit = deadline.Deadline(context.settings.deadline, stream.stop)
    try:
        _events(stream, context, result, console, found, coverage, limit)
    finally:
        limit.cancel()
    result.failures = found.failures


def _events(
    stream: Iterable[events.EngineEvent],
    context: RunContext,
    result: Result,
    console: Console,
    found: Findings,
    coverage: Coverage,
    limit: deadline.Deadline,
) -> None:
    for event in stream:
        if isinstance(event, events.PhaseStarted) and event.phase.name.value in TESTING_PHASES:
            if event.phase.skip_reason is None:
                console.phase_started(event.phase.name.value)
        elif isinstance(event, events.PhaseFinished) and event.phase.name.value in TESTING_PHASES:
            console.phase_finished(event.phase.name.value, event.phase.skip_reason)
        elif isinstance(event, events.ScenarioFinished):
            cases = count_cases(event.recorder)
            result.cases += cases
            label = event.recorder.label
            result.cases_by_operation[label] = result.cases_by_operation.get(label, 0) + cases
            coverage.collect(event.recorder)
            found.collect(event)
            result.failures = found.failures
            unanswered = coverage.unanswered(event.recorder)
            failed = {
                node.name for nodes in event.recorder.checks.values() for node in nodes if node.failure_info
            }
            console.scenario(event.phase.value, label, cases, failed, event.elapsed_time, unanswered)
        elif isinstance(event, events.NonFatalError):
            if isinstance(event.value, NoLinksFound):
                context.note("stateful phase skipped: no links between the selected operations")
            else:
                message = f"{event.label}: {event.info.format().strip()}"
                if isinstance(event.value, requests.RequestException):
                    coverage.lost(event.label)  # the engine forgets a case that got no answer
                result.errors.append(message)
                console.error(message, event.label)
        elif isinstance(event, events.FatalError):
            raise CannotRun(f"{type(event.exception).__name__}: {event.exception}")
        elif isinstance(event, events.Interrupted):
            if not limit.reached:
                raise KeyboardInterrupt
            context.note(
                f"the --max-time deadline stopped the run after {time.monotonic() - result.started:.1f} s"
            )
        elif isinstance(event, events.EngineFinished):
            for failure in event.failures:
                finding = Finding(failure.operation or "run", "after_run", failure.title, failure.message, "")
                found.add(finding, Reproduction("after_run"))
    result.failures = found.failures
