"""The baseline of known failures: the file read, checked and written back; findings matched against it (known,
expired, stale); fingerprints made of the minimal reproduction's shape, not its values; and over real HTTP,
against a server with two deterministic defects, a baseline one run writes silences them in the next run
(exit 0, a stale entry reported) until it expires (exit 1, naming the date), whatever the seed."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from schemathesis.schemas import BaseSchema

from groupkit.conformance import baseline
from groupkit.conformance.baseline import BaselineError
from groupkit.conformance.collect import Findings
from groupkit.conformance.options import Options
from groupkit.conformance.reproduction import Reproduction, kind, shape
from groupkit.conformance.results import BaselineEntry, ExitCode, Finding, Result
from groupkit.conformance.runner import run
from tests.conformance.defects import invitees_hidden_and_roles_misnamed
from tests.conftest import TOKENS, serve

ALICE = TOKENS["alice"]
TODAY = date(2026, 11, 26)
INVITE = ("invited_member_is_listed", "PUT /group/invite")
ROLES = ("response_schema_conformance", "GET /group/roles")


def entry(**overrides: Any) -> BaselineEntry:
    values: dict[str, Any] = {
        "check": "not_a_server_error",
        "operation": "GET /group",
        "fingerprint": "0123456789abcdef",
        "reason": "TICKET-1",
        "until": TODAY,
    }
    return BaselineEntry(**{**values, **overrides})


def finding(
    check: str = "not_a_server_error", operation: str = "GET /group", fingerprint: str = "0123456789abcdef"
) -> Finding:
    return Finding(operation, check, "Server error", "500", "curl", fingerprint=fingerprint)


# ------------------------------------------------------------------------------- the file


@pytest.mark.parametrize("name", ["known.yaml", "known.json"])
def test_what_is_written_reads_back(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    findings = [finding(), finding(check="status_code_conformance"), finding()]  # the same twice: one entry
    baseline.write(path, Result(exit_code=ExitCode.VIOLATIONS, failures=findings))
    [first, second] = baseline.load(path)
    assert (first.check, second.check) == ("not_a_server_error", "status_code_conformance")
    assert (first.reason, first.title, first.operation, first.fingerprint) == (
        "TODO",
        "Server error",
        "GET /group",
        "0123456789abcdef",
    )
    assert first.until - date.today() == timedelta(days=baseline.VALID_DAYS)
    text = path.read_text()
    if name.endswith(".json"):
        assert json.loads(text)["known"][0]["until"] == first.until.isoformat()
    else:
        assert text.startswith("# Known failures of `groupkit conform`")
        assert yaml.safe_load(text)["known"][0]["until"] == first.until


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param("known: [", "cannot read it", id="yaml-syntax"),
        pytest.param("- 1\n- 2\n", "expected a mapping with a list `known`", id="a-list"),
        pytest.param("known: {}", "expected a mapping with a list `known`", id="known-not-a-list"),
        pytest.param("version: 2\nknown: []", "version 2 is not 1", id="version"),
        pytest.param("entries: []", "unknown key(s) entries", id="unknown-key"),
        pytest.param("known: [1]", "entry 1 is not a mapping", id="entry-not-a-mapping"),
        pytest.param(
            "known:\n- {check: c, operation: o, fingerprint: f, reason: r}",
            "entry 1: missing until",
            id="no-until",
        ),
        pytest.param(
            "known:\n- {check: c, operation: o, fingerprint: f, reason: r, untill: 2026-01-01}",
            "entry 1: missing until; unknown untill",
            id="typo",
        ),
        pytest.param(
            "known:\n- {check: c, operation: o, fingerprint: f, reason: r, until: soon}",
            "entry 1: until must be a date, YYYY-MM-DD, not 'soon'",
            id="not-a-date",
        ),
        pytest.param(
            "known:\n- {check: c, operation: o, fingerprint: f, reason: '', until: 2026-01-01}",
            "entry 1: reason must be non-empty text",
            id="no-reason",
        ),
        pytest.param(
            "known:\n- {check: c, operation: o, fingerprint: f, reason: r, until: 2026-01-01}\n"
            "- {check: c, operation: o, fingerprint: f, reason: s, until: 2027-01-01}",
            "entry 2 repeats entry 1",
            id="twice",
        ),
    ],
)
def test_a_broken_baseline_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "known.yaml"
    path.write_text(text)
    with pytest.raises(BaselineError) as raised:
        baseline.load(path)
    assert message in str(raised.value)


def test_an_empty_file_knows_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("# nothing yet\n")
    assert baseline.load(tmp_path / "empty.yaml") == []


def test_a_broken_or_missing_baseline_stops_the_run_with_exit_2(tmp_path: Path) -> None:
    (tmp_path / "known.yaml").write_text("known: [1]")
    for name, said in (("known.yaml", "entry 1 is not a mapping"), ("none.yaml", "no such file")):
        out = io.StringIO()
        result = run(Options(base_url="http://127.0.0.1:9", token=ALICE, baseline=tmp_path / name), out=out)
        assert result.exit_code is ExitCode.CANNOT_RUN
        assert f"--baseline {tmp_path / name}: {said}" in out.getvalue()


# ------------------------------------------------------------------------------- matching


def test_match_marks_known_and_expired_findings_and_returns_the_stale_entries() -> None:
    current, past, unused = (
        entry(),
        entry(check="status_code_conformance", until=TODAY - timedelta(days=1)),
        entry(fingerprint="f" * 16),
    )
    matched, expired, new = finding(), finding(check="status_code_conformance"), finding(fingerprint="e" * 16)
    stale = baseline.match([current, past, unused], [matched, expired, new], TODAY)
    assert stale == [unused]
    assert (matched.known, matched.expired) == (current, False)  # `until` is the last day it covers
    assert (expired.known, expired.expired) == (past, True)
    assert new.known is None


def test_adopting_keeps_what_an_entry_said_and_adds_the_new_failures() -> None:
    old = entry(until=TODAY - timedelta(days=3))
    known, new = finding(), finding(check="status_code_conformance")
    known.known, known.expired = old, True
    adopted = baseline.adopt([known, new], TODAY)
    assert adopted[0] is old  # an expired entry is not extended behind the team's back
    assert (adopted[1].reason, adopted[1].until, adopted[1].check) == (
        "TODO",
        date(2026, 12, 26),
        "status_code_conformance",
    )


# ------------------------------------------------------------------------------- fingerprints


@pytest.fixture(scope="module")
def schema() -> BaseSchema:
    """One operation shaped like the contract's POST /group (a query parameter and a JSON body)."""
    body = {"type": "object", "properties": {"name": {"type": "string"}, "description": {"type": "string"}}}
    operation = {
        "parameters": [{"name": "parentId", "in": "query", "schema": {"type": "string"}}],
        "requestBody": {"content": {"application/json": {"schema": body}}},
        "responses": {"200": {"description": "the group"}},
    }
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/group": {"post": operation}},
    }
    return schemathesis.openapi.from_dict(spec)


def fingerprint(schema: BaseSchema, query: dict[str, Any], body: dict[str, Any], token: str = ALICE) -> str:
    case = schema["/group"]["POST"].Case(query=query, body=body, headers={"Authorization": token})
    return Reproduction("not_a_server_error", [case], [shape(case)]).fingerprint("POST /group", "ST101")


def test_a_fingerprint_keeps_the_shape_of_the_request_and_drops_its_values(schema: BaseSchema) -> None:
    reference = fingerprint(schema, {"parentId": "g-1"}, {"name": "Depot", "description": "cold"})
    assert len(reference) == 16 and int(reference, 16) >= 0
    assert (
        fingerprint(schema, {"parentId": "g-2"}, {"name": "東京倉庫", "description": ""}, token="other")
        == reference
    )
    assert fingerprint(schema, {}, {"name": "Depot", "description": "cold"}) != reference
    assert fingerprint(schema, {"parentId": "g-1"}, {"name": "Depot"}) != reference
    assert fingerprint(schema, {"parentId": 7}, {"name": "Depot", "description": "cold"}) != reference


def test_what_else_goes_into_a_fingerprint() -> None:
    probe = Reproduction("invited_member_is_listed")  # the probe's own requests are the same in every run
    assert probe.fingerprint("PUT /group/invite", "GK205") == probe.fingerprint("PUT /group/invite", "GK205")
    others = {
        probe.fingerprint("PUT /group/user", "GK205"),
        probe.fingerprint("PUT /group/invite", "GK206"),
        Reproduction("updated_role_is_listed").fingerprint("PUT /group/invite", "GK205"),
    }
    assert probe.fingerprint("PUT /group/invite", "GK205") not in others and len(others) == 3


def test_shapes_and_the_smallest_reproduction() -> None:
    assert kind({"b": [1, "x", 2, True], "a": None, "c": 1.5}) == {
        "a": "null",
        "b": ["boolean", "integer", "string"],
        "c": "number",
    }
    one = Reproduction("c", requests=[{"method": "GET", "path": "/group"}])
    longer = Reproduction("c", requests=[{"method": "GET", "path": "/group", "query": {"groupId": "string"}}])
    two = Reproduction("c", requests=[{"method": "GET", "path": "/a"}, {"method": "GET", "path": "/b"}])
    assert Reproduction("c").size < one.size < longer.size < two.size


def test_a_finding_keeps_its_smallest_reproduction_whatever_the_order() -> None:
    small = Reproduction("c", requests=[{"method": "GET", "path": "/group"}])
    large = Reproduction("c", requests=[{"method": "GET", "path": "/group", "query": {"groupId": "string"}}])
    kept = []
    for order in ((large, small), (small, large)):
        findings = Findings()
        for number, reproduction in enumerate(order):
            findings.add(
                Finding("GET /group", "c", "t", f"message {number}", f"curl {number}", code="ST101"),
                reproduction,
            )
        [(finding, reproduction)] = list(findings)
        assert finding.count == 2 and reproduction is small
        assert finding.fingerprint == small.fingerprint("GET /group", "ST101")
        kept.append(finding.curl)
    assert kept == ["curl 1", "curl 0"]  # the message and curl shown are those of the smallest


# ------------------------------------------------------------------------------- over HTTP


@pytest.fixture(scope="module")
def broken() -> Iterator[str]:
    """GET /group/users hides the probe's invitee (a probe finds it); GET /group/roles misnames every role."""
    with serve(invitees_hidden_and_roles_misnamed()) as url:
        yield url


def conform(url: str, seed: int, **overrides: Any) -> tuple[Result, str]:
    out = io.StringIO()
    values: dict[str, Any] = {
        "base_url": url,
        "token": ALICE,
        "include": ["PUT /group/invite", "GET /group/roles"],
        "max_examples": 3,
        "seed": seed,
        "phases": ["examples", "fuzzing"],
    }
    result = run(Options(**{**values, **overrides}), out=out)
    return result, out.getvalue()


def prints(result: Result) -> dict[tuple[str, str], str]:
    return {(f.check, f.operation): f.fingerprint for f in result.failures}


def invite_entry(fingerprint: str, **overrides: Any) -> dict[str, Any]:
    values = {"check": INVITE[0], "operation": INVITE[1], "fingerprint": fingerprint, "reason": "TICKET-9"}
    return {**values, "until": "2099-01-01", **overrides}


# A probe's reproduction has no generated request: its fingerprint is known before any run.
PROBED = Reproduction(INVITE[0]).fingerprint(INVITE[1], "GK205")


@pytest.mark.slow
def test_write_baseline_writes_the_run_failures_to_adopt(broken: str, tmp_path: Path) -> None:
    path = tmp_path / "known.yaml"
    result, text = conform(broken, 5, write_baseline=path)
    assert result.exit_code is ExitCode.VIOLATIONS, text
    assert {INVITE, ROLES} <= set(prints(result)) and prints(result)[INVITE] == PROBED
    assert f"Baseline of this run's {len(result.failures)} failure(s): {path}" in text
    written = {(e.check, e.operation): e for e in baseline.load(path)}
    assert {key: e.fingerprint for key, e in written.items()} == prints(result)
    assert {(e.reason, e.until - date.today()) for e in written.values()} == {("TODO", timedelta(days=30))}
    assert written[INVITE].title == "Invited member is not listed"


@pytest.mark.slow
def test_a_known_failure_does_not_fail_the_run_and_a_stale_entry_is_reported(
    broken: str, tmp_path: Path
) -> None:
    path = tmp_path / "known.yaml"
    stale = invite_entry("0" * 16, reason="fixed since")
    path.write_text(yaml.safe_dump({"version": 1, "known": [invite_entry(PROBED), stale]}))
    result, text = conform(broken, 6, include=[INVITE[1]], baseline=path, report=tmp_path / "report.md")
    assert result.exit_code is ExitCode.OK, text
    [known] = result.failures
    assert (known.fingerprint, known.expired, known.blocking) == (PROBED, False, False)
    assert "[known until 2099-01-01: TICKET-9; does not fail the run]" in text
    assert "1 failure(s) in 1 operation/check pair(s), 0 of them failing the run (1 known) → exit 0" in text
    line = f"stale: {INVITE[0]} on {INVITE[1]} ({'0' * 16}, until 2099-01-01) matched no failure of this run"
    assert f"Baseline {path}:\n  - {line}" in text
    assert [(e.fingerprint, e.reason) for e in result.stale] == [("0" * 16, "fixed since")]
    report = (tmp_path / "report.md").read_text()
    assert report.startswith("# groupkit conform: ✅ passed: the failures are 1 known (exit 0)")
    assert f"## Baseline `{path}`\n\n- {line}" in report


@pytest.mark.slow
def test_an_expired_entry_fails_the_run_again(broken: str, tmp_path: Path) -> None:
    path = tmp_path / "known.json"
    path.write_text(json.dumps({"known": [invite_entry(PROBED, until="2000-01-01")]}))
    result, text = conform(broken, 7, include=[INVITE[1]], baseline=path)
    assert result.exit_code is ExitCode.VIOLATIONS, text
    [expired] = result.failures
    assert (expired.fingerprint, expired.expired, expired.blocking) == (PROBED, True, True)
    assert "[its baseline entry expired on 2000-01-01 (TICKET-9); fails the run]" in text
    assert not result.stale


@pytest.mark.slow
def test_a_written_baseline_holds_for_the_same_seed_and_for_others(broken: str, tmp_path: Path) -> None:
    """Fingerprints of a probe's finding and of a stock check's finding on generated requests."""
    path = tmp_path / "known.yaml"
    first, _ = conform(broken, 11, write_baseline=path)
    assert {INVITE, ROLES} <= set(prints(first))
    for seed in (11, 12, 13):
        again, text = conform(broken, seed, baseline=path)
        assert prints(again) == prints(first), seed
        assert again.exit_code is ExitCode.OK and not again.stale, text
