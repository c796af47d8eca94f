"""The typed client a frontend team writes: TypeScript types generated from openapi.yaml by openapi-typescript,
a small openapi-fetch client type-checked in strict mode, then run under Node through a realistic flow (sign
in, page the groups, create one, read it back) against a real mock on loopback.

The npm packages (pinned in typed_client/package.json) are installed with npm into a cache folder named by
that file's hash, so a second run installs nothing. Without Node.js and npm the test fails (never skips)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from groupkit.app import create_app
from tests.conftest import ROOT, serve
from tests.end_to_end import node_tools

pytestmark = pytest.mark.slow  # npm install (first run), tsc and node: ~10 s

HERE = Path(__file__).resolve().parent / "typed_client"


def project(tmp_path: Path) -> Path:
    """A copy of typed_client/ whose node_modules is the cached install of its package.json."""
    installed = node_tools.installed("typed-client", (HERE / "package.json").read_bytes(), "tsc")
    work = tmp_path / "typed_client"
    shutil.copytree(HERE, work, ignore=shutil.ignore_patterns("node_modules", "dist", "api.d.ts"))
    (work / "node_modules").symlink_to(installed / "node_modules")
    return work


def run(work: Path, *command: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_generated_types_check_strictly_and_the_client_runs_a_frontend_flow(tmp_path: Path) -> None:
    work = project(tmp_path)
    bin_ = work / "node_modules" / ".bin"
    generated = run(work, str(bin_ / "openapi-typescript"), str(ROOT / "openapi.yaml"), "-o", "src/api.d.ts")
    assert "warn" not in (generated.stdout + generated.stderr).lower(), generated.stderr
    types = (work / "src" / "api.d.ts").read_text("utf-8")
    # The contract's lists as a client wants them: `items` always there, `nextToken` a plain optional string,
    # the type of the query parameter it goes back as.
    assert 'items: components["schemas"]["Group"][];' in types
    assert "nextToken?: string;" in types and "string | null" not in types
    run(work, str(bin_ / "tsc"), "--strict", "--noEmit", "-p", ".")
    run(work, str(bin_ / "tsc"), "-p", ".")
    with serve(create_app(seed=11)) as url:
        flow = run(work, "node", "dist/flow.js", url)
    assert '"roles":4' in flow.stdout and '"created":' in flow.stdout, flow.stdout
