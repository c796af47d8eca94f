"""`response_fields_are_documented` (conformance/field_drift.py): a near miss of a documented property fails, another
undocumented property is a warning (a failure with --strict-fields), and documented properties never returned are
listed. Each variant is first shown broken with plain requests, and the healthy mock shows none of it."""

from __future__ import annotations

import io
from typing import Any

import pytest
from starlette.testclient import TestClient

from groupkit.app import MockApp, create_app
from groupkit.conformance.options import Options
from groupkit.conformance.results import ExitCode, Result
from groupkit.conformance.runner import run
from tests.conformance.sabotage import fields
from tests.conformance.sabotage.seams import ACME, ALICE
from tests.conftest import serve

CHECK = "response_fields_are_documented"


def conform(app: MockApp | None, **overrides: Any) -> tuple[Result, str]:
    """A small in-process run of the operations that answer Groups."""
    options: dict[str, Any] = {
        "base_url": "http://127.0.0.1",
        "token": ALICE,
        "include": ["GET /group"],
        "max_examples": 3,
        "seed": 1,
        "phases": ["examples"],
        "app": app,
    }
    options.update(overrides)
    out = io.StringIO()
    return run(Options(**options), out=out), out.getvalue()


def acme(app: MockApp) -> dict[str, Any]:
    """ACME as GET /group answers it, through plain requests."""
    with TestClient(app, base_url="http://127.0.0.1") as http:
        response = http.get("/group", params={"groupId": ACME}, headers={"Authorization": ALICE})
    assert response.status_code == 200
    group: dict[str, Any] = response.json()[0]
    return group


@pytest.mark.slow
def test_the_variants_are_really_broken() -> None:
    healthy = acme(create_app(seed=7))
    assert "ownerId" in healthy and "owner_id" not in healthy and "extra" not in healthy
    renamed = acme(fields.owner_id_renamed())
    assert "owner_id" in renamed and "ownerId" not in renamed
    assert "extra" in acme(fields.extra_property())


@pytest.mark.slow
def test_a_near_miss_fails_the_run() -> None:
    result, text = conform(fields.owner_id_renamed())
    assert result.exit_code is ExitCode.VIOLATIONS, text
    finding = next(finding for finding in result.failures if finding.check == CHECK)
    assert finding.title == "Response property is a near miss of a documented one"
    assert "'owner_id', a near miss of 'ownerId'" in finding.message
    # nothing else sees it: the body still matches the schema
    assert {finding.check for finding in result.failures} == {CHECK}
    # and ownerId, never returned, is listed as such
    assert any("never returned" in warning and "ownerId" in warning for warning in result.warnings), (
        result.warnings
    )


@pytest.mark.slow
def test_an_undocumented_property_is_a_warning_unless_strict() -> None:
    result, text = conform(fields.extra_property())
    assert result.exit_code is ExitCode.OK, text
    assert any("undocumented property 'extra'" in warning for warning in result.warnings), result.warnings
    assert "Warnings (they do not fail the run):" in text

    strict, text = conform(fields.extra_property(), strict_fields=True)
    assert strict.exit_code is ExitCode.VIOLATIONS, text
    found = [finding for finding in strict.failures if finding.check == CHECK]
    assert found and all(finding.title == "Response property is not documented" for finding in found)
    assert all("undocumented property 'extra'" in finding.message for finding in found)


@pytest.mark.slow
def test_the_healthy_mock_has_no_drift_even_strict() -> None:
    result, text = conform(create_app(seed=7), strict_fields=True)
    assert result.exit_code is ExitCode.OK, text
    assert not any("undocumented" in warning for warning in result.warnings), result.warnings


@pytest.mark.slow
def test_near_miss_over_the_wire() -> None:
    """The same failure against a real server, through the command's network transport."""
    with serve(fields.owner_id_renamed()) as url:
        result, text = conform(None, base_url=url, include=["GET /user/groups"])
    assert result.exit_code is ExitCode.VIOLATIONS, text
    assert CHECK in {finding.check for finding in result.failures}
