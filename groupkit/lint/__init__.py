"""`groupkit lint`: a contract checked by a ruleset (validity, examples, and the `spectral:oas` rules teams
keep on), each problem a Finding with its rule id, level and JSON pointer.

    findings = lint.run("openapi.yaml")                       # levels from [tool.groupkit.lint]
    findings = lint.check(document, {"oas3-unused-component": None})  # a rule turned off
"""

from __future__ import annotations

from pathlib import Path

from .. import config
from ..documents import Document, SourceError, read
from ..findings import Finding, Level
from .rules import RULES, Rule

PARSER = "parser"  # the file cannot be read or parsed (Spectral's name for it)
VALIDITY = "oas3-schema"


def check(document: Document, levels: config.Levels | None = None) -> list[Finding]:
    """Every finding of the ruleset on `document`. `oas3-schema` (validity) cannot be turned off. On a
    document that is not valid OpenAPI 3.0 the other rules still run, as far as its shape lets them: their
    pointers are often more precise than the validator's."""
    levels = levels or {}
    valid = True
    findings: list[Finding] = []
    for rule in RULES.values():
        level = levels[rule.id] if rule.id in levels else rule.level
        if rule.id == VALIDITY:
            level = level or Level.ERR
        if level is None:
            continue
        try:
            hits = list(rule.check(document))
        except (AttributeError, KeyError, TypeError, ValueError, IndexError):
            if valid:
                raise  # a valid document must never break a rule
            continue  # the validator has already said what is wrong with this shape
        if rule.id == VALIDITY and hits:
            valid = False
        findings.extend(_finding(document, rule.id, level, at, message) for at, message in hits)
    return findings


def _finding(document: Document, rule: str, level: Level, at: str, message: str) -> Finding:
    return Finding(
        rule=rule,
        level=level,
        message=message,
        location=at,
        pointer=at,
        file=document.file or document.name,
        line=document.line(at) if document.file else None,
    )


def run(source: str | Path, *, levels: config.Levels | None = None) -> list[Finding]:
    """Lint the contract at `source` (a file, an http(s) URL or a git `REV:path`). A contract that cannot
    be read or parsed is one ERR finding of rule `parser`."""
    try:
        document = read(str(source))
    except SourceError as error:
        return [Finding(PARSER, Level.ERR, str(error), "/", "/", file=str(source))]
    return check(document, levels)


def configured_levels(pyproject: Path | None = None) -> dict[str, Level | None]:
    """The `[tool.groupkit.lint]` levels of the nearest pyproject.toml (or `pyproject`)."""
    return config.levels("lint", RULES, pyproject)


__all__ = ["PARSER", "RULES", "Rule", "check", "configured_levels", "run"]
