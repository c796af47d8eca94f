"""What a person sees of a run: progress lines while it runs, then per operation and check what failed, the
curl that reproduces it (tokens masked) and the command that replays it; the same as Markdown (`--report`,
for CI job summaries) and JUnit XML (`--junit-xml`, one test case per operation, the check in each failure).
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
from .results import ExitCode, Finding, Result

__all__ = ["Console", "replay_command", "write_junit", "write_markdown"]


def replay_command(options: Options, seed: int, finding: Finding | None = None) -> str:
    """The `groupkit conform` line that replays the run (narrowed to the finding's operation when the phase
    that found it tests operations one by one). Tokens are left to the environment variables."""
    replayed = replace(options, seed=seed)
    if finding is not None and finding.phase != "stateful" and finding.operation.count(" ") == 1:
        replayed = replace(replayed, include=[finding.operation], exclude=[])
    return " ".join(["groupkit conform", *command_line(replayed)])


def _indent(text: str, prefix: str = "     ") -> str:
    return textwrap.indent(text, prefix)


class Console:
    """Progress and summary for a terminal or a CI log."""

    LEDGER_LINES = 15  # the console shows the first ones; --report has them all

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.scenarios = 0

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def start(self, options: Options, result: Result, prefix: str) -> None:
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

    def phase_started(self, phase: str) -> None:
        self.line(f"[{phase}]")

    def phase_finished(self, phase: str, skip_reason: object) -> None:
        if skip_reason is not None:
            self.line(f"[{phase}] skipped ({getattr(skip_reason, 'value', skip_reason)})")

    def scenario(self, phase: str, label: str, cases: int, new: list[Finding], elapsed: float) -> None:
        verdict = "ok" if not new else "FAILED " + ", ".join(sorted({finding.check for finding in new}))
        if phase == "stateful":
            if not cases and not new:
                return  # a scenario hypothesis discarded before its first step
            self.scenarios += 1
            self.line(f"  scenario {self.scenarios:<15} {cases:>5} steps {elapsed:6.1f} s  {verdict}")
        else:
            self.line(f"  {label:<24} {cases:>5} cases {elapsed:6.1f} s  {verdict}")

    def error(self, message: str) -> None:
        self.line(f"  error: {message.splitlines()[0]}")

    def summary(self, result: Result, options: Options) -> None:
        if result.failures:
            self.line()
            self.line("Failures")
            self.line("========")
            for number, finding in enumerate(result.failures, 1):
                seen = f" (seen {finding.count} times)" if finding.count > 1 else ""
                self.line(f"{number}. {finding.operation} — {finding.check}: {finding.title}{seen}")
                self.line(_indent(finding.message))
                if finding.curl:
                    self.line("   Reproduce:")
                    self.line(_indent(finding.curl))
                self.line(f"   Replay: {replay_command(options, result.seed, finding)}")
        for title, lines in (
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
        self.line(
            f"{result.cases} cases on {len(result.operations)} operations in {result.elapsed:.1f} s: "
            f"{len(result.failures)} failure(s) in {checks} operation/check pair(s) → exit {result.exit_code.value} "
            f"({result.exit_code.meaning})"
        )
        if result.operations:
            self.line(f"Replay this run: {replay_command(options, result.seed)}")


def write_markdown(path: Path, result: Result, options: Options) -> None:
    icon = {ExitCode.OK: "✅", ExitCode.VIOLATIONS: "❌"}.get(result.exit_code, "⚠️")
    lines = [
        f"# groupkit conform: {icon} {result.exit_code.meaning} (exit {result.exit_code.value})",
        "",
        f"- Server: `{'in-process app' if options.app is not None else options.base_url}` · contract: "
        f"`{options.contract}`",
        f"- {result.cases} cases on {len(result.operations)} operations in {result.elapsed:.1f} s · seed "
        f"`{result.seed}` · run id `{result.run_id}`",
        f"- Replay: `{replay_command(options, result.seed)}`",
        "",
    ]
    if result.operations:
        failed: dict[str, set[str]] = {}
        for finding in result.failures:
            failed.setdefault(finding.operation, set()).add(finding.check)
        lines += ["| Operation | Cases | Result |", "|---|---:|---|"]
        for label in result.operations:
            checks = failed.pop(label, set())
            verdict = "❌ " + ", ".join(f"`{c}`" for c in sorted(checks)) if checks else "✅"
            lines.append(f"| `{label}` | {result.cases_by_operation.get(label, 0)} | {verdict} |")
        for label, checks in failed.items():
            lines.append(
                f"| {label} | {result.cases_by_operation.get(label, 0)} | ❌ {', '.join(sorted(checks))} |"
            )
        lines.append("")
    if result.failures:
        lines += ["## Failures", ""]
        for number, finding in enumerate(result.failures, 1):
            lines += [
                f"### {number}. `{finding.operation}`: `{finding.check}`",
                "",
                f"**{finding.title}** ({finding.code}, {finding.phase} phase"
                + (f", seen {finding.count} times)" if finding.count > 1 else ")"),
                "",
                finding.message,
                "",
            ]
            if finding.curl:
                lines += ["```bash", finding.curl, "```", ""]
            lines += [f"Replay: `{replay_command(options, result.seed, finding)}`", ""]
    for title, entries in (
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
            failure = junitparser.Failure(
                xml_text(f"{finding.check}: {finding.title}"), type_=xml_text(finding.check)
            )
            failure.text = xml_text(f"{finding.message}\n\n{finding.curl}")
            failures.append(failure)
        case.result = failures
        cases.append(case)
    run_case = junitparser.TestCase("run", classname="groupkit.conform")
    if result.errors:
        error = junitparser.Error("could not run" if result.exit_code == ExitCode.CANNOT_RUN else "errors")
        error.text = xml_text("\n".join(result.errors))
        run_case.result = [error]
    suite.add_testcases([*cases, run_case])
    # junitparser counts failure elements; the suite counts failed operations (test cases), as JUnit does.
    suite.failures = len(by_operation)
    suite.time = round(result.elapsed, 3)
    document = junitparser.JUnitXml()
    document.add_testsuite(suite)
    document.write(str(path))
