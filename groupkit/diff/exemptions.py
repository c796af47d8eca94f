"""The exemptions file of `groupkit diff`: changes a team accepts, each with a reason and an `until` date.
A live exemption marks the changes it matches as exempted; an expired one exempts nothing and is itself an
ERR finding (`exemption-expired`); one that matches nothing is a WARN finding (`exemption-unused`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..documents import SourceError, parse
from ..findings import Exemption, Finding, Level

RULES = {"exemption-expired": Level.ERR, "exemption-unused": Level.WARN}


@dataclass(frozen=True)
class Entry:
    """One exemption: which change (rule id and an operation, a path or a fingerprint), why, until when,
    and where it is written (its index in the file, its line)."""

    rule: str
    reason: str
    until: dt.date
    operation: str | None = None
    path: str | None = None
    fingerprint: str | None = None
    index: int = 0
    line: int | None = None

    def matches(self, finding: Finding) -> bool:
        if finding.rule != self.rule:
            return False
        if self.fingerprint is not None and finding.fingerprint != self.fingerprint:
            return False
        if self.operation is not None and finding.operation != _operation(self.operation):
            return False
        return self.path is None or finding.path == self.path


def _operation(text: str) -> str:
    method, _, path = text.strip().partition(" ")
    return f"{method.upper()} {path.strip()}"


def load(path: Path | str) -> tuple[list[Entry], str]:
    """The entries of an exemptions file and its name; raises SourceError when it cannot be used."""
    name = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except OSError as error:
        raise SourceError(f"{name}: {error}") from error
    if not text.strip():
        return [], name
    document = parse(text, name=name, file=name)
    raw = document.data.get("exemptions")
    if not isinstance(raw, list):
        raise SourceError(f"{name}: expected a mapping with an `exemptions` list")
    entries = []
    for index, item in enumerate(raw):
        where = f"{name}: exemption {index + 1}"
        if not isinstance(item, dict):
            raise SourceError(f"{where}: expected a mapping")
        missing = [key for key in ("rule", "reason", "until") if not item.get(key)]
        if missing:
            raise SourceError(f"{where}: missing {', '.join(missing)}")
        if not any(item.get(key) for key in ("operation", "path", "fingerprint")):
            raise SourceError(f"{where}: name the change with `operation`, `path` or `fingerprint`")
        until = item["until"]
        if isinstance(until, str):
            try:
                until = dt.date.fromisoformat(until)
            except ValueError as error:
                raise SourceError(f"{where}: until: {error}") from error
        if not isinstance(until, dt.date):
            raise SourceError(f"{where}: until must be a date (YYYY-MM-DD)")
        entries.append(
            Entry(
                rule=str(item["rule"]),
                reason=str(item["reason"]),
                until=until,
                operation=item.get("operation"),
                path=item.get("path"),
                fingerprint=str(item["fingerprint"]) if item.get("fingerprint") else None,
                index=index,
                line=document.line(f"/exemptions/{index}"),
            )
        )
    return entries, name


def apply(
    findings: Sequence[Finding], entries: Sequence[Entry], file: str, today: dt.date | None = None
) -> list[Finding]:
    """`findings` with live exemptions applied, followed by a finding for each expired or unused entry."""
    today = today or dt.date.today()
    result = list(findings)
    for entry in entries:
        label = _label(entry)
        location = f"{file}#/exemptions/{entry.index}"
        if entry.until < today:
            message = f"the exemption of {label} expired on {entry.until.isoformat()} ({entry.reason})"
            result.append(_own("exemption-expired", message, location, file, entry))
            continue
        matched = False
        for index, finding in enumerate(result):
            if entry.matches(finding) and not finding.exempted and finding.rule not in RULES:
                result[index] = finding.exempt(Exemption(entry.reason, entry.until.isoformat()))
                matched = True
        if not matched:
            message = f"the exemption of {label} matches no change (remove it?)"
            result.append(_own("exemption-unused", message, location, file, entry))
    return result


def _label(entry: Entry) -> str:
    target = entry.operation or entry.path or f"fingerprint {entry.fingerprint}"
    return f"{entry.rule} at {target}"


def _own(rule: str, message: str, location: str, file: str, entry: Entry) -> Finding:
    return Finding(
        rule=rule,
        level=RULES[rule],
        message=message,
        location=location,
        pointer=f"/exemptions/{entry.index}",
        file=file,
        line=entry.line,
    )
