"""`groupkit diff`: the changes from a BASE contract to a HEAD contract that matter to clients, each a Finding
named by its oasdiff rule id, with levels from the catalogue (or `[tool.groupkit.diff]`) and exemptions.

    findings = diff.run("origin/main:openapi.yaml", "openapi.yaml", exemptions="contract-exemptions.yaml")
    failed = findings and groupkit.findings.failing(findings, Level.ERR)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .. import config
from ..documents import Document, read
from ..findings import Finding, Level
from . import exemptions as exemption_file
from .naming import Raw
from .operations import compare_operations
from .rules import RULES, Rule
from .security import compare_security


def compare(base: Document, head: Document, levels: config.Levels | None = None) -> list[Finding]:
    """Every change from `base` to `head` that a rule names, at its level (`levels` overrides the
    catalogue's; a rule set to None is off)."""
    levels = levels or {}
    findings = []
    for raw in [*compare_operations(base, head), *compare_security(base, head)]:
        finding = _finding(raw, base, head, levels)
        if finding is not None:
            findings.append(finding)
    return findings


def _finding(raw: Raw, base: Document, head: Document, levels: config.Levels) -> Finding | None:
    rule = RULES[raw.rule]
    level = levels[raw.rule] if raw.rule in levels else rule.level
    if level is None:
        return None
    document = base if raw.side == "base" else head
    return Finding(
        rule=raw.rule,
        level=level,
        message=raw.message,
        location=raw.location,
        pointer=raw.pointer,
        file=document.file or document.name,
        line=document.line(raw.pointer) if document.file else None,
        direction=rule.direction,
        operation=raw.operation,
        path=raw.path,
    )


def run(
    base: str,
    head: str,
    *,
    exemptions: Path | str | None = None,
    pyproject: Path | None = None,
    today: dt.date | None = None,
) -> list[Finding]:
    """Read BASE and HEAD (files, http(s) URLs or git `REV:path`), compare them with the levels of the
    nearest `pyproject.toml` (or `pyproject`), and apply the exemptions file if one is given.
    Raises documents.SourceError or config.ConfigError when something cannot be read."""
    levels = config.levels("diff", RULES, pyproject)
    findings = compare(read(base), read(head), levels)
    if exemptions is not None:
        entries, name = exemption_file.load(exemptions)
        findings = exemption_file.apply(findings, entries, name, today)
    return findings


__all__ = ["RULES", "Finding", "Level", "Rule", "compare", "run"]
