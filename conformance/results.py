"""What a conformance run found and how it ended: the `Finding`s (with their triage and baseline labels), the
run's `Result`, and its `ExitCode`.

Plain data with no imports from the rest of the kit, so that the runner fills it and the reports read it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum

# A finding's `stability` once its reproduction was replayed (`--confirm N`).
DETERMINISTIC = "deterministic"  # the check failed again on every replay
FLAKY = "flaky"  # it passed on at least one replay


class ExitCode(IntEnum):
    """The exit status of `groupkit conform` (and `Result.exit_code`)."""

    OK = 0
    VIOLATIONS = 1
    CANNOT_RUN = 2
    INTERRUPTED = 130

    @property
    def meaning(self) -> str:
        """A few words for the summary line and the report's title."""
        return _TEXT[self][0]

    @property
    def detail(self) -> str:
        """When a run ends with this code (the `--help` epilog)."""
        return _TEXT[self][1]


_TEXT = {
    ExitCode.OK: (
        "conformant",
        "every check passed on every executed case, or each failure is flaky (--confirm; unless "
        "--fail-on-flaky) or known (--baseline)",
    ),
    ExitCode.VIOLATIONS: (
        "contract violations found",
        "each is listed with its check, a curl reproduction and a replay command; a flaky failure (unless "
        "--fail-on-flaky) or one an unexpired baseline entry covers does not count",
    ),
    ExitCode.CANNOT_RUN: (
        "could not run",
        "bad options, invalid contract, unreachable server, rejected token, no operation selected, "
        "no test case executed, or an error the run could not recover from",
    ),
    ExitCode.INTERRUPTED: ("interrupted", "stopped by Ctrl-C (SIGINT)"),
}


@dataclass(frozen=True)
class BaselineEntry:
    """A known failure in a baseline file (`--baseline`): it matches the finding with the same check, operation
    and fingerprint, which then does not fail the run until the end of the day `until`."""

    check: str
    operation: str
    fingerprint: str
    reason: str
    until: date
    title: str = ""  # the failure's title when the entry was written: for people, not matched

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.check, self.operation, self.fingerprint)

    def expired(self, today: date) -> bool:
        return self.until < today


@dataclass
class Finding:
    """One distinct violation: which check failed on which operation, why, and the curl that shows it.

    `fingerprint` hashes its minimal reproduction (`reproduction.py`). `stability` is `DETERMINISTIC` or `FLAKY`
    once the reproduction was replayed (`reproduced` of `replays` failed again), empty when it was not.
    `known` is the baseline entry it matched, `expired` whether that entry's date has passed. `blocking` says
    whether it fails the run."""

    operation: str
    check: str
    title: str
    message: str
    curl: str
    code: str = ""
    phase: str = ""
    count: int = 1
    fingerprint: str = ""
    stability: str = ""
    replays: int = 0
    reproduced: int = 0
    known: BaselineEntry | None = None
    expired: bool = False
    blocking: bool = True

    @property
    def key(self) -> tuple[str, str, str]:
        """What a baseline entry matches."""
        return (self.check, self.operation, self.fingerprint)


@dataclass
class OperationCoverage:
    """What the run's generated requests of one operation got: each status and how often (`statuses`), how
    many got no answer at all (`unanswered`: a timeout, a dropped connection), and the checks that ran on a
    successful (2xx) answer. An operation no request of which was answered 2xx is not verified: no check
    ever judged its success path."""

    operation: str
    statuses: Counter[int] = field(default_factory=Counter)
    unanswered: int = 0
    checks: set[str] = field(default_factory=set)

    @property
    def verified(self) -> bool:
        return any(200 <= status < 300 for status in self.statuses)

    def seen(self) -> str:
        """`200×12, 404×30, no answer×3`, or `nothing`."""
        parts = [f"{status}×{count}" for status, count in sorted(self.statuses.items())]
        parts += [f"no answer×{self.unanswered}"] if self.unanswered else []
        return ", ".join(parts) or "nothing"

    def why_not_verified(self) -> str:
        """Why the success path was not reached, in a few words (empty when it was)."""
        if self.verified:
            return ""
        if not self.statuses and not self.unanswered:
            return "no request of it was answered (the run ended first, or sent none)"
        if not self.statuses:
            return f"none of its {self.unanswered} request(s) got an answer"
        return f"no request of it was answered 2xx (seen: {self.seen()})"


@dataclass
class Result:
    """A run's outcome: its exit code, findings and errors, and what it covered and created."""

    exit_code: ExitCode
    failures: list[Finding] = field(default_factory=list)
    cases: int = 0
    seed: int = 0
    created: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)
    cases_by_operation: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    run_id: str = ""
    stale: list[BaselineEntry] = field(default_factory=list)  # baseline entries that matched no finding
    coverage: dict[str, OperationCoverage] = field(default_factory=dict)  # by operation, when measured
    require_coverage: bool = False  # whether an operation not verified fails the run (--require-coverage)
    warnings: list[str] = field(default_factory=list)  # reported, never failing the run (field drift)
    started: float = 0.0  # time.monotonic() when the run began

    @property
    def blocking(self) -> list[Finding]:
        """The findings that fail the run."""
        return [finding for finding in self.failures if finding.blocking]

    @property
    def not_verified(self) -> list[OperationCoverage]:
        """The measured operations whose success path no request reached."""
        return [item for item in self.coverage.values() if not item.verified]

    def __post_init__(self) -> None:
        self.exit_code = ExitCode(self.exit_code)  # a plain int given by a caller becomes its ExitCode


# ----------------------------------------------------------------- coverage as the reports show it


def coverage_lines(result: Result) -> list[str]:
    """Per operation: the statuses seen, how many checks ran on a 2xx answer, or why it is not verified."""
    lines = []
    for item in result.coverage.values():
        if item.verified:
            lines.append(
                f"{item.operation:<22} {item.seen()} · {len(item.checks)} checks ran on a 2xx answer"
            )
        else:
            lines.append(f"{item.operation:<22} NOT VERIFIED: {item.why_not_verified()}")
    return lines


def coverage_verdict(result: Result) -> str:
    """The one line under the coverage section: how many operations were verified, what that means."""
    missing = result.not_verified
    if not missing:
        return f"all {len(result.coverage)} operations verified (each answered 2xx at least once)"
    consequence = (
        "fails the run (--require-coverage)"
        if result.require_coverage
        else "--require-coverage fails the run on it"
    )
    names = ", ".join(item.operation for item in missing)
    return f"{len(missing)} of {len(result.coverage)} operations not verified ({names}): {consequence}"


def coverage_cells(result: Result, label: str) -> tuple[str, str]:
    """The Markdown table's `Statuses seen` and `Checks on a 2xx answer` cells of an operation."""
    item = result.coverage.get(label)
    if item is None:
        return "", ""
    if not item.verified:
        return item.seen(), f"**not verified**: {item.why_not_verified()}"
    return item.seen(), ", ".join(f"`{name}`" for name in sorted(item.checks)) or "none"
