"""The steps of `groupkit gate`, each a function returning its `Step` (a verdict, counts, and what it found):
lint HEAD, diff it against BASE, check the mock built on HEAD with the conformance kit, and check a live
server against HEAD."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

from .. import config, contract, diff, lint
from ..conformance.options import Options
from ..conformance.results import ExitCode, Result
from ..diff import exemptions as exemption_file
from ..documents import Document, SourceError, parse, read
from ..findings import Finding, Level, counts, failing
from .options import MOCK_BASE_URL, GateOptions, live_options, replay_command, self_options, self_seed

PASS, FAIL, SKIPPED, CANNOT_RUN = "pass", "fail", "skipped", "could not run"
VALIDITY = (lint.PARSER, "oas3-schema")  # without these, HEAD is no OpenAPI 3.0 to diff or to mock
NOT_VALID = "no valid OpenAPI 3.0 HEAD to work on (see the lint step)"


@dataclass
class Step:
    """One step's verdict (`status`: pass, fail, skipped or could not run) and what it found.

    `findings` are lint's or diff's; `result` is a conformance run's, with the `options` it ran with and
    what it printed (`console`). `reason` says why the step was skipped, could not run, or failed without
    a finding of its own (a contract the mock refuses)."""

    name: str
    title: str
    status: str
    counts: str = ""
    reason: str = ""
    findings: list[Finding] = field(default_factory=list)
    result: Result | None = None
    options: Options | None = None
    console: str = ""

    @property
    def interrupted(self) -> bool:
        return self.result is not None and self.result.exit_code == ExitCode.INTERRUPTED


class Unreadable(Exception):
    """Raised when HEAD cannot be fetched at all (no such file, unknown revision, failed download)."""


def read_head(name: str) -> Document:
    """HEAD, parsed. Raises `Unreadable` when it cannot be fetched, and SourceError when it was fetched but
    is not YAML: the contract under review is broken, which lint reports."""
    path = Path(name)
    if path.is_file():
        try:
            data = path.read_bytes()
        except OSError as error:
            raise Unreadable(f"{name}: {error}") from error
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise SourceError(f"{name}: {error}") from error
        return parse(text, name=name, file=name)
    try:
        return read(name)
    except SourceError as error:
        if isinstance(error.__cause__, yaml.YAMLError):
            raise
        raise Unreadable(str(error)) from error


def judged(name: str, title: str, findings: list[Finding], fail_on: Level) -> Step:
    tally = counts(findings)
    said = ", ".join(f"{tally[level]} {level}" for level in ("ERR", "WARN", "INFO"))
    said += f", {tally['exempted']} exempted" if tally["exempted"] else ""
    status = FAIL if failing(findings, fail_on) else PASS
    return Step(name, title, status, counts=said, findings=findings)


def lint_step(name: str, levels: config.Levels, fail_on: Level) -> tuple[Step, Document | None]:
    """Lint HEAD; also the parsed HEAD for the other steps (None when it is no YAML mapping)."""
    title = f"lint `{name}`"
    try:
        document = read_head(name)
    except Unreadable as error:
        return Step("lint", title, CANNOT_RUN, reason=f"cannot read HEAD: {error}"), None
    except SourceError as error:
        broken = Finding(lint.PARSER, Level.ERR, str(error), "/", "/", file=name)
        return judged("lint", title, [broken], fail_on), None
    return judged("lint", title, lint.check(document, levels), fail_on), document


def diff_step(
    options: GateOptions, head: Document | None, valid: bool, levels: config.Levels, fail_on: Level
) -> Step:
    if options.base is None:
        return Step("diff", "diff", SKIPPED, reason="no --base: nothing to compare HEAD with")
    title = f"diff `{options.base}` → `{options.contract}`"
    if head is None or not valid:
        return Step("diff", title, SKIPPED, reason=NOT_VALID)
    try:
        findings = diff.compare(read(options.base), head, levels)
        if options.exemptions is not None:
            entries, name = exemption_file.load(options.exemptions)
            findings = exemption_file.apply(findings, entries, name)
    except SourceError as error:
        return Step("diff", title, CANNOT_RUN, reason=str(error))
    return judged("diff", title, findings, fail_on)


def unmockable(head: Document) -> list[str]:
    """Why the mock cannot serve HEAD, before building it: operations with no operationId, or with one that
    no handler of `groupkit.handlers.OPERATIONS` implements."""
    from ..handlers import OPERATIONS

    reasons = []
    for path, item in (head.data.get("paths") or {}).items():
        for method in contract.HTTP_METHODS:
            operation = item.get(method) if isinstance(item, dict) else None
            if not isinstance(operation, dict):
                continue
            label, op_id = f"{method.upper()} {path}", operation.get("operationId")
            if not op_id:
                reasons.append(f"{label} has no operationId")
            elif op_id not in OPERATIONS:
                reasons.append(f"{label}: no handler implements operationId {op_id!r} (groupkit/handlers)")
    return reasons


def _first_request(app: Any) -> None:
    """connexion binds the operations to their handlers when the first request arrives: send it now, so a
    contract the mock cannot serve is refused here, with its reason."""
    import httpx

    async def get() -> int:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=MOCK_BASE_URL
        ) as client:
            return (await client.get("/openapi.json")).status_code

    status = asyncio.run(get())
    if status != 200:
        raise RuntimeError(f"GET /openapi.json answered {status}")


def self_step(options: GateOptions, head: Document | None, path: Path | None, valid: bool) -> Step:
    """The mock built on HEAD (`create_app(contract_path=HEAD)`), checked in-process by the kit: the contract
    still mocks, and the mock still conforms to it. A contract the mock refuses fails the step."""
    seed = self_seed(options)
    title = f"self-conformance: the mock on HEAD (seed {seed}, max {options.self_max_examples} examples)"
    if head is None or path is None or not valid:
        return Step("self-conformance", title, SKIPPED, reason=NOT_VALID)
    # groupkit.app first: it silences the warning connexion gives when imported (groupkit.handlers imports it).
    from ..app import create_app
    from ..conformance.runner import run

    refused = unmockable(head)
    if refused:
        return Step(
            "self-conformance", title, FAIL, reason="the mock cannot serve HEAD: " + "; ".join(refused)
        )

    try:
        app = create_app(contract_path=path, seed=seed)
        _first_request(app)
    except Exception as error:  # whatever refuses HEAD, the refusal is this step's verdict, with its reason
        said = str(error).strip().splitlines()[0] if str(error).strip() else ""
        reason = f"the mock cannot serve HEAD: {type(error).__name__}: {said}"
        return Step("self-conformance", title, FAIL, reason=reason)
    kit = self_options(options, path, app)
    printed = io.StringIO()
    result = run(kit, out=printed)
    # The kit's replay commands name a server that exists only in this process: the gate's replays the run.
    console = [line for line in printed.getvalue().splitlines() if not line.startswith("   Replay: ")]
    console = [
        f"Replay this run: {replay_command(options)}" if line.startswith("Replay this run: ") else line
        for line in console
    ]
    # In-process nothing outside the mock can keep the run from finishing: what stops it is HEAD or the mock.
    return conformance("self-conformance", title, result, kit, "\n".join(console), cannot_run=FAIL)


def live_step(options: GateOptions, path: Path | None, valid: bool, out: TextIO) -> Step:
    """The kit against `--base-url`, on HEAD; its progress goes to `out` as it runs."""
    if options.base_url is None:
        return Step("conformance", "conformance", SKIPPED, reason="no --base-url: no live server to check")
    title = f"conformance: `{options.base_url}` on HEAD"
    if path is None or not valid:
        return Step("conformance", title, SKIPPED, reason=NOT_VALID)
    from ..conformance.runner import run

    kit = live_options(options, path)
    result = run(kit, out=out)
    return conformance("conformance", title, result, kit, "", cannot_run=CANNOT_RUN)


def conformance(
    name: str, title: str, result: Result, options: Options, console: str, *, cannot_run: str
) -> Step:
    """A conformance run's step: pass (exit 0), fail (exit 1), `cannot_run` (exit 2, or interrupted)."""
    status = {ExitCode.OK: PASS, ExitCode.VIOLATIONS: FAIL}.get(result.exit_code, cannot_run)
    said = f"{result.cases} cases on {len(result.operations)} operations, {len(result.failures)} failure(s)"
    if len(result.blocking) < len(result.failures):
        said += f" ({len(result.blocking)} failing the run)"
    if result.stale:
        said += f", {len(result.stale)} stale baseline entr{'y' if len(result.stale) == 1 else 'ies'}"
    reason = "; ".join(result.errors) if status != PASS else ""
    if result.exit_code == ExitCode.INTERRUPTED:
        status, reason = CANNOT_RUN, "interrupted"
    step = Step(name, title, status, counts=said, reason=reason, result=result, options=options)
    step.console = console
    return step
