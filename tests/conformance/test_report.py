"""The reports of a run without running one: the JUnit file stays valid XML whatever a finding holds, keeps one
test case per operation, and the replay command narrows to a finding's operation when it can."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from groupkit.conformance.options import Options
from groupkit.conformance.report import replay_command, write_junit, xml_text
from groupkit.conformance.results import ExitCode, Finding, Result

# What XML 1.0 cannot hold at all (NUL, backspace, vertical tab, escape, a lone surrogate) ...
FORBIDDEN = "\x00 \x08 \x0b \x1b \ud800"
# ... and what it can, once escaped: CDATA's end, markup, quotes, non-Latin text, tab and newline.
ALLOWED = "]]> &<>\"' 東京倉庫 İstanbul Łódź Ελληνικά עברית 🚚🧊\ttab\nnext line"
HOSTILE = FORBIDDEN + " | " + ALLOWED


def hostile_result() -> Result:
    finding = Finding(
        operation="GET /group " + HOSTILE,
        check="check_" + HOSTILE,
        title="title " + HOSTILE,
        message="message " + HOSTILE,
        curl="curl -d '" + HOSTILE + "'",
        phase="fuzzing",
    )
    return Result(
        exit_code=ExitCode.VIOLATIONS,
        failures=[finding],
        cases=3,
        seed=9,
        operations=["GET /group " + HOSTILE, "GET /group/roles"],
        errors=["error " + HOSTILE],
    )


def test_junit_is_valid_xml_whatever_the_findings_hold(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    write_junit(path, hostile_result())
    path.read_bytes().decode("utf-8")  # a lone surrogate would have made the bytes invalid UTF-8
    suite = ET.parse(path).getroot().find("testsuite")  # expat rejects any character XML forbids
    assert suite is not None
    escaped = xml_text(HOSTILE)
    assert escaped == "\\x00 \\x08 \\x0b \\x1b \\ud800 | " + ALLOWED
    [case] = [case for case in suite.iter("testcase") if case.get("name") == "GET /group " + escaped]
    [failure] = case.findall("failure")
    assert failure.get("type") == "check_" + escaped
    assert failure.get("message") == f"check_{escaped}: title {escaped}"
    assert failure.text == f"message {escaped}\n\ncurl -d '{escaped}'"
    [error] = suite.findall("./testcase[@name='run']/error")
    assert error.text == "error " + escaped


@pytest.mark.parametrize(
    "text, kept",
    [
        pytest.param("\t\n", "\t\n", id="tab-newline"),
        pytest.param("\x7f\x85\u200b\ufeff", "\x7f\x85\u200b\ufeff", id="legal-controls"),
        pytest.param("\U0001f69a\U0010ffff", "\U0001f69a\U0010ffff", id="astral"),
        pytest.param("\x01\x1f\udfff\ufffe\uffff", "\\x01\\x1f\\udfff\\ufffe\\uffff", id="forbidden"),
    ],
)
def test_xml_text_escapes_only_what_xml_forbids(text: str, kept: str) -> None:
    assert xml_text(text) == kept


def test_junit_has_one_case_per_operation_and_a_failure_per_finding(tmp_path: Path) -> None:
    findings = [
        Finding("GET /group", "not_a_server_error", "Server error", "500", "curl a"),
        Finding("GET /group", "status_code_conformance", "Undocumented status", "201", "curl b"),
        Finding("PUT /group", "update_is_persisted", "Update not persisted", "old name", "curl c"),
    ]
    result = Result(
        exit_code=ExitCode.VIOLATIONS,
        failures=findings,
        cases=12,
        seed=4,
        operations=["GET /group", "PUT /group", "GET /group/roles"],
        elapsed=1.5,
    )
    write_junit(tmp_path / "j.xml", result)
    root = ET.parse(tmp_path / "j.xml").getroot()
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    names = [case.get("name") for case in suite.iter("testcase")]
    assert names == ["GET /group", "PUT /group", "GET /group/roles", "run"]
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "2", "0")
    assert {p.get("name"): p.get("value") for p in suite.iter("property")} == {"seed": "4", "cases": "12"}
    types = [f.get("type") for f in suite.findall("./testcase[@name='GET /group']/failure")]
    assert types == ["not_a_server_error", "status_code_conformance"]
    assert not suite.findall("./testcase[@name='GET /group/roles']/*")


def test_junit_run_case_carries_the_errors(tmp_path: Path) -> None:
    result = Result(exit_code=ExitCode.CANNOT_RUN, errors=["bad options: x", "more"])
    write_junit(tmp_path / "j.xml", result)
    suite = ET.parse(tmp_path / "j.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("errors") == "1"
    [error] = suite.findall("./testcase[@name='run']/error")
    assert error.get("message") == "could not run" and error.text == "bad options: x\nmore"


OPTIONS = Options(
    base_url="http://127.0.0.1:9",
    token="secret-alice",
    other_token="secret-eva",
    include=["GET /group", "listRoles"],
    exclude=["PUT /group"],
    max_examples=5,
)


@pytest.mark.parametrize(
    "finding, expected",
    [
        pytest.param(None, "--include 'GET /group' --include listRoles --exclude 'PUT /group'", id="run"),
        pytest.param(
            Finding("GET /group/users", "c", "t", "m", "", phase="fuzzing"),
            "--include 'GET /group/users' --max-examples",
            id="narrowed",
        ),
        pytest.param(
            Finding("GET /group/users", "c", "t", "m", "", phase="stateful"),
            "--include 'GET /group' --include listRoles --exclude 'PUT /group'",
            id="stateful-not-narrowed",
        ),
        pytest.param(
            Finding("run", "after_run", "t", "m", "", phase="fuzzing"),
            "--include 'GET /group' --include listRoles --exclude 'PUT /group'",
            id="not-an-operation",
        ),
    ],
)
def test_replay_command(finding: Finding | None, expected: str) -> None:
    command = replay_command(OPTIONS, 77, finding)
    assert command.startswith('groupkit conform --base-url http://127.0.0.1:9 --token "$GROUPKIT_TOKEN" ')
    assert '--other-token "$GROUPKIT_OTHER_TOKEN"' in command
    assert expected in command and command.endswith("--max-examples 5 --seed 77")
    assert "secret" not in command
