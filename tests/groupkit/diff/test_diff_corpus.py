"""The diff corpus: each before/after pair built from the shipped contract reports exactly its expected
rule ids and levels; refactors that change nothing report nothing at all."""

from __future__ import annotations

from collections import Counter

import pytest

from groupkit.diff import RULES, compare
from groupkit.documents import Document
from groupkit.findings import Finding
from tests.groupkit.diff.diff_corpus import Case, cases, contract, pair

CASES = cases()


def run(case: Case) -> list[Finding]:
    base, head = pair(case)
    return compare(Document("base.yaml", "", "", base), Document("head.yaml", "", "", head))


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c.group}:{c.id}") for c in CASES])
def test_each_pair_reports_its_rules(case: Case) -> None:
    findings = run(case)
    assert {(f.rule, f.level.name) for f in findings} == set(case.expect), [
        (f.rule, f.level.name, f.location) for f in findings
    ]
    assert case.operations <= {f.operation for f in findings}


def test_the_corpus_is_large_and_covers_the_catalogue() -> None:
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES), "case ids are unique"
    refactors = [c for c in CASES if c.refactor]
    assert len(refactors) >= 15
    expected = Counter(rule for c in CASES for rule, _ in c.expect)
    for rule, level in {item for c in CASES for item in c.expect}:
        assert RULES[rule].level.name == level, f"{rule}: the corpus and the catalogue disagree"
    # Every ERR and WARN rule that names a breaking change of this contract's kind has its own pair.
    must = {
        "api-path-removed-without-deprecation",
        "api-removed-without-deprecation",
        "new-required-request-parameter",
        "request-parameter-removed",
        "request-parameter-became-required",
        "request-parameter-type-changed",
        "request-parameter-enum-value-removed",
        "request-parameter-pattern-added",
        "request-parameter-min-increased",
        "request-parameter-max-decreased",
        "new-required-request-property",
        "new-required-request-property-with-default",
        "request-property-removed",
        "request-property-type-changed",
        "request-property-enum-value-removed",
        "request-property-became-not-nullable",
        "request-property-became-required-with-default",
        "response-success-status-removed",
        "response-media-type-removed",
        "response-required-property-removed",
        "response-property-became-optional",
        "response-property-became-nullable",
        "response-property-type-changed",
        "response-property-enum-value-added",
        "api-security-narrowed",
    }
    assert must <= set(expected), must - set(expected)


def test_a_change_is_reported_once_per_operation_and_place() -> None:
    case = next(c for c in CASES if c.id == "response-enum-value-added")
    findings = run(case)
    locations = [f.location for f in findings]
    assert len(locations) == len(set(locations))
    # Error is the body of every error response: one finding per operation and status.
    assert len(findings) == sum(
        1
        for item in contract()["paths"].values()
        for operation in item.values()
        for status in operation["responses"]
        if status != "200"
    )
