"""Honest coverage (conformance/coverage.py): per operation the statuses seen and the checks that ran on a 2xx
answer; an operation whose success path was never reached is "not verified", which --require-coverage turns into
exit 1. The reports are tested on hand-made results; the runs against the mock and a variant are slow."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from groupkit.app import create_app
from groupkit.conformance.options import Options
from groupkit.conformance.report import Console, write_junit, write_markdown
from groupkit.conformance.results import ExitCode, OperationCoverage, Result
from groupkit.conformance.runner import run
from tests.conformance.sabotage import fields
from tests.conftest import TOKENS

ALICE, EVA = TOKENS["alice"], TOKENS["eva"]


def covered(require: bool = False) -> Result:
    """Two operations: one answered 200 with checks, one whose every request timed out."""
    ok = OperationCoverage("GET /group/roles", Counter({200: 3, 400: 1}), 0, {"response_schema_conformance"})
    timed_out = OperationCoverage("POST /group/apiKey", Counter(), 4)
    return Result(
        exit_code=ExitCode.VIOLATIONS if require else ExitCode.OK,
        cases=4,
        operations=["GET /group/roles", "POST /group/apiKey"],
        coverage={item.operation: item for item in (ok, timed_out)},
        require_coverage=require,
    )


def test_what_an_operation_saw() -> None:
    result = covered()
    ok, timed_out = result.coverage.values()
    assert ok.verified and ok.seen() == "200×3, 400×1" and ok.why_not_verified() == ""
    assert not timed_out.verified and timed_out.seen() == "no answer×4"
    assert timed_out.why_not_verified() == "none of its 4 request(s) got an answer"
    assert OperationCoverage("GET /group", Counter({404: 2})).why_not_verified() == (
        "no request of it was answered 2xx (seen: 404×2)"
    )
    assert [item.operation for item in result.not_verified] == ["POST /group/apiKey"]


def test_the_console_names_what_is_not_verified() -> None:
    out = io.StringIO()
    Console(out).summary(covered(), Options(base_url="http://127.0.0.1", token=ALICE))
    text = out.getvalue()
    assert "GET /group/roles       200×3, 400×1 · 1 checks ran on a 2xx answer" in text
    assert "POST /group/apiKey     NOT VERIFIED: none of its 4 request(s) got an answer" in text
    assert (
        "1 of 2 operations not verified (POST /group/apiKey): --require-coverage fails the run on it" in text
    )


@pytest.mark.parametrize("require, kind", [(False, "skipped"), (True, "failure")])
def test_junit_does_not_pass_an_operation_not_verified(require: bool, kind: str, tmp_path: Path) -> None:
    write_junit(tmp_path / "j.xml", covered(require))
    suite = ET.parse(tmp_path / "j.xml").getroot().find("testsuite")
    assert suite is not None
    [case] = [case for case in suite.iter("testcase") if case.get("name") == "POST /group/apiKey"]
    [verdict] = [child for child in case if child.tag in ("failure", "skipped", "error")]
    assert verdict.tag == kind and verdict.get("type") == "coverage"
    assert verdict.get("message") == "not verified: none of its 4 request(s) got an answer"
    [ok] = [case for case in suite.iter("testcase") if case.get("name") == "GET /group/roles"]
    assert not [child for child in ok if child.tag in ("failure", "skipped", "error")]
    assert "statuses seen: 200×3, 400×1" in (ok.findtext("system-out") or "")
    assert suite.get("failures" if require else "skipped") == "1"


def test_markdown_shows_statuses_and_checks(tmp_path: Path) -> None:
    write_markdown(tmp_path / "r.md", covered(), Options(base_url="http://127.0.0.1", token=ALICE))
    text = (tmp_path / "r.md").read_text()
    assert "| `GET /group/roles` | 0 | 200×3, 400×1 | `response_schema_conformance` | ✅ |" in text
    assert (
        "| `POST /group/apiKey` | 0 | no answer×4 | **not verified**: none of its 4 request(s) got an answer"
        in text
    )


def conform(app: Any, **overrides: Any) -> tuple[Result, str]:
    options: dict[str, Any] = {
        "base_url": "http://127.0.0.1",
        "token": ALICE,
        "other_token": EVA,
        "max_examples": 5,
        "seed": 1,
        "app": app,
        "require_coverage": True,
    }
    options.update(overrides)
    out = io.StringIO()
    return run(Options(**options), out=out), out.getvalue()


@pytest.mark.slow
def test_the_mock_verifies_all_13_operations() -> None:
    """Fixtures discovered from the server, links and earlier answers reach every success path."""
    result, text = conform(create_app(seed=3), max_examples=10, seed=3)
    assert result.exit_code is ExitCode.OK, text
    assert len(result.coverage) == 13 and not result.not_verified, text
    assert "all 13 operations verified" in text


@pytest.mark.slow
def test_an_operation_that_never_succeeds_is_not_verified(tmp_path: Path) -> None:
    include = ["GET /group/devices", "GET /group/roles"]
    lenient, text = conform(fields.devices_always_404(), include=include, require_coverage=False)
    assert lenient.exit_code is ExitCode.OK and not lenient.failures, text  # no other check can tell
    assert [item.operation for item in lenient.not_verified] == ["GET /group/devices"]

    junit = tmp_path / "reports" / "conform.xml"
    strict, text = conform(fields.devices_always_404(), include=include, junit_xml=junit)
    assert strict.exit_code is ExitCode.VIOLATIONS, text
    assert "GET /group/devices     NOT VERIFIED: no request of it was answered 2xx (seen: " in text
    assert "200×" not in strict.coverage["GET /group/devices"].seen()
    assert "→ exit 1 (1 operation(s) not verified (--require-coverage))" in text
    failure = ET.parse(junit).getroot().find("./testsuite/testcase[@name='GET /group/devices']/failure")
    assert failure is not None and failure.get("type") == "coverage"
