"""The files a run writes for CI: a Markdown summary (`--report`, for job summaries) and JUnit XML
(`--junit-xml`, one test case per operation, the check in each failure; a failure that does not fail the run,
flaky or known, is a `skipped` element).
"""

from __future__ import annotations

import re
from pathlib import Path

import junitparser
from junitparser.junitparser import FinalResult

from .options import Options
from .results import ExitCode, Finding, Result, coverage_cells, coverage_verdict
from .wording import labelled, labels, meaning, replay_command, stale

__all__ = ["write_junit", "write_markdown", "xml_text"]


def write_markdown(path: Path, result: Result, options: Options) -> None:
    icon = {ExitCode.OK: "✅", ExitCode.VIOLATIONS: "❌"}.get(result.exit_code, "⚠️")
    lines = [
        f"# groupkit conform: {icon} {meaning(result)} (exit {result.exit_code.value})",
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
        (f"Baseline `{options.baseline}`", [stale(entry) for entry in result.stale]),
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
                xml_text(f"{finding.check}: {finding.title}{labelled(finding)}"),
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
        said = [*(stale(entry) for entry in result.stale), *(f"warning: {text}" for text in result.warnings)]
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
