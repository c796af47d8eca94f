"""What a conformance run found and how it ended: the `Finding`s, the run's `Result`, and its `ExitCode`.

Plain data with no imports from the rest of the kit, so that the runner fills it and the reports read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


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
    ExitCode.OK: ("conformant", "every check passed on every executed case"),
    ExitCode.VIOLATIONS: (
        "contract violations found",
        "each is listed with its check, a curl reproduction and a replay command",
    ),
    ExitCode.CANNOT_RUN: (
        "could not run",
        "bad options, invalid contract, unreachable server, rejected token, no operation selected, "
        "no test case executed, or an error the run could not recover from",
    ),
    ExitCode.INTERRUPTED: ("interrupted", "stopped by Ctrl-C (SIGINT)"),
}


@dataclass
class Finding:
    """One distinct violation: which check failed on which operation, why, and the curl that shows it."""

    operation: str
    check: str
    title: str
    message: str
    curl: str
    code: str = ""
    phase: str = ""
    count: int = 1


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

    def __post_init__(self) -> None:
        self.exit_code = ExitCode(self.exit_code)  # a plain int given by a caller becomes its ExitCode
