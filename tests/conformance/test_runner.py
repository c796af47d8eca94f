"""Tests of the conformance kit itself: its exit codes and what it prints, its reports, its determinism,
read-only mode, and its use from pytest (against a URL and in-process against the ASGI app).

Whether each check catches its defect is the sabotage suite's job (tests/conformance/test_checks.py); the runs here
that must fail use one small defect only to exercise the failure path (exit 1, output, reports).
"""

from __future__ import annotations

import dataclasses
import io
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.errors import FailureGroup

import groupkit.conformance as conformance
from groupkit.app import MockApp, create_app
from groupkit.cli import main
from groupkit.conformance.options import Options
from groupkit.conformance.results import ExitCode, Result
from groupkit.conformance.runner import run
from tests.conformance.sabotage.persistence import KeyNeverDeleted
from tests.conftest import TOKENS, free_port, serve

ALICE, EVA = TOKENS["alice"], TOKENS["eva"]


def conform(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["conform", *argv])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def quick(url: str, **overrides: Any) -> Options:
    """A small, fast run: a few operations, few examples."""
    options: dict[str, Any] = {
        "base_url": url,
        "token": ALICE,
        "include": ["GET /group/roles"],
        "max_examples": 3,
        "seed": 1,
        "phases": ["examples", "fuzzing"],
    }
    options.update(overrides)
    return Options(**options)


def broken_mock() -> MockApp:
    """A mock whose DELETE /group/apiKey answers 200 and deletes nothing (it deletes from a scratch copy
    of the world: the sabotage suite's delete-does-nothing store)."""
    return create_app(seed=1, validate_responses=False, store_class=KeyNeverDeleted)


# ------------------------------------------------------------------------------- could not run: exit 2


@pytest.mark.parametrize(
    "argv, expected",
    [
        pytest.param(["--max-examples", "0"], "--max-examples must be at least 1", id="zero-examples"),
        pytest.param(["--phases", "examples,bogus"], "unknown phase(s) bogus", id="unknown-phase"),
        pytest.param(["--other-token", ALICE], "--other-token must belong to another user", id="same-tokens"),
        pytest.param(["--workers", "0"], "--workers must be between 1 and 64", id="no-workers"),
        pytest.param(["--rate-limit", "0"], "--rate-limit must be a positive", id="zero-rate"),
        pytest.param(
            ["--report", f"{__file__}/r.md"], "cannot be a folder (a file is in the way)", id="report-dir"
        ),
    ],
)
def test_bad_options_exit_2(argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = conform("--base-url", "http://127.0.0.1:9", "--token", ALICE, *argv, capsys=capsys)
    assert code == 2
    assert expected in output
    assert "could not run" in output


def test_argparse_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as missing:
        main(["conform", "--token", ALICE])
    assert missing.value.code == 2
    with pytest.raises(SystemExit) as not_a_number:
        main(["conform", "--base-url", "http://x", "--max-examples", "many"])
    assert not_a_number.value.code == 2


def test_a_token_is_required_and_read_from_the_environment(
    live: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GROUPKIT_TOKEN", raising=False)
    code, output = conform("--base-url", live, capsys=capsys)
    assert code == 2 and "GROUPKIT_TOKEN" in output

    monkeypatch.setenv("GROUPKIT_TOKEN", ALICE)
    argv = ["--base-url", live, "--include", "listRoles", "--phases", "examples", "--max-examples", "1"]
    code, output = conform(*argv, capsys=capsys)
    assert code == 0, output
    assert ALICE not in output  # the secret never reaches the log


@pytest.mark.slow
def test_unreachable_server_exit_2_after_waiting(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    code, output = conform("--base-url", url, "--token", ALICE, "--wait-for-server", "1", capsys=capsys)
    assert code == 2
    assert time.monotonic() - started >= 1
    assert f"cannot reach {url} for 1 s" in output


@pytest.mark.parametrize("option", ["--token", "--other-token"])
def test_rejected_token_exit_2(live: str, option: str, capsys: pytest.CaptureFixture[str]) -> None:
    tokens = {"--token": ALICE, "--other-token": EVA, option: "demo-token-nobody"}
    argv = [item for pair in tokens.items() for item in pair]
    code, output = conform("--base-url", live, *argv, capsys=capsys)
    assert code == 2
    assert f"the server rejected {option}: GET /user/groups answered 401" in output


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("openapi: [unclosed", id="yaml-syntax"),
        pytest.param("openapi: 3.0.3\ninfo: {title: x}\npaths: {}\n", id="not-openapi"),
    ],
)
def test_invalid_contract_exit_2(
    text: str, tmp_path: Path, live: str, capsys: pytest.CaptureFixture[str]
) -> None:
    contract = tmp_path / "broken.yaml"
    contract.write_text(text)
    code, output = conform("--base-url", live, "--token", ALICE, "--contract", str(contract), capsys=capsys)
    assert code == 2
    assert "is not valid OpenAPI 3.0" in output


@pytest.mark.parametrize(
    "argv, expected",
    [
        pytest.param(["--include", "GET /nope"], "no operation is named 'GET /nope'", id="unknown-name"),
        pytest.param(
            ["--read-only", "--include", "createGroup"], "select no operation", id="read-only-write"
        ),
        pytest.param(
            ["--include", "listRoles", "--exclude", "GET /group/roles"], "select no operation", id="all-out"
        ),
    ],
)
def test_nothing_selected_exit_2(
    argv: list[str], expected: str, live: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = conform("--base-url", live, "--token", ALICE, *argv, capsys=capsys)
    assert code == 2
    assert expected in output


def test_nothing_executed_is_not_a_pass(live: str) -> None:
    # Only the stateful phase, on one operation without links: the run executes no case at all.
    result = run(quick(live, phases=["stateful"]), out=io.StringIO())
    assert result.cases == 0
    assert result.exit_code is ExitCode.CANNOT_RUN
    assert "no test case was executed" in result.errors


# ------------------------------------------------------------------------------- conformant: exit 0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_the_correct_mock_is_conformant(seed: int) -> None:
    """Zero false positives: every operation, every phase, both users, a persona per role, every check on and
    strict (`--strict-fields`, `--require-coverage`), five seeds."""
    out = io.StringIO()
    personas = [f"{name}={TOKENS[name]}" for name in ("bruno", "chloe", "dan", "giulia")]
    options = Options(
        base_url="http://127.0.0.1:1",  # the served mock's, below
        token=ALICE,
        other_token=EVA,
        persona=personas,
        strict_fields=True,
        require_coverage=True,
        max_examples=10,
        seed=seed,
    )
    with serve(create_app(seed=seed)) as url:
        result = run(dataclasses.replace(options, base_url=url), out=out)
    assert result.exit_code is ExitCode.OK, out.getvalue()
    assert result.cases > 500
    # no probe skipped: the only notes say how each persona was tested
    tested_as = re.compile(r"permissions_are_enforced: persona (\w+) .* tested as \w+ in ")
    assert not result.errors and all(tested_as.match(note) for note in result.notes), out.getvalue()
    assert sorted(match.group(1) for match in map(tested_as.match, result.notes) if match) == sorted(
        persona.split("=")[0] for persona in personas
    ), out.getvalue()
    assert len(result.operations) == 13
    assert len(result.coverage) == 13 and not result.not_verified, out.getvalue()


@pytest.mark.slow
def test_output_names_phases_operations_and_the_replay_line(live: str) -> None:
    out = io.StringIO()
    result = run(quick(live, include=["GET /group/roles", "GET /group/devices"]), out=out)
    text = out.getvalue()
    assert result.exit_code is ExitCode.OK, text
    for line in (
        "[examples]",
        "[fuzzing]",
        "GET /group/roles",
        "GET /group/devices",
        "→ exit 0 (conformant)",
    ):
        assert line in text
    assert f"Replay this run: groupkit conform --base-url {live}" in text
    assert "--seed 1" in text


# ------------------------------------------------------------------------------- violations: exit 1


@pytest.fixture
def broken() -> Iterator[str]:
    with serve(broken_mock()) as url:
        yield url


@pytest.mark.slow
def test_a_violation_exits_1_with_check_curl_and_seed(broken: str, tmp_path: Path) -> None:
    out = io.StringIO()
    options = quick(
        broken,
        include=["DELETE /group/apiKey"],
        other_token=EVA,
        report=tmp_path / "report.md",
        junit_xml=tmp_path / "junit.xml",
    )
    result = run(options, out=out)
    text = out.getvalue()
    assert result.exit_code is ExitCode.VIOLATIONS, text
    finding = next(f for f in result.failures if f.check == "deleted_key_stays_deleted")
    assert finding.operation == "DELETE /group/apiKey"
    assert "expected the key gone" in finding.message and "answered 200" in finding.message
    assert finding.curl.startswith("curl -X ") and "/group/apiKey" in finding.curl
    assert "Authorization: [Filtered]" in finding.curl
    assert "— deleted_key_stays_deleted: Deleted API key is still present" in text
    assert "--include 'DELETE /group/apiKey'" in text and "--seed 1" in text
    assert "→ exit 1 (contract violations found)" in text
    assert ALICE not in text and EVA not in text
    report = (tmp_path / "report.md").read_text()
    assert report.startswith("# groupkit conform: ❌ contract violations found (exit 1)")
    assert "`deleted_key_stays_deleted`" in report and "```bash\ncurl" in report
    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    failures = suite.findall("./testcase[@name='DELETE /group/apiKey']/failure")
    assert [f.get("type") for f in failures] == ["deleted_key_stays_deleted"]


def test_the_reports_folders_are_created(live: str, tmp_path: Path) -> None:
    """The README's CI example writes `reports/...`: the folder is created, not a reason to test nothing."""
    report, junit = tmp_path / "reports" / "conform.md", tmp_path / "reports" / "deep" / "conform.xml"
    result = run(quick(live, report=report, junit_xml=junit), out=io.StringIO())
    assert result.exit_code is ExitCode.OK
    assert report.read_text().startswith("# groupkit conform: ✅") and ET.parse(junit).getroot() is not None


@pytest.mark.slow
def test_reports_of_a_conformant_run(live: str, tmp_path: Path) -> None:
    result = run(quick(live, report=tmp_path / "r.md", junit_xml=tmp_path / "j.xml"), out=io.StringIO())
    assert result.exit_code is ExitCode.OK
    assert "✅ conformant (exit 0)" in (tmp_path / "r.md").read_text()
    suite = ET.parse(tmp_path / "j.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0"
    assert [case.get("name") for case in suite.iter("testcase")] == ["GET /group/roles", "run"]


# ------------------------------------------------------------------------------- determinism, scope


def _shape(result: Result) -> tuple[Any, ...]:
    created = [entry.replace(result.run_id, "RUN") for entry in result.created]
    return result.cases_by_operation, [(f.operation, f.check) for f in result.failures], created


@pytest.mark.slow
def test_same_seed_same_run() -> None:
    shapes = []
    for _ in range(2):
        with serve(create_app(seed=3)) as url:
            options = quick(
                url,
                include=["POST /group", "GET /group/users", "PUT /group/invite"],
                phases=["examples", "coverage", "fuzzing"],
                seed=42,
            )
            shapes.append(_shape(run(options, out=io.StringIO())))
    assert shapes[0] == shapes[1]
    assert shapes[0][2], "the run should have created something"


@pytest.mark.slow
def test_read_only_sends_no_write(live: str) -> None:
    httpx.delete(f"{live}/__mock__/journal", headers={"X-Mock-Control": "1"}).raise_for_status()
    out = io.StringIO()
    result = run(quick(live, include=[], read_only=True, other_token=EVA, phases=None), out=out)
    assert result.exit_code is ExitCode.OK, out.getvalue()
    assert result.operations == [
        "GET /user/groups",
        "GET /group",
        "GET /group/devices",
        "GET /group/roles",
        "GET /group/users",
    ]
    assert result.created == []
    entries = httpx.get(f"{live}/__mock__/journal").json()["items"]
    assert entries, "the journal should have recorded the run"
    assert {entry["method"] for entry in entries} <= {"GET", "OPTIONS", "TRACE"}


# ------------------------------------------------------------------------------- from pytest


@pytest.mark.slow
def test_pytest_mode_against_a_url(live: str) -> None:
    """Against a server started by a fixture. (`schemathesis.pytest.from_fixture` would be the natural way,
    but schemathesis 4.32 reads `Function._nodeid`, which pytest 9 no longer has; `given` works.)"""
    schema = conformance.load(base_url=live, token=ALICE, other_token=EVA)
    calls = []

    for label in ("GET /group/devices", "PUT /group/invite"):
        method, path = label.split(" ")

        @given(case=schema[path][method].as_strategy())
        @settings(max_examples=5, suppress_health_check=list(HealthCheck), deadline=None, derandomize=True)
        def test(case: schemathesis.Case) -> None:
            calls.append(case.call_and_validate(additional_checks=conformance.CHECKS).status_code)

        test()
    assert len(calls) >= 10
    # the kit's checks ran on those cases: invited_member_is_listed's probe invited its own member
    assert any(entry.startswith("invitation of gk-conform-") for entry in conformance.created(schema))


IN_PROCESS = conformance.load(app=create_app(seed=2), token=ALICE, other_token=EVA, max_examples=5, seed=2)


@IN_PROCESS.include(name=["GET /group/users", "POST /group"]).parametrize()
@settings(max_examples=5, suppress_health_check=list(HealthCheck), deadline=None)
@pytest.mark.slow
def test_pytest_mode_in_process(case: schemathesis.Case) -> None:
    case.call_and_validate()


Workflow = IN_PROCESS.as_state_machine()
Workflow.TestCase.settings = settings(
    max_examples=3,
    stateful_step_count=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


class TestPytestModeStateMachine(Workflow.TestCase):  # type: ignore[name-defined,misc]
    pass


def test_pytest_mode_checks_fail_in_process() -> None:
    """The checks are live in pytest mode: a built case against a broken app raises the kit's failure."""
    schema = conformance.load(app=broken_mock(), token=ALICE)
    case = schema["/group/apiKey"]["DELETE"].Case(
        query={"groupId": "no-such-group", "type": "x"}, headers={"Authorization": ALICE}
    )
    with pytest.raises(FailureGroup) as raised:
        case.call_and_validate(additional_checks=conformance.CHECKS)
    titles = [failure.title for failure in raised.value.exceptions]
    assert titles == ["Deleted API key is still present"]
    assert any(
        re.match(r"group \S+ 'gk-conform-\w+-sandbox-1'", entry) for entry in conformance.created(schema)
    )


def test_checks_stay_inert_for_other_schemas(live: str) -> None:
    """A schema the kit did not load gets none of its follow-up requests or marks."""
    plain = schemathesis.openapi.from_dict(conformance_contract(), config=schemathesis.Config())
    plain.config.update(base_url=live)
    case = plain["/group"]["POST"].Case(body={"name": "plain"}, headers={"Authorization": ALICE})
    response = case.call()
    assert response.json()["name"] == "plain"
    for check in conformance.CHECKS:
        assert check(None, response, case) is True  # skipped


def conformance_contract() -> dict[str, Any]:
    from groupkit import contract

    return contract.load()
