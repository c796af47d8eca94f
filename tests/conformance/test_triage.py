"""Flake triage (`--confirm N`). Over real HTTP: a defect that is always there is labelled deterministic and
fails the run, also when a check's run-once probe found it (each replay runs the probe again); one that shows
on every other answer is labelled flaky in the console, the Markdown report and the JUnit file, and does not
fail the run unless --fail-on-flaky; without --confirm nothing changes. And: a failure that cannot be
replayed keeps no label, and the words the reports use for each case."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis

from groupkit.conformance import triage
from groupkit.conformance.context import Settings
from groupkit.conformance.options import Options
from groupkit.conformance.report import labels
from groupkit.conformance.reproduction import Reproduction, shape
from groupkit.conformance.results import DETERMINISTIC, FLAKY, BaselineEntry, ExitCode, Finding, Result
from groupkit.conformance.runner import run
from tests.conformance.defects import invitees_hidden, roles_misnamed
from tests.conftest import TOKENS, free_port, serve

ALICE = TOKENS["alice"]
SCHEMA = "response_schema_conformance"


def options(url: str, include: str, **overrides: Any) -> Options:
    values: dict[str, Any] = {
        "base_url": url,
        "token": ALICE,
        "include": [include],
        "max_examples": 3,
        "seed": 1,
        "phases": ["examples", "fuzzing"],
    }
    return Options(**{**values, **overrides})


def finding(result: Result, check: str) -> Finding:
    return next(f for f in result.failures if f.check == check)


def headline(text: str, check: str) -> str:
    """The summary's line naming a failure of `check`: `1. OPERATION — check: title ...`."""
    return next(line for line in text.splitlines() if line[:1].isdigit() and f" — {check}: " in line)


def seen(finding: Finding) -> str:
    return f" (seen {finding.count} times)" if finding.count > 1 else ""


def flaky_run(**overrides: Any) -> tuple[Result, str]:
    """A run against a fresh server whose GET /group/roles breaks the contract on every other answer."""
    out = io.StringIO()
    with serve(roles_misnamed(flaky=True)) as url:
        result = run(options(url, "GET /group/roles", **overrides), out=out)
    return result, out.getvalue()


@pytest.mark.slow
def test_a_defect_that_is_always_there_is_deterministic(tmp_path: Path) -> None:
    out = io.StringIO()
    reports = {"report": tmp_path / "r.md", "junit_xml": tmp_path / "j.xml"}
    with serve(roles_misnamed(flaky=False)) as url:
        result = run(options(url, "GET /group/roles", confirm=2, **reports), out=out)
    text = out.getvalue()
    assert result.exit_code is ExitCode.VIOLATIONS, text
    always = finding(result, SCHEMA)
    assert (always.stability, always.reproduced, always.replays, always.blocking) == (
        DETERMINISTIC,
        2,
        2,
        True,
    )
    label = "[deterministic: failed again on 2 of 2 replays; fails the run]"
    assert headline(text, SCHEMA).endswith(f"Response violates schema{seen(always)} {label}")
    assert f"  GET /group/roles — {SCHEMA}: deterministic: failed again on 2 of 2 replays\n" in text
    assert (
        "**deterministic: failed again on 2 of 2 replays; fails the run**" in (tmp_path / "r.md").read_text()
    )
    suite = ET.parse(tmp_path / "j.xml").getroot().find("testsuite")
    assert suite is not None and (suite.get("failures"), suite.get("skipped")) == ("1", "0")
    [failure] = suite.iter("failure")
    assert failure.get("message") == f"{SCHEMA}: Response violates schema {label}"


@pytest.mark.slow
def test_a_defect_a_probe_found_is_replayed_with_the_probe(tmp_path: Path) -> None:
    """A check's probe runs once per run; each replay gets a fresh run context, so the probe runs again."""
    out = io.StringIO()
    with serve(invitees_hidden()) as url:
        result = run(options(url, "PUT /group/invite", phases=["examples"], confirm=2), out=out)
        listed = httpx.get(f"{url}/user/groups", params={"limit": 100}, headers={"Authorization": ALICE})
    text = out.getvalue()
    assert result.exit_code is ExitCode.VIOLATIONS, text
    invitee = finding(result, "invited_member_is_listed")
    assert (invitee.stability, invitee.reproduced, invitee.replays) == (DETERMINISTIC, 2, 2)
    names = [group["name"] for group in listed.json()["items"]]
    assert sorted(name for name in names if name.startswith(f"gk-conform-{result.run_id}-r")) == [
        f"gk-conform-{result.run_id}-r1-sandbox-1",
        f"gk-conform-{result.run_id}-r2-sandbox-1",
    ]
    assert any(f"gk-conform-{result.run_id}-r2-sandbox-1" in entry for entry in result.created)


@pytest.mark.slow
def test_a_defect_on_every_other_answer_is_flaky_and_does_not_fail_the_run(tmp_path: Path) -> None:
    result, text = flaky_run(confirm=2, report=tmp_path / "r.md", junit_xml=tmp_path / "j.xml")
    assert result.exit_code is ExitCode.OK, text
    flaky = finding(result, SCHEMA)
    assert (flaky.stability, flaky.reproduced, flaky.replays, flaky.blocking) == (FLAKY, 1, 2, False)
    assert all(f.stability == FLAKY for f in result.failures) and not result.blocking
    label = "[flaky: failed again on 1 of 2 replays; does not fail the run]"
    assert headline(text, SCHEMA).endswith(f"Response violates schema{seen(flaky)} {label}")
    assert "0 of them failing the run (1 flaky) → exit 0 (passed: the failures are 1 flaky)" in text
    report = (tmp_path / "r.md").read_text()
    assert report.startswith("# groupkit conform: ✅ passed: the failures are 1 flaky (exit 0)")
    assert "**flaky: failed again on 1 of 2 replays; does not fail the run**" in report
    assert f"`{SCHEMA}` (does not fail the run)" in report
    suite = ET.parse(tmp_path / "j.xml").getroot().find("testsuite")
    assert suite is not None and (suite.get("failures"), suite.get("skipped")) == ("0", "1")
    [skipped] = suite.iter("skipped")
    assert skipped.get("message") == f"{SCHEMA}: Response violates schema {label}"
    assert not list(suite.iter("failure"))


@pytest.mark.slow
def test_fail_on_flaky_lets_a_flaky_failure_fail_the_run() -> None:
    result, text = flaky_run(confirm=2, fail_on_flaky=True)
    assert result.exit_code is ExitCode.VIOLATIONS, text
    flaky = finding(result, SCHEMA)
    assert (flaky.stability, flaky.blocking) == (FLAKY, True)
    assert "[flaky: failed again on 1 of 2 replays; fails the run]" in text


@pytest.mark.slow
def test_without_confirm_every_failure_fails_the_run_unlabelled() -> None:
    result, text = flaky_run()
    assert result.exit_code is ExitCode.VIOLATIONS, text
    plain = finding(result, SCHEMA)
    assert (plain.stability, plain.replays, plain.blocking) == ("", 0, True)
    assert "replays" not in text and "[confirm" not in text
    assert headline(text, SCHEMA).endswith(f"Response violates schema{seen(plain)}")


@pytest.mark.parametrize("confirm", [-1, 101])
def test_confirm_out_of_range_exit_2(confirm: int) -> None:
    out = io.StringIO()
    result = run(Options(base_url="http://127.0.0.1:9", token=ALICE, confirm=confirm), out=out)
    assert result.exit_code is ExitCode.CANNOT_RUN
    assert "--confirm must be between 0 and 100" in out.getvalue()


ENTRY = BaselineEntry("c", "GET /group", "f" * 16, "TICKET-3", date(2026, 1, 31))


@pytest.mark.parametrize(
    "fields, said",
    [
        pytest.param({}, [], id="neither-asked-for"),
        pytest.param(
            {"stability": FLAKY, "reproduced": 0, "replays": 3, "blocking": False},
            ["flaky: failed again on 0 of 3 replays", "does not fail the run"],
            id="flaky",
        ),
        pytest.param(
            {"stability": DETERMINISTIC, "reproduced": 3, "replays": 3, "known": ENTRY, "blocking": False},
            [
                "deterministic: failed again on 3 of 3 replays",
                "known until 2026-01-31: TICKET-3",
                "does not fail the run",
            ],
            id="deterministic-known",
        ),
        pytest.param(
            {"known": ENTRY, "expired": True},
            ["its baseline entry expired on 2026-01-31 (TICKET-3)", "fails the run"],
            id="expired",
        ),
    ],
)
def test_what_the_reports_say_of_a_finding(fields: dict[str, Any], said: list[str]) -> None:
    assert labels(Finding("GET /group", "c", "t", "m", "curl", **fields)) == said


def test_a_failure_that_cannot_be_replayed_keeps_no_label() -> None:
    """The server is gone (nothing listens on the port): the replay raises, the finding stays unlabelled (so it
    fails the run) and the error is named; an after_run finding has no request to send at all."""
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/group/roles": {"get": {"responses": {"200": {"description": "roles"}}}}},
    }
    schema = schemathesis.openapi.from_dict(spec)
    schema.config.update(base_url=f"http://127.0.0.1:{free_port()}")
    case = schema["/group/roles"]["GET"].Case()
    gone = Finding("GET /group/roles", "not_a_server_error", "Server error", "500", "curl")
    after_run = Finding("run", "after_run", "Never reached", "m", "")
    found = [
        (gone, Reproduction("not_a_server_error", [case], [shape(case)])),
        (after_run, Reproduction("after_run")),
    ]
    replayed = triage.confirm(schema, Settings(token=ALICE), found, 2)
    assert (gone.stability, gone.replays, after_run.stability) == ("", 0, "")
    [error] = replayed.errors
    assert error.startswith(
        "--confirm: could not replay GET /group/roles not_a_server_error: ConnectionError"
    )
