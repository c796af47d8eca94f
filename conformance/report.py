"""What a person sees of a run: progress lines while it runs, then per operation and check what failed, the
curl that reproduces it (tokens masked), the command that replays it, and what triage (`--confirm`) and the
baseline (`--baseline`) say of it. The same as Markdown (`--report`) and JUnit XML (`--junit-xml`) is written by
`report_files.py`, and re-exported here with the wording both share (`wording.py`).
"""

from __future__ import annotations

from typing import TextIO

from .options import PHASES, Options
from .report_files import write_junit, write_markdown, xml_text
from .results import BaselineEntry, Finding, Result, coverage_lines, coverage_verdict
from .wording import indent, labelled, labels, meaning, replay_command, stale, tolerated

__all__ = ["Console", "labels", "replay_command", "write_junit", "write_markdown", "xml_text"]


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
                    f"{number}. {finding.operation} — {finding.check}: {finding.title}{seen}{labelled(finding)}"
                )
                self.line(indent(finding.message))
                if finding.curl:
                    self.line("   Reproduce:")
                    self.line(indent(finding.curl))
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
            (f"Baseline {options.baseline}", [stale(entry) for entry in result.stale]),
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
            counted = f", {len(result.blocking)} of them failing the run ({tolerated(result)})"
        self.line(
            f"{result.cases} cases on {len(result.operations)} operations in {result.elapsed:.1f} s: "
            f"{len(result.failures)} failure(s) in {checks} operation/check pair(s){counted} → exit "
            f"{result.exit_code.value} ({meaning(result)})"
        )
        if result.operations:
            self.line(f"Replay this run: {replay_command(options, result.seed)}")
