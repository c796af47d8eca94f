"""What `groupkit gate` reports: the Markdown summary (a table of the steps, then each step's details), the
JUnit XML (one test suite per step) and the lines it prints. Each step's own part comes from the writers of
its command: `groupkit.formats` for lint and diff, `conformance/report.py` for the conformance runs."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from junitparser import Error, Failure, JUnitXml, Skipped, TestCase, TestSuite

from .. import formats
from ..conformance.report import write_junit, write_markdown
from ..findings import Level
from .steps import CANNOT_RUN, FAIL, PASS, SKIPPED, Step

ICON = {PASS: "✅", FAIL: "❌", SKIPPED: "⏭️", CANNOT_RUN: "⚠️"}
VERDICT = {0: "pass", 1: "fail", 2: "could not run", 130: "interrupted"}
TOOLS = {"lint": "groupkit lint", "diff": "groupkit diff"}
HEADING = re.compile(r"^(#{1,5}) ")
# The in-process mock is thrown away after its run: what the run created in it is nobody's to clean up.
DISCARDED = "## Created or changed by this run"


def verdict(code: int) -> str:
    return VERDICT.get(code, f"exit {code}")


def summary_of(step: Step) -> str:
    """The counts of a step and, when it says why, the first line of its reason."""
    reason = step.reason.strip().splitlines()[0] if step.reason.strip() else ""
    return " — ".join(part for part in (step.counts, reason) if part)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _embedded(markdown: str, drop: str | None = None, replay: str | None = None) -> list[str]:
    """A command's own Markdown report inside the summary: without its title (the step's heading says it),
    without the section `drop`, every heading one level down (code blocks left alone), and with `replay`
    instead of its replay commands when they would not replay it."""
    lines = markdown.splitlines()
    if lines and HEADING.match(lines[0]):
        lines = lines[1:]
    while lines and not lines[0].strip():
        lines = lines[1:]
    if replay is not None:
        lines = [line for line in lines if not line.startswith(("- Replay: ", "Replay: "))]
        lines = [f"- Replay: `{replay}`", *lines]
    kept: list[str] = []
    fenced, dropping = False, False
    for line in lines:
        if line.startswith("```"):
            fenced = not fenced
        heading = None if fenced else HEADING.match(line)
        if heading is not None:
            dropping = drop is not None and line.startswith(drop)
            line = "#" + line
        if not dropping:
            kept.append(line)
    return kept


def _conformance_markdown(step: Step) -> str:
    assert step.result is not None and step.options is not None
    with tempfile.TemporaryDirectory(prefix="groupkit-gate-") as folder:
        path = Path(folder) / "conform.md"
        write_markdown(path, step.result, step.options)
        return path.read_text("utf-8")


def markdown(
    steps: Sequence[Step], code: int, fail_on: Level, errors: Sequence[str] = (), replay: str | None = None
) -> str:
    """The summary: the verdict, a table of the steps (verdict and counts), then each step's details.
    `replay` is the gate's own command line: the self-conformance's replay (its mock exists only in-process)."""
    icon = {0: "✅", 1: "❌"}.get(code, "⚠️")
    lines = [f"# groupkit gate: {icon} {verdict(code)} (exit {code})", ""]
    if errors:
        lines += [*(f"- {_cell(error)}" for error in errors), ""]
    if steps:
        lines += ["| Step | Verdict | Counts |", "|---|---|---|"]
        for step in steps:
            said = summary_of(step)
            lines.append(f"| {_cell(step.title)} | {ICON[step.status]} {step.status} | {_cell(said)} |")
        lines.append("")
    for step in steps:
        lines += [f"## {step.title}: {ICON[step.status]} {step.status}", ""]
        if step.reason:
            lines += [step.reason, ""]
        if step.name in TOOLS and step.status in (PASS, FAIL):
            lines += _embedded(formats.markdown(step.findings, TOOLS[step.name], fail_on))
        elif step.result is not None:
            mocked = step.name == "self-conformance"
            text = _conformance_markdown(step)
            lines += _embedded(text, DISCARDED, replay) if mocked else _embedded(text)
        if lines[-1]:
            lines.append("")
    return "\n".join(lines)


def _one_case(step: Step) -> TestSuite:
    """A step with nothing of its own to report: one test case saying why."""
    case = TestCase(formats.xml_text(step.title), classname="groupkit.gate")
    text = formats.xml_text(step.reason)
    if step.status == SKIPPED:
        case.result = [Skipped(text)]
    elif step.status == CANNOT_RUN:
        case.result = [Error(text)]
    elif step.status == FAIL:
        case.result = [Failure(text)]
    suite = TestSuite()
    suite.add_testcase(case)
    return suite


def _suite(step: Step, fail_on: Level) -> TestSuite:
    if step.name in TOOLS and step.status in (PASS, FAIL):
        xml = formats.junit(step.findings, TOOLS[step.name], fail_on)
        return next(iter(JUnitXml.fromstring(xml)))
    if step.result is not None and step.options is not None:
        with tempfile.TemporaryDirectory(prefix="groupkit-gate-") as folder:
            path = Path(folder) / "conform.xml"
            write_junit(path, step.result, step.options)
            return next(iter(JUnitXml.fromfile(str(path))))
    return _one_case(step)


def junit(steps: Sequence[Step], fail_on: Level, errors: Sequence[str] = ()) -> JUnitXml:
    """One test suite per step, named `groupkit gate: <step>`; problems before any step ran (bad options)
    are one suite holding an error."""
    document = JUnitXml("groupkit gate")
    suites = [(f"groupkit gate: {step.name}", _suite(step, fail_on)) for step in steps]
    if errors:
        failed = Step("options", "groupkit gate", CANNOT_RUN, reason="\n".join(errors))
        suites.insert(0, ("groupkit gate", _one_case(failed)))
    for name, suite in suites:
        suite.name = name
        document.add_testsuite(suite)
    # The suites keep the counts their writers gave them (conform counts operations, not result elements).
    document.tests = sum(suite.tests or 0 for _, suite in suites)
    document.failures = sum(suite.failures or 0 for _, suite in suites)
    document.errors = sum(suite.errors or 0 for _, suite in suites)
    document.skipped = sum(suite.skipped or 0 for _, suite in suites)
    document.time = round(sum(suite.time or 0.0 for _, suite in suites), 3)
    return document


def table(steps: Sequence[Step]) -> list[str]:
    """The steps as plain lines, for the end of the console output."""
    width = max((len(step.name) for step in steps), default=0)
    return [f"  {step.name:<{width}}  {step.status:<13}  {summary_of(step)}" for step in steps]


def step_lines(step: Step, fmt: str, fail_on: Level) -> list[str]:
    """What the console shows of a finished step: lint and diff findings in `fmt` (text lines or GitHub
    annotations), then its verdict; a failed conformance run also shows what it printed."""
    lines: list[str] = []
    if step.name in TOOLS:
        lines += formats.render(step.findings, fmt, tool=TOOLS[step.name], fail_on=fail_on).splitlines()
    elif step.console and step.status != PASS:
        lines += step.console.rstrip("\n").splitlines()
    if fmt == "githubactions" and step.status in (FAIL, CANNOT_RUN) and (step.reason or step.result):
        title = formats.escape_property(f"groupkit gate: {step.name} ({step.status})")
        lines.append(f"::error title={title}::{formats.escape_data(step.reason or step.counts)}")
    lines.append(f"  → {step.status}: {summary_of(step)}")
    return lines
