"""What a person sees of a run: progress lines while it runs, then per operation and check what failed, the
curl that reproduces it (tokens masked) and the command that replays it; the same as Markdown (`--report`,
for CI job summaries) and JUnit XML (`--junit-xml`, one test case per operation, the check in each failure).
"""

from __future__ import annotations

import shlex
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from groupkit.contract import CONTRACT_PATH

from .options import DEFAULT_MAX_EXAMPLES, PHASES, Options

if TYPE_CHECKING:
    from .runner import Finding, Result

MEANING = {0: "conformant", 1: "contract violations found", 2: "could not run", 130: "interrupted"}


def replay_command(options: Options, seed: int, finding: Finding | None = None) -> str:
    """The `groupkit conform` line that replays the run (narrowed to the finding's operation when the phase
    that found it tests operations one by one). Tokens are left to the environment variables."""
    parts = ["groupkit conform", "--base-url", shlex.quote(options.base_url), '--token "$GROUPKIT_TOKEN"']
    if options.other_token:
        parts.append('--other-token "$GROUPKIT_OTHER_TOKEN"')
    if Path(options.contract) != CONTRACT_PATH:
        parts += ["--contract", shlex.quote(str(options.contract))]
    if options.read_only:
        parts.append("--read-only")
    include = options.include
    if finding is not None and finding.phase != "stateful" and finding.operation.count(" ") == 1:
        include = [finding.operation]
    parts += [f"--include {shlex.quote(name)}" for name in include]
    parts += [f"--exclude {shlex.quote(name)}" for name in options.exclude if include is options.include]
    if options.max_examples != DEFAULT_MAX_EXAMPLES:
        parts.append(f"--max-examples {options.max_examples}")
    if options.phases and list(options.phases) != list(PHASES):
        parts.append(f"--phases {','.join(options.phases)}")
    if options.workers != 1:
        parts.append(f"--workers {options.workers}")
    if options.rate_limit is not None:
        parts.append(f"--rate-limit {options.rate_limit:g}")
    if options.max_time is not None:
        parts.append(f"--max-time {options.max_time:g}")
    parts.append(f"--seed {seed}")
    return " ".join(parts)


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
            f"{len(result.failures)} failure(s) in {checks} operation/check pair(s) → exit {result.exit_code} "
            f"({MEANING.get(result.exit_code, '?')})"
        )
        if result.operations:
            self.line(f"Replay this run: {replay_command(options, result.seed)}")


def write_markdown(path: Path, result: Result, options: Options) -> None:
    icon = {0: "✅", 1: "❌"}.get(result.exit_code, "⚠️")
    lines = [
        f"# groupkit conform: {icon} {MEANING.get(result.exit_code, '?')} (exit {result.exit_code})",
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


def write_junit(path: Path, result: Result, options: Options | None = None) -> None:
    suite = ET.Element(
        "testsuite",
        name="groupkit conform",
        tests=str(len(result.operations) + 1),
        failures=str(len({finding.operation for finding in result.failures})),
        errors=str(1 if result.errors else 0),
        time=f"{result.elapsed:.3f}",
    )
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="seed", value=str(result.seed))
    ET.SubElement(properties, "property", name="cases", value=str(result.cases))
    by_operation: dict[str, list[Finding]] = {}
    for finding in result.failures:
        by_operation.setdefault(finding.operation, []).append(finding)
    for label in [*result.operations, *(op for op in by_operation if op not in result.operations)]:
        case = ET.SubElement(suite, "testcase", classname="groupkit.conform", name=label)
        for finding in by_operation.get(label, []):
            failure = ET.SubElement(
                case, "failure", type=finding.check, message=f"{finding.check}: {finding.title}"
            )
            failure.text = f"{finding.message}\n\n{finding.curl}"
    run_case = ET.SubElement(suite, "testcase", classname="groupkit.conform", name="run")
    if result.errors:
        error = ET.SubElement(
            run_case, "error", message="could not run" if result.exit_code == 2 else "errors"
        )
        error.text = "\n".join(result.errors)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    Path(path).write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
