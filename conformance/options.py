"""The options of a conformance run: each declared once, with its command-line flag, help and replay words
(`flags.py` reads the declarations). What is wrong with a set of them, the operations they select and the
schemathesis configuration they become are in `configuration.py`; `groupkit` declares `conform`'s flags from
this module at every start, so it imports no schemathesis.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from groupkit.contract import CONTRACT_PATH

from .flags import flag

PHASES = ("examples", "coverage", "fuzzing", "stateful")
DEFAULT_MAX_EXAMPLES = 100
DEFAULT_REQUEST_TIMEOUT = 10.0


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return value


def _comma_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _number(value: float) -> str:
    """`5`, `0.5`; the shortest spelling that reads back as the same float."""
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


TARGET, SCOPE, BUDGET, REPORTS = "target", "what to test", "budget and reproducibility", "reports"
TRIAGE = "flake triage and known failures"
MAX_CONFIRM = 100


@dataclass
class Options:
    """Everything `groupkit conform` accepts; `app` runs in-process against an ASGI app (no socket).

    Each field given on the command line declares its flag here and nowhere else (`flags.py` derives the
    argparse arguments, the copy from the parsed namespace and the replay command); the field order is the
    order of the replay command and, within each group, of `--help`."""

    base_url: str = field(metadata=flag("the server to check", TARGET, metavar="URL"))
    token: str | None = field(
        default=None,
        metadata=flag(
            "access token sent as `Authorization: TOKEN`",
            TARGET,
            env="GROUPKIT_TOKEN",
        ),
    )
    other_token: str | None = field(
        default=None,
        metadata=flag(
            "a second user's token, who is not in the first user's groups: enables isolation_between_users",
            TARGET,
            metavar="TOKEN",
            env="GROUPKIT_OTHER_TOKEN",
        ),
    )
    persona: list[str] = field(
        default_factory=list,
        metadata=flag(
            "a user with a role to check (permissions_are_enforced): NAME=TOKEN (repeatable); better "
            "GROUPKIT_PERSONA_<NAME>=TOKEN or --personas FILE, which keep tokens out of shell history",
            TARGET,
            metavar="NAME=TOKEN",
            repeatable=True,
            replay=False,
        ),
    )
    personas: Path | None = field(
        default=None,
        metadata=flag(
            'personas file (TOML; JSON if FILE ends in .json): name = "token" or name = { env = "VARIABLE" }',
            TARGET,
            metavar="FILE",
            parse=Path,
        ),
    )
    contract: Path = field(
        default=CONTRACT_PATH,
        metadata=flag("the contract (default: the shipped one)", TARGET, metavar="FILE", parse=Path),
    )
    wait_for_server: float = field(
        default=0.0,
        metadata=flag(
            "wait up to SECONDS for the server to answer before giving up (exit 2)",
            TARGET,
            metavar="SECONDS",
            parse=_non_negative,
            replay=False,
        ),
    )
    read_only: bool = field(
        default=False,
        metadata=flag(
            "only safe (GET) operations and no check that writes: for shared staging servers", SCOPE
        ),
    )
    include: list[str] = field(
        default_factory=list,
        metadata=flag(
            "test only this operation: 'METHOD /path' or operationId (repeatable)",
            SCOPE,
            metavar="OPERATION",
            repeatable=True,
        ),
    )
    exclude: list[str] = field(
        default_factory=list,
        metadata=flag("skip it (repeatable)", SCOPE, metavar="OPERATION", repeatable=True),
    )
    max_examples: int = field(
        default=DEFAULT_MAX_EXAMPLES,
        metadata=flag("cases per operation and phase", BUDGET, metavar="N", parse=int),
    )
    phases: list[str] | None = field(  # None also means all of them
        default_factory=lambda: list(PHASES),
        metadata=flag(
            f"comma-separated among {','.join(PHASES)} (default: all)",
            SCOPE,
            metavar="LIST",
            parse=_comma_list,
            show=",".join,
        ),
    )
    workers: int = field(
        default=1, metadata=flag("concurrent workers (default 1)", BUDGET, metavar="N", parse=int)
    )
    rate_limit: float | None = field(
        default=None,
        metadata=flag(
            "at most this many requests per second", BUDGET, metavar="PER_SECOND", parse=float, show=_number
        ),
    )
    max_time: float | None = field(
        default=None,
        metadata=flag(
            "a deadline, not a duration: stop testing after this long at the latest (slow answers included)",
            BUDGET,
            metavar="SECONDS",
            parse=float,
            show=_number,
        ),
    )
    request_timeout: float | None = field(
        default=DEFAULT_REQUEST_TIMEOUT,
        metadata=flag("per request (default 10)", BUDGET, metavar="SECONDS", parse=float, replay=False),
    )
    seed: int | None = field(
        default=None,
        metadata=flag("same seed, same server state: same run (printed at the end)", BUDGET, parse=int),
    )
    report: Path | None = field(
        default=None,
        metadata=flag(
            "write a Markdown summary (CI job summaries)", REPORTS, metavar="FILE", parse=Path, replay=False
        ),
    )
    junit_xml: Path | None = field(
        default=None,
        metadata=flag(
            "write JUnit XML (one case per operation)", REPORTS, metavar="FILE", parse=Path, replay=False
        ),
    )
    require_coverage: bool = field(
        default=False,
        metadata=flag(
            "fail the run (exit 1) when an operation's success path was never reached: no request of it "
            'answered 2xx, so no check judged a success (the report names it "not verified" either way)',
            REPORTS,
        ),
    )
    strict_fields: bool = field(
        default=False,
        metadata=flag(
            "every response property the contract does not document fails the run (by default only a near "
            "miss of a documented name, such as owner_id for ownerId, does; the others are warnings)",
            REPORTS,
        ),
    )
    # These judge what the run found and change no generated case: the replay command leaves them out.
    confirm: int = field(
        default=0,
        metadata=flag(
            "replay each distinct failure N times: one failing every time is deterministic, else flaky; "
            "flaky failures do not fail the run (default 0: no replay, every failure fails the run)",
            TRIAGE,
            metavar="N",
            parse=int,
            replay=False,
        ),
    )
    fail_on_flaky: bool = field(
        default=False, metadata=flag("flaky failures fail the run too", TRIAGE, replay=False)
    )
    baseline: Path | None = field(
        default=None,
        metadata=flag(
            "known failures (YAML; JSON if FILE ends in .json): a failure an entry matches is reported as "
            "known and does not fail the run until the entry's `until` date",
            TRIAGE,
            metavar="FILE",
            parse=Path,
            replay=False,
        ),
    )
    write_baseline: Path | None = field(
        default=None,
        metadata=flag(
            "write this run's failures as a baseline (reason TODO, until today + 30 days)",
            TRIAGE,
            metavar="FILE",
            parse=Path,
            replay=False,
        ),
    )
    app: Any = None
