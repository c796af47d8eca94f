"""The stock schemathesis CLI, every check and every phase, against the mock served by uvicorn on loopback:
zero failures. The same command against a mock with one planted defect fails, so the run can bite."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from groupkit.app import create_app
from tests.conftest import ROOT, serve

BUDGET = ["--max-examples", "15", "--seed", "20261125"]


def stock_run(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        str(ROOT / "openapi.yaml"),
        "--url",
        url,
        "-H",
        "Authorization: demo-token-alice",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        *BUDGET,
        *extra,
    ]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_the_mock_passes_every_stock_check_in_every_phase() -> None:
    with serve(create_app(seed=3)) as url:  # response validation on: the mock may not break its contract
        done = stock_run(url)
    assert done.returncode == 0, done.stdout[-4000:]
    assert "Selected: 13/13" in done.stdout and "Tested: 13" in done.stdout
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in done.stdout, done.stdout[-3000:]


@pytest.mark.slow
def test_the_stock_run_catches_a_planted_defect() -> None:
    from groupkit.handlers import OPERATIONS

    list_roles = OPERATIONS["listRoles"]

    async def roles_without_permissions(
        store: Any, user: str, limit: int = 20, next_token: str | None = None
    ) -> Any:
        page = await list_roles(store, user, limit, next_token)
        return {**page, "items": [{k: v for k, v in r.items() if k != "permissions"} for r in page["items"]]}

    operations = {**OPERATIONS, "listRoles": roles_without_permissions}
    app = create_app(seed=3, validate_responses=False, operations=operations)
    with serve(app) as url:
        done = stock_run(url, "--include-name", "GET /group/roles", "--phases", "examples,fuzzing")
    assert done.returncode == 1, done.stdout[-3000:]
    assert "Response violates schema" in done.stdout


@pytest.mark.slow
def test_the_stock_run_does_not_suggest_the_production_path() -> None:
    """The contract lists the local mock first. With production (`.../v1`) first, an operation that answers only
    404 (here a server whose GET /group/devices never succeeds) made schemathesis warn "Base URL may be missing a
    path" and suggest `--url .../v1`, which breaks every request against the mock."""
    from tests.conformance.sabotage.fields import devices_always_404

    with serve(devices_always_404()) as url:
        done = stock_run(
            url, "--include-name", "GET /group/devices", "--phases", "examples", "--max-examples", "1"
        )
    assert "missing a path" not in done.stdout + done.stderr, done.stdout[-3000:]
    assert "/v1" not in done.stdout + done.stderr
