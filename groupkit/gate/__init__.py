"""`groupkit gate`: one command, one verdict for a CI pipeline. It lints the contract (HEAD), diffs it against
a base, checks the mock built on HEAD with the conformance kit and, with `--base-url`, a live server too;
then writes one Markdown summary and one JUnit file. Exit 0 pass, 1 a step failed, 2 could not run.

    outcome = gate.run(GateOptions(contract="openapi.yaml", base="origin/main:openapi.yaml"))
    outcome.exit_code, [(step.name, step.status) for step in outcome.steps]
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from .. import config, diff, lint
from ..documents import Document
from ..findings import Level
from . import report
from .options import GateOptions, gate_problems, replay_command
from .steps import CANNOT_RUN, FAIL, VALIDITY, Step, diff_step, lint_step, live_step, self_step

__all__ = ["GateOptions", "Outcome", "Step", "run"]


@dataclass
class Outcome:
    """The gate's verdict (`exit_code`), its steps in order, and what kept it from running at all."""

    exit_code: int
    steps: list[Step] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def exit_code(steps: list[Step], errors: list[str]) -> int:
    """130 when a run was interrupted, 1 when a step failed, 2 when one could not run, else 0: a failure
    found is a verdict even if another step could not run."""
    if any(step.interrupted for step in steps):
        return 130
    if any(step.status == FAIL for step in steps):
        return 1
    if errors or any(step.status == CANNOT_RUN for step in steps):
        return 2
    return 0


def _head_file(name: str, head: Document | None, folder: str) -> Path | None:
    """A file holding HEAD for the mock and the kit: HEAD itself, or a copy of a revision's or URL's text."""
    if Path(name).is_file():
        return Path(name)
    if head is None:
        return None
    path = Path(folder) / (Path(head.file).name if head.file else "openapi.yaml")
    path.write_text(head.text, encoding="utf-8")
    return path


def _steps(options: GateOptions, fail_on: Level, out: TextIO) -> list[Step]:
    lint_levels, diff_levels = lint.configured_levels(), config.levels("diff", diff.RULES)
    steps: list[Step] = []

    def done(step: Step) -> Step:
        steps.append(step)
        for line in report.step_lines(step, options.format, fail_on):
            print(line, file=out, flush=True)
        return step

    print(f"groupkit gate: lint {options.contract}", file=out, flush=True)
    linted, head = lint_step(options.contract, lint_levels, fail_on)
    done(linted)
    valid = head is not None and not any(finding.rule in VALIDITY for finding in linted.findings)
    with tempfile.TemporaryDirectory(prefix="groupkit-gate-") as folder:
        path = _head_file(options.contract, head, folder)
        print(f"groupkit gate: diff {options.base or '(no --base)'}", file=out, flush=True)
        done(diff_step(options, head, valid, diff_levels, fail_on))
        print("groupkit gate: self-conformance of the mock built on HEAD", file=out, flush=True)
        done(self_step(options, head, path, valid))
        print(f"groupkit gate: conformance {options.base_url or '(no --base-url)'}", file=out, flush=True)
        done(live_step(options, path, valid, out))
    return steps


def _write_reports(options: GateOptions, outcome: Outcome, fail_on: Level, out: TextIO) -> None:
    """`--report` and `--junit-xml`, their folders created; one that cannot be written turns a pass into 2."""
    markdown = report.markdown(
        outcome.steps, outcome.exit_code, fail_on, outcome.errors, replay_command(options)
    )
    writers: list[tuple[Path | None, Callable[[Path], object]]] = [
        (options.report, lambda path: path.write_text(markdown, encoding="utf-8")),
        (
            options.junit_xml,
            lambda path: report.junit(outcome.steps, fail_on, outcome.errors).write(str(path)),
        ),
    ]
    for path, write in writers:
        if path is None:
            continue
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            write(Path(path))
        except OSError as error:
            print(f"groupkit gate: could not write {path}: {error}", file=out)
            if outcome.exit_code == 0:
                outcome.exit_code = 2  # asked for a report it did not deliver


def run(options: GateOptions, out: TextIO | None = None) -> Outcome:
    """Run every step (each runs whatever the others found), print as it goes, write the reports."""
    out = out if out is not None else sys.stdout
    fail_on = Level[options.fail_on]
    outcome = Outcome(exit_code=2, errors=[f"bad options: {problem}" for problem in gate_problems(options)])
    if not outcome.errors:
        try:
            outcome.steps = _steps(options, fail_on, out)
        except config.ConfigError as error:
            outcome.errors.append(str(error))
    outcome.exit_code = exit_code(outcome.steps, outcome.errors)
    for problem in outcome.errors:
        print(f"groupkit gate: {problem}", file=out)
    _write_reports(options, outcome, fail_on, out)
    print(file=out)
    print("\n".join(report.table(outcome.steps)), file=out)
    print(
        f"groupkit gate: {report.verdict(outcome.exit_code)} (exit {outcome.exit_code})", file=out, flush=True
    )
    return outcome
