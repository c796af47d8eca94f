"""What every report of a run says of it in words: the command that replays it, what triage and the baseline
say of a finding, a stale baseline entry, and the meaning of the exit code. The console (`report.py`) and the
files (`report_files.py`) word a run alike through it.
"""

from __future__ import annotations

import textwrap
from dataclasses import replace

from .flags import command_line
from .options import Options
from .results import BaselineEntry, ExitCode, Finding, Result


def replay_command(options: Options, seed: int, finding: Finding | None = None) -> str:
    """The `groupkit conform` line that replays the run (narrowed to the finding's operation when the phase
    that found it tests operations one by one). Tokens are left to the environment variables."""
    replayed = replace(options, seed=seed)
    if finding is not None and finding.phase != "stateful" and finding.operation.count(" ") == 1:
        replayed = replace(replayed, include=[finding.operation], exclude=[])
    return " ".join(["groupkit conform", *command_line(replayed)])


def indent(text: str, prefix: str = "     ") -> str:
    """`text` indented under a numbered failure."""
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


def labelled(finding: Finding) -> str:
    said = labels(finding)
    return f" [{'; '.join(said)}]" if said else ""


def stale(entry: BaselineEntry) -> str:
    """A baseline entry that matched no failure of the run, in one line."""
    return (
        f"stale: {entry.check} on {entry.operation} ({entry.fingerprint}, until {entry.until}) matched no "
        "failure of this run"
    )


def tolerated(result: Result) -> str:
    """`2 flaky, 1 known`: why the findings that do not fail the run do not."""
    tolerated = [finding for finding in result.failures if not finding.blocking]
    known = sum(1 for finding in tolerated if finding.known is not None and not finding.expired)
    parts = [f"{len(tolerated) - known} flaky"] if len(tolerated) > known else []
    return ", ".join([*parts, f"{known} known"] if known else parts)


def meaning(result: Result) -> str:
    """What the run's exit code means for this run (a pass with tolerated failures says why)."""
    if result.exit_code == ExitCode.OK and result.failures:
        return f"passed: the failures are {tolerated(result)}"
    if result.exit_code == ExitCode.VIOLATIONS and not result.blocking:
        return f"{len(result.not_verified)} operation(s) not verified (--require-coverage)"
    return result.exit_code.meaning
