"""What a person sees of a run: progress lines while it runs, then per operation and check what failed, the
curl that reproduces it (tokens masked), the command that replays it, and what triage (`--confirm`) and the
baseline (`--baseline`) say of it; the same as Markdown (`--report`, for CI job summaries) and JUnit XML
(`--junit-xml`, one test case per operation, the check in each failure; a failure that does not fail the run,
flaky or known, is a `skipped` element).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import TextIO

import junitparser
from junitparser.junitparser import FinalResult

from .flags import command_line
from .options import PHASES, Options
from .results import (
    BaselineEntry,
    ExitCode,
    Finding,
    Result,
    coverage_cells,
    coverage_lines,
    coverage_verdict,
)

__all__ = ["Console", "labels", "replay_command", "write_junit", "write_markdown"]


def replay_command(options: Options, seed: int, finding: Finding | None = None) -> str:
    """The `groupkit conform` line that replays the run (narrowed to the finding's operation when the phase
    that found it tests operations one by one). Tokens are left to the environment variables."""
    replayed = replace(options, seed=seed)
    if finding is not None and finding.phase != "stateful" and finding.operation.count(" ") == 1:
        replayed = replace(replayed, include=[finding.operation], exclude=[])
    return " ".join(["groupkit conform", *command_line(replayed)])


def _indent(text: str, prefix: str = "     ") -> str:
    return textwrap.indent(text, prefix)


def labels(finding: Finding) -> list[str]:
    """What triage and the baseline say of a finding (nothing when neither was asked for)."""
    said = []
    if finding.stability:
        said.append(f"{finding.stability}: failed again on {finding.reproduced} of {finding.replays} replays")
    entry = finding.known
    if entry is not None and finding.expired:
        said.append(f"its baseline entry expired on {entry.until} ({entry.reason})")
    elif entry is not None:
        said.append(f"known until {entry.until}: {entry.reason}")
    if said:
        said.append("fails the run" if finding.blocking else "does not fail the run")
    return said


def _labelled(finding: Finding) -> str:
    said = labels(finding)
    return f" [{'; '.join(said)}]" if said else ""


def _stale(entry: BaselineEntry) -> str:
    return (
        f"stale: {entry.check} on {entry.operation} ({entry.fingerprint}, until {entry.until}) matched no "
        "failure of this run"
    )


def _tolerated(result: Result) -> str:
    """`2 flaky, 1 known`: why the findings that do not fail the run do not."""
    tolerated = [finding for finding in result.failures if not finding.blocking]
    known = sum(1 for finding in tolerated if finding.known is not None and not finding.expired)
    parts = [f"{len(tolerated) - known} flaky"] if len(tolerated) > known else []
    return ", ".join([*parts, f"{known} known"] if known else parts)


def _meaning(result: Result) -> str:
    if result.exit_code == ExitCode.OK and result.failures:
        return f"passed: the failures are {_tolerated(result)}"
    if result.exit_code == ExitCode.VIOLATIONS and not result.blocking:
        return f"{len(result.not_verified)} operation(s) not verified (--require-coverage)"
    return result.exit_code.meaning


class Console:
    """Progress and summary for a terminal or a CI log."""

    LEDGER_LINES = 15  # the console shows the first ones; --report has them all

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.scenarios = 0
        self.errored: set[str] = set()  # operations with an error printed since their last progress line

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def start(
        self, options: Options, result: Result, prefix: str, known: list[BaselineEntry] | None = None
    ) -> None:
        target = "an in-process ASGI app" if options.app is not None else options.base_url
        self.line(f"groupkit conform: {target} against {options.contract}")
        phases = ", ".join(options.phases or PHASES)
        mode = " · read-only" if options.read_only else ""
        self.line(
            f"  seed {result.seed} · {len(result.operations)} operations · phases {phases} · "
            f"max {options.max_examples} examples · {options.workers} worker(s){mode}"
        )
        if not options.read_only:
            self.line(f"  what this run creates is named {prefix}…")
        if options.confirm:
            self.line(f"  each failure is replayed {options.confirm} time(s) after the run (--confirm)")
        if known is not None:
            self.line(f"  baseline {options.baseline}: {len(known)} known failure(s)")

    def phase_started(self, phase: str) -> None:
        self.line(f"[{phase}]")

    def phase_finished(self, phase: str, skip_reason: object) -> None:
        if skip_reason is not None:
            self.line(f"[{phase}] skipped ({getattr(skip_reason, 'value', skip_reason)})")

    def scenario(
        self, phase: str, label: str, cases: int, failed: set[str], elapsed: float, unanswered: int = 0
    ) -> None:
        """One progress line: `ok` only when the scenario's requests were answered and no check failed."""
        said = ["FAILED " + ", ".join(sorted(failed))] if failed else []
        if label in self.errored:
            self.errored.discard(label)
            said.append("ERROR (above)")
        if unanswered:
            said.append(f"{unanswered} without an answer")
        verdict = ", ".join(said) or ("ok" if cases else "nothing answered")
        if phase == "stateful":
            if not cases and not said:
                return  # a scenario hypothesis discarded before its first step
            self.scenarios += 1
            self.line(f"  scenario {self.scenarios:<15} {cases:>5} steps {elapsed:6.1f} s  {verdict}")
        else:
            self.line(f"  {label:<24} {cases:>5} cases {elapsed:6.1f} s  {verdict}")

    def triaged(self, finding: Finding) -> None:
        said = labels(finding)[:1] or ["not replayed"]
        self.line(f"  {finding.operation} — {finding.check}: {said[0]}")

    def error(self, message: str, operation: str | None = None) -> None:
        if operation is not None:
            self.errored.add(operation)
        # the title alone ("Network Error") says nothing of what happened: its first detail line goes with it
        said = [line.strip() for line in message.splitlines() if line.strip()][:2]
        self.line(f"  error: {': '.join(said)}")

    def summary(self, result: Result, options: Options) -> None:
        if result.failures:
            self.line()
            self.line("Failures")
            self.line("========")
            for number, finding in enumerate(result.failures, 1):
                seen = f" (seen {finding.count} times)" if finding.count > 1 else ""
                self.line(
                    f"{number}. {finding.operation} — {finding.check}: {finding.title}{seen}{_labelled(finding)}"
                )
                self.line(_indent(finding.message))
                if finding.curl:
                    self.line("   Reproduce:")
                    self.line(_indent(finding.curl))
                self.line(f"   Replay: {replay_command(options, result.seed, finding)}")
                if finding.fingerprint:
                    self.line(f"   Fingerprint: {finding.fingerprint}")
        if result.coverage:
            self.line()
            self.line("Coverage (generated requests; statuses seen):")
            for text in coverage_lines(result):
                self.line(f"  {text}")
            self.line(f"  → {coverage_verdict(result)}")
        for title, lines in (
            (f"Baseline {options.baseline}", [_stale(entry) for entry in result.stale]),
            ("Warnings (they do not fail the run)", result.warnings),
            ("Created or changed by this run (clean up on shared servers)", result.created),
            ("Notes", result.notes),
            ("Errors", result.errors),
        ):
            if lines:
                self.line()
                self.line(f"{title}:")
                for text in lines[: self.LEDGER_LINES]:
                    self.line(f"  - {text}")
                if len(lines) > self.LEDGER_LINES:
                    self.line(
                        f"  ... and {len(lines) - self.LEDGER_LINES} more (--report FILE lists them all)"
                    )
        self.line()
        checks = len({(finding.operation, finding.check) for finding in result.failures})
        counted = ""
        if len(result.blocking) < len(result.failures):
            counted = f", {len(result.blocking)} of them failing the run ({_tolerated(result)})"
        self.line(
            f"{result.cases} cases on {len(result.operations)} operations in {result.elapsed:.1f} s: "
            f"{len(result.failures)} failure(s) in {checks} operation/check pair(s){counted} → exit "
            f"{result.exit_code.value} ({_meaning(result)})"
        )
        if result.operations:
            self.line(f"Replay this run: {replay_command(options, result.seed)}")


def write_markdown(path: Path, result: Result, options: Options) -> None:
    icon = {ExitCode.OK: "✅", ExitCode.VIOLATIONS: "❌"}.get(result.exit_code, "⚠️")
    lines = [
        f"# groupkit conform: {icon} {_meaning(result)} (exit {result.exit_code.value})",
        "",
        f"- Server: `{'in-process app' if options.app is not None else options.base_url}` · contract: "
        f"`{options.contract}`",
        f"- {result.cases} cases on {len(result.operations)} operations in {result.elapsed:.1f} s · seed "
        f"`{result.seed}` · run id `{result.run_id}`",
        f"- Replay: `{replay_command(options, result.seed)}`",
        "",
    ]
    if result.operations:
        failed: dict[str, dict[str, bool]] = {}  # operation -> check -> whether it fails the run
        for finding in result.failures:
            checks = failed.setdefault(finding.operation, {})
            checks[finding.check] = checks.get(finding.check, False) or finding.blocking
        lines += [
            "| Operation | Cases | Statuses seen | Checks that ran on a 2xx answer | Result |",
            "|---|---:|---|---|---|",
        ]
        for label in [*result.operations, *(op for op in failed if op not in result.operations)]:
            checks = failed.get(label, {})
            named = ", ".join(
                f"`{c}`" + ("" if checks[c] else " (does not fail the run)") for c in sorted(checks)
            )
            verdict = ("❌ " if any(checks.values()) else "⚠️ ") + named if checks else "✅"
            item = result.coverage.get(label)
            if item is not None and not item.verified and not checks:
                verdict = "❌ not verified" if result.require_coverage else "⚠️ not verified"
            shown = f"`{label}`" if label in result.operations else label
            seen, ran = coverage_cells(result, label)
            lines.append(
                f"| {shown} | {result.cases_by_operation.get(label, 0)} | {seen} | {ran} | {verdict} |"
            )
        lines += ["", f"Coverage: {coverage_verdict(result)}.", ""] if result.coverage else [""]
    if result.failures:
        lines += ["## Failures", ""]
        for number, finding in enumerate(result.failures, 1):
            lines += [
                f"### {number}. `{finding.operation}`: `{finding.check}`",
                "",
                f"**{finding.title}** ({finding.code}, {finding.phase} phase"
                + (f", seen {finding.count} times)" if finding.count > 1 else ")"),
                "",
                *([f"**{'; '.join(said)}**", ""] if (said := labels(finding)) else []),
                finding.message,
                "",
            ]
            if finding.curl:
                lines += ["```bash", finding.curl, "```", ""]
            lines += [f"Replay: `{replay_command(options, result.seed, finding)}`", ""]
            lines += [f"Fingerprint: `{finding.fingerprint}`", ""] if finding.fingerprint else []
    for title, entries in (
        (f"Baseline `{options.baseline}`", [_stale(entry) for entry in result.stale]),
        ("Warnings (they do not fail the run)", result.warnings),
        ("Created or changed by this run", result.created),
        ("Notes", result.notes),
        ("Errors", result.errors),
    ):
        if entries:
            lines += [f"## {title}", "", *[f"- {entry}" for entry in entries], ""]
    Path(path).write_text("\n".join(lines), encoding="utf-8")


# XML 1.0 has no way to write these, not even as character references (&#0; is an error): NUL and the other
# C0 controls but tab, newline and carriage return, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """`text` with each character XML cannot hold spelled as a Python escape (`\\x1b`, `\\ud800`)."""
    return _NOT_XML.sub(lambda match: ascii(match.group())[1:-1], text)


def write_junit(path: Path, result: Result, options: Options | None = None) -> None:
    """JUnit XML for CI (junitparser writes it): one test case per operation, holding a failure per finding
    whose type is the check, and a `run` case holding the errors that kept the run from finishing."""
    by_operation: dict[str, list[Finding]] = {}
    for finding in result.failures:
        by_operation.setdefault(finding.operation, []).append(finding)
    suite = junitparser.TestSuite("groupkit conform")
    suite.add_property("seed", str(result.seed))
    suite.add_property("cases", str(result.cases))
    cases = []
    for label in [*result.operations, *(op for op in by_operation if op not in result.operations)]:
        case = junitparser.TestCase(xml_text(label), classname="groupkit.conform")
        failures: list[FinalResult] = []
        for finding in by_operation.get(label, []):
            kind = junitparser.Failure if finding.blocking else junitparser.Skipped
            failure = kind(
                xml_text(f"{finding.check}: {finding.title}{_labelled(finding)}"),
                type_=xml_text(finding.check),
            )
            text = f"{finding.message}\n\n{finding.curl}"
            failure.text = xml_text(
                text + (f"\n\nfingerprint: {finding.fingerprint}" if finding.fingerprint else "")
            )
            failures.append(failure)
        item = result.coverage.get(label)
        if item is not None:
            ran = ", ".join(sorted(item.checks)) or "none"
            case.system_out = xml_text(
                f"statuses seen: {item.seen()}\nchecks that ran on a 2xx answer: {ran}"
            )
            if not item.verified:
                kind = junitparser.Failure if result.require_coverage else junitparser.Skipped
                failures.append(kind(xml_text(f"not verified: {item.why_not_verified()}"), type_="coverage"))
        case.result = failures
        cases.append(case)
    run_case = junitparser.TestCase("run", classname="groupkit.conform")
    if result.errors:
        error = junitparser.Error("could not run" if result.exit_code == ExitCode.CANNOT_RUN else "errors")
        error.text = xml_text("\n".join(result.errors))
        run_case.result = [error]
    if result.stale or result.warnings:
        said = [*(_stale(entry) for entry in result.stale), *(f"warning: {text}" for text in result.warnings)]
        run_case.system_out = xml_text("\n".join(said))
    suite.add_testcases([*cases, run_case])
    # junitparser counts result elements; the suite counts operations (test cases), as JUnit does: failed when
    # a finding fails the run, skipped when its findings are all flaky or known.
    failing = {finding.operation for finding in result.failures if finding.blocking}
    unverified = {item.operation for item in result.not_verified}
    if result.require_coverage:
        failing |= unverified
    suite.failures = len(failing)
    suite.skipped = len((set(by_operation) | unverified) - failing)
    suite.time = round(result.elapsed, 3)
    document = junitparser.JUnitXml()
    document.add_testsuite(suite)
    document.write(str(path))
