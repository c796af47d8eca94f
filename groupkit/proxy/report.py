"""The reports `groupkit proxy` writes when it stops: the journal (JSON), JUnit XML through the kit's own
writer (`conformance/report.py`, so CI reads a proxy session as it reads a conformance run), and a Markdown
summary in the kit's layout (its own: the kit's names a replay command, which a proxy session has none of)."""

from __future__ import annotations

import argparse
from pathlib import Path

import junitparser

from groupkit.conformance.report import write_junit
from groupkit.conformance.results import ExitCode, Result

from .record import Record

SUITE = "groupkit proxy"


def write_reports(result: Result, record: Record, args: argparse.Namespace) -> None:
    """Each report the options ask for (`journal`, `junit`, `markdown`), their folders created."""
    if args.journal:
        record.write_journal(args.journal)
    if args.junit:
        args.junit.parent.mkdir(parents=True, exist_ok=True)
        write_junit(args.junit, result)
        _rename_suite(args.junit)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown(result, record.upstream), encoding="utf-8")


def _rename_suite(path: Path) -> None:
    document = junitparser.JUnitXml.fromfile(str(path))
    for suite in document if isinstance(document, junitparser.JUnitXml) else [document]:
        suite.name = SUITE
        for case in suite:
            case.classname = "groupkit.proxy"
    document.write(str(path))


def markdown(result: Result, upstream: str) -> str:
    violations = sum(finding.count for finding in result.failures)
    icon = "❌" if result.failures else "✅"
    verdict = f"{violations} violation(s)" if result.failures else "no violation"
    lines = [
        f"# {SUITE}: {icon} {verdict} (exit {int(result.exit_code)})",
        "",
        f"- Upstream: `{upstream}` · {result.cases} exchange(s) on {len(result.operations)} documented "
        f"operation(s) in {result.elapsed:.1f} s",
        "",
    ]
    if result.operations:
        failed: dict[str, set[str]] = {}
        for finding in result.failures:
            failed.setdefault(finding.operation, set()).add(finding.check)
        lines += ["| Operation | Exchanges | Statuses seen | Result |", "|---|---:|---|---|"]
        for operation in result.operations:
            coverage = result.coverage.get(operation)
            seen = coverage.seen() if coverage is not None else ""
            checks = failed.get(operation, set())
            verdict = "❌ " + ", ".join(f"`{check}`" for check in sorted(checks)) if checks else "✅"
            lines.append(
                f"| `{operation}` | {result.cases_by_operation.get(operation, 0)} | {seen} | {verdict} |"
            )
        lines.append("")
    if result.failures:
        lines += ["## Violations", ""]
        for number, finding in enumerate(result.failures, 1):
            times = f" (seen {finding.count} times)" if finding.count > 1 else ""
            lines += [
                f"### {number}. `{finding.operation}`: `{finding.check}`",
                "",
                f"**{finding.title}**{times}",
                "",
                f"First seen: {finding.message}",
                "",
                "```bash",
                finding.curl,
                "```",
                "",
            ]
    for title, entries in (("Warnings", result.warnings), ("Notes", result.notes), ("Errors", result.errors)):
        if entries:
            lines += [f"## {title}", "", *[f"- {entry}" for entry in entries], ""]
    if result.exit_code == ExitCode.OK and result.failures:
        lines += ["Violations do not set the exit code without `--fail-on-violation`.", ""]
    return "\n".join(lines)
