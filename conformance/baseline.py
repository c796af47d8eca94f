"""The baseline of known failures: reading a baseline file (`--baseline`), matching it against a run's findings,
and writing a run's failures as a baseline to adopt (`--write-baseline`).

The file is YAML (JSON when its name ends in `.json`):

    version: 1
    known:
    - check: invited_member_is_listed
      operation: PUT /group/invite
      fingerprint: 5d1c0f6a9e2b7c3d      # reproduction.py says what it hashes
      title: Invited member is not listed  # optional, for people: not matched
      reason: TICKET-123, the listing is cached for a minute
      until: 2026-12-31                  # the last day the entry covers its failure

An entry matches the finding with the same check, operation and fingerprint. Until the end of `until` that
finding is known and does not fail the run; after it the entry has expired and the finding fails the run
again (unless it is flaky). An entry that matched nothing is stale, and reported.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from .options import Options
from .results import BaselineEntry, Finding, Result

__all__ = ["BaselineError", "adopt", "load", "match", "write"]

VERSION = 1
VALID_DAYS = 30  # how long a written entry covers its failure
REQUIRED = ("check", "operation", "fingerprint", "reason", "until")
FIELDS = (*REQUIRED, "title")
HEADER = """\
# Known failures of `groupkit conform` (docs/conformance.md, "Flake triage and the baseline").
# Each entry covers the failure with the same check, operation and fingerprint until the end of `until`:
# that failure is reported as known and does not fail the run. Give each a reason.
"""


class BaselineError(Exception):
    """The baseline file cannot be used: the message says where and why."""


def load(path: Path) -> list[BaselineEntry]:
    """The entries of the baseline file at `path`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        document = json.loads(text) if _is_json(path) else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as error:
        raise BaselineError(f"cannot read it: {error}") from None
    if document is None:
        return []
    if not isinstance(document, dict) or not isinstance(document.get("known", []), list):
        raise BaselineError("expected a mapping with a list `known` of entries")
    if document.get("version", VERSION) != VERSION:
        raise BaselineError(f"version {document.get('version')!r} is not {VERSION}")
    unknown = sorted(set(document) - {"version", "known"})
    if unknown:
        raise BaselineError(f"unknown key(s) {', '.join(unknown)}; expected version and known")
    entries: list[BaselineEntry] = []
    seen: dict[tuple[str, str, str], int] = {}
    for number, raw in enumerate(document.get("known") or [], 1):
        entry = _entry(raw, number)
        if entry.key in seen:
            raise BaselineError(
                f"entry {number} repeats entry {seen[entry.key]} (same check, operation, fingerprint)"
            )
        seen[entry.key] = number
        entries.append(entry)
    return entries


def _entry(raw: Any, number: int) -> BaselineEntry:
    where = f"entry {number}"
    if not isinstance(raw, dict):
        raise BaselineError(f"{where} is not a mapping")
    unknown = sorted(set(raw) - set(FIELDS))
    missing = [name for name in REQUIRED if name not in raw]
    problems = [f"missing {', '.join(missing)}"] if missing else []
    problems += [f"unknown {', '.join(unknown)}"] if unknown else []
    if problems:
        raise BaselineError(f"{where}: {'; '.join(problems)} (fields: {', '.join(FIELDS)})")
    texts = {name: raw.get(name, "") for name in FIELDS if name != "until"}
    wrong = [
        name
        for name, value in texts.items()
        if not isinstance(value, str) or (not value and name in REQUIRED)
    ]
    if wrong:
        raise BaselineError(f"{where}: {', '.join(wrong)} must be non-empty text")
    until = raw["until"]
    if isinstance(until, str):
        try:
            until = date.fromisoformat(until)
        except ValueError:
            pass
    if not isinstance(until, date):
        raise BaselineError(f"{where}: until must be a date, YYYY-MM-DD, not {raw['until']!r}")
    return BaselineEntry(until=until, **texts)


def match(entries: list[BaselineEntry], findings: list[Finding], today: date) -> list[BaselineEntry]:
    """Mark each finding an entry matches as known (and whether the entry expired); the stale entries."""
    by_key = {entry.key: entry for entry in entries}
    matched = set()
    for finding in findings:
        entry = by_key.get(finding.key)
        if entry is not None:
            finding.known, finding.expired = entry, entry.expired(today)
            matched.add(entry.key)
    return [entry for entry in entries if entry.key not in matched]


def adopt(findings: list[Finding], today: date) -> list[BaselineEntry]:
    """A baseline of `findings`: the entry each matched stays as it was; a new one has reason TODO and
    covers its failure for `VALID_DAYS` days."""
    entries: dict[tuple[str, str, str], BaselineEntry] = {}
    for finding in findings:
        entries.setdefault(
            finding.key,
            finding.known
            or BaselineEntry(
                check=finding.check,
                operation=finding.operation,
                fingerprint=finding.fingerprint,
                title=finding.title,
                reason="TODO",
                until=today + timedelta(days=VALID_DAYS),
            ),
        )
    return list(entries.values())


def write(path: Path, result: Result, options: Options | None = None) -> None:
    """Write `result`'s failures to `path` as a baseline (`adopt`), in the format `load` reads (the signature
    of the report writers)."""
    entries = [
        {
            name: getattr(entry, name)
            for name in ("check", "operation", "fingerprint", "title", "reason", "until")
        }
        for entry in adopt(result.failures, date.today())
    ]
    for entry in entries:
        if not entry["title"]:
            del entry["title"]
    if _is_json(path):
        for entry in entries:
            entry["until"] = entry["until"].isoformat()
        text = json.dumps({"version": VERSION, "known": entries}, indent=2, ensure_ascii=False) + "\n"
    else:
        body = yaml.safe_dump({"version": VERSION, "known": entries}, sort_keys=False, allow_unicode=True)
        text = HEADER + body
    Path(path).write_text(text, encoding="utf-8")


def _is_json(path: Path) -> bool:
    return Path(path).suffix.lower() == ".json"
