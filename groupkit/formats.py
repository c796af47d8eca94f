"""The one place findings become output, for `diff` and `lint` alike: text, json, markdown, junit (through
junitparser) and githubactions (workflow commands, escaped as GitHub's runner expects)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from junitparser import Failure, Skipped, TestCase, TestSuite

from .findings import Finding, Level, counts, failing, ordered

FORMATS = ("text", "json", "markdown", "junit", "githubactions")
ANNOTATION = {Level.ERR: "error", Level.WARN: "warning", Level.INFO: "notice"}
# XML 1.0 allows tab, newline and carriage return, and no other character below U+0020 (nor U+FFFE/U+FFFF).
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render(findings: Sequence[Finding], fmt: str, *, tool: str, fail_on: Level = Level.ERR) -> str:
    """`findings` in format `fmt`; `tool` names the command (`groupkit diff`) in titles and suites."""
    findings = ordered(findings)
    if fmt == "text":
        return "".join(text_line(f) + "\n" for f in findings)
    if fmt == "json":
        return json.dumps(as_json(findings, tool, fail_on), indent=2) + "\n"
    if fmt == "markdown":
        return markdown(findings, tool, fail_on)
    if fmt == "junit":
        return junit(findings, tool, fail_on)
    if fmt == "githubactions":
        return "".join(annotation(f, tool) + "\n" for f in findings)
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


def text_line(finding: Finding) -> str:
    """`FILE:/json/pointer: message [LEVEL rule]`, the shape `groupkit lint` has always printed."""
    message = " ".join(finding.message.splitlines())  # one finding, one line
    line = f"{finding.file}:{finding.pointer or '/'}: {message} [{finding.level.name} {finding.rule}]"
    if finding.exemption is not None:
        line += f" (exempted until {finding.exemption.until}: {finding.exemption.reason})"
    return line


def summary(findings: Sequence[Finding], fail_on: Level) -> str:
    """One line: the counts per level and the verdict."""
    tally = counts(findings)
    parts = [f"{tally[name]} {name}" for name in ("ERR", "WARN", "INFO")]
    if tally["exempted"]:
        parts.append(f"{tally['exempted']} exempted")
    verdict = "FAIL" if failing(findings, fail_on) else "pass"
    return f"{', '.join(parts)}: {verdict} (--fail-on {fail_on.name})"


def as_json(findings: Sequence[Finding], tool: str, fail_on: Level) -> dict[str, Any]:
    return {
        "tool": tool,
        "failOn": fail_on.name,
        "failed": bool(failing(findings, fail_on)),
        "counts": counts(findings),
        "findings": [
            {
                "rule": f.rule,
                "level": f.level.name,
                "direction": f.direction,
                "operation": f.operation,
                "path": f.path,
                "location": f.location,
                "file": f.file,
                "pointer": f.pointer,
                "line": f.line,
                "message": f.message,
                "fingerprint": f.fingerprint,
                "exemption": None
                if f.exemption is None
                else {"reason": f.exemption.reason, "until": f.exemption.until},
            }
            for f in findings
        ],
    }


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def markdown(findings: Sequence[Finding], tool: str, fail_on: Level) -> str:
    lines = [f"## {tool}: {summary(findings, fail_on)}", ""]
    if not findings:
        return "\n".join(lines + ["No findings.", ""])
    lines += ["| Level | Rule | Where | Finding | Fingerprint |", "|---|---|---|---|---|"]
    for f in findings:
        level = f.level.name + (" (exempted)" if f.exempted else "")
        where = f"{f.file}:{f.line}" if f.line else f"{f.file}:{f.pointer or '/'}"
        message = f.message
        if f.exemption is not None:
            message += f" (exempted until {f.exemption.until}: {f.exemption.reason})"
        cells = [level, f"`{f.rule}`", where, message, f"`{f.fingerprint}`"]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines + [""])


def xml_text(text: str) -> str:
    """`text` with the characters XML 1.0 cannot hold written as \\uXXXX."""
    return XML_FORBIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def junit(findings: Sequence[Finding], tool: str, fail_on: Level) -> str:
    """One test case per finding: a failure when it fails the gate, skipped when exempted, passed (with
    the message as its output) below the gate's level. No finding: one passing case."""
    suite = TestSuite(xml_text(tool))
    for f in findings:
        case = TestCase(xml_text(f"{f.rule} {f.location}"), xml_text(f"{tool}.{f.operation or f.file}"))
        message = xml_text(f.message)
        if f.exemption is not None:
            case.result = [Skipped(xml_text(f"exempted until {f.exemption.until}: {f.exemption.reason}"))]
        elif f.level >= fail_on:
            failure = Failure(message, f.level.name)
            failure.text = xml_text(text_line(f) + f"\nfingerprint: {f.fingerprint}")
            case.result = [failure]
        else:
            case.system_out = xml_text(text_line(f))
        suite.add_testcase(case)
    if not findings:
        suite.add_testcase(TestCase(xml_text(f"{tool}: no findings"), xml_text(tool)))
    out = io.BytesIO()
    suite.write(out)  # one suite as the root, its counts kept by add_testcase
    return out.getvalue().decode("utf-8")


def escape_data(text: str) -> str:
    """GitHub workflow-command data: `%`, CR and LF are escaped."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow-command property value: as data, and `:` and `,` too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _repository_path(file: str) -> str:
    """GitHub wants a path from the repository root: an absolute path below the working directory (where a
    workflow runs) is made relative to it."""
    path = Path(file)
    if path.is_absolute():
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return file
    return file


def annotation(finding: Finding, tool: str) -> str:
    """`::error file=F,line=N,title=T::message` (warning for WARN, notice for INFO and exempted findings)."""
    kind = "notice" if finding.exempted else ANNOTATION[finding.level]
    properties = []
    if finding.file:
        properties.append(f"file={escape_property(_repository_path(finding.file))}")
    if finding.line:
        properties.append(f"line={finding.line}")
    properties.append(f"title={escape_property(f'{tool}: {finding.rule} ({finding.level.name})')}")
    message = finding.message
    if finding.exemption is not None:
        message += f" (exempted until {finding.exemption.until}: {finding.exemption.reason})"
    return f"::{kind} {','.join(properties)}::{escape_data(message)}"


def add_output_arguments(parser: Any) -> None:
    """`--format`, `--fail-on` and `--output`, the same for every command that reports findings."""
    parser.add_argument(
        "--format", default="text", choices=FORMATS, help="output format (default: %(default)s)"
    )
    parser.add_argument(
        "--fail-on",
        default="ERR",
        type=str.upper,
        choices=["ERR", "WARN"],
        help="exit 1 when a finding at this level or above is not exempted (default: %(default)s)",
    )
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")


def emit(findings: Sequence[Finding], args: Any, *, tool: str) -> int:
    """Write the report as `args` ask (format, output file) and return the exit code: 1 when a finding
    fails the gate at `--fail-on`, else 0; the one-line summary goes to stderr."""
    import sys

    fail_on = Level[args.fail_on]
    report = render(findings, args.format, tool=tool, fail_on=fail_on)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(report)
    else:
        sys.stdout.write(report)
    print(f"{tool}: {summary(findings, fail_on)}", file=sys.stderr)
    return 1 if failing(findings, fail_on) else 0
