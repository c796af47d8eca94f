"""What `groupkit diff` and `groupkit lint` report: a finding (rule id, level, where, message, a stable
fingerprint), the three levels, and the verdict of a list of findings against a `--fail-on` level."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace


class Level(enum.IntEnum):
    """How serious a finding is, ordered: ERR breaks clients (or makes the contract invalid), WARN may,
    INFO is worth knowing. The names are oasdiff's."""

    INFO = 1
    WARN = 2
    ERR = 3

    @classmethod
    def parse(cls, text: str) -> Level:
        """`ERR`, `WARN` or `INFO`, in any case; Spectral's `error`, `warn`/`warning`, `info` and `hint`
        are accepted too, so a team can copy its levels over."""
        name = ALIASES.get(text.strip().lower())
        if name is None:
            raise ValueError(f"unknown level {text!r}: use ERR, WARN or INFO")
        return cls[name]


ALIASES = {
    "err": "ERR",
    "error": "ERR",
    "warn": "WARN",
    "warning": "WARN",
    "info": "INFO",
    "information": "INFO",
    "hint": "INFO",
}


@dataclass(frozen=True)
class Exemption:
    """Why a finding is accepted: the reason and the last day it holds (from an exemptions file)."""

    reason: str
    until: str


@dataclass(frozen=True)
class Finding:
    """One thing a rule found.

    `location` names the finding in words that survive unrelated edits (for a change: the operation and
    the logical place inside it, `$ref`s followed; for a lint problem: its JSON pointer); the fingerprint
    hashes the rule id and the location, never the message, so a reworded message keeps its fingerprint.
    `pointer` is where the finding sits in `file` (a JSON pointer), `line` its line there when known.
    """

    rule: str
    level: Level
    message: str
    location: str
    pointer: str = ""
    file: str = ""
    line: int | None = None
    direction: str = "none"  # request, response or none
    operation: str | None = None  # "GET /group" when the finding belongs to an operation
    path: str | None = None  # "/group"
    exemption: Exemption | None = field(default=None, compare=False)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.rule, self.location)

    @property
    def exempted(self) -> bool:
        return self.exemption is not None

    def exempt(self, exemption: Exemption) -> Finding:
        return replace(self, exemption=exemption)


def fingerprint(rule: str, location: str) -> str:
    """12 hex digits of SHA-256 over `rule:location`: stable across runs, machines and message edits."""
    return hashlib.sha256(f"{rule}:{location}".encode()).hexdigest()[:12]


def failing(findings: Iterable[Finding], fail_on: Level) -> list[Finding]:
    """The findings that fail a gate set at `fail_on`: at that level or above, and not exempted."""
    return [f for f in findings if f.level >= fail_on and not f.exempted]


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Most serious first, then by file position, so every format lists them in the same order."""
    return sorted(findings, key=lambda f: (-f.level, f.file, f.line or 0, f.location, f.rule))


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    """{"ERR": n, "WARN": n, "INFO": n, "exempted": n}."""
    result = {level.name: 0 for level in sorted(Level, reverse=True)} | {"exempted": 0}
    for finding in findings:
        result["exempted" if finding.exempted else finding.level.name] += 1
    return result
