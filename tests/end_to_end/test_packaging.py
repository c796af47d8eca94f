"""groupkit imports under one name everywhere: from a plain checkout (no install), an editable install and a
wheel. The contract and the fixture worlds ship as package data; the top-level `handlers/`, `fixtures/` and
`conformance/` are `groupkit.*` through links inside `groupkit/`."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

PROBE = """
import groupkit, pathlib, sys
from groupkit import contract, world
from groupkit.app import create_app
from groupkit.handlers import OPERATIONS
site = pathlib.Path(sys.argv[1]).resolve()
assert pathlib.Path(groupkit.__file__).resolve().is_relative_to(site), groupkit.__file__
assert contract.CONTRACT_PATH.resolve().is_relative_to(site), contract.CONTRACT_PATH
assert contract.lint(contract.CONTRACT_PATH) == []
assert len(world.load("default")["devices"]) == 48 and world.load("empty")["users"] == []
app = create_app()
assert len(app.store.demo_users()) == 6 and len(OPERATIONS) == 13
import groupkit.conformance
from groupkit import diff, gate, lint
assert diff.compare is not None and len(lint.RULES) > 10 and gate.run is not None
print("ok")
"""


@pytest.mark.slow
def test_the_wheel_ships_the_contract_and_fixtures_and_runs(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("groupkit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "groupkit/openapi.yaml",
        "groupkit/fixtures/default.json",
        "groupkit/handlers/__init__.py",
    } <= names
    assert not any(name.startswith(("handlers/", "fixtures/", "conformance/", "tests/")) for name in names)

    site = tmp_path / "site"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    env = {**os.environ, "PYTHONPATH": str(site)}
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, str(site)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0 and probe.stdout.strip() == "ok", probe.stderr[-3000:]
    lint = subprocess.run(
        [sys.executable, "-m", "groupkit.cli", "lint"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert lint.returncode == 0 and str(site) in lint.stdout, lint.stdout + lint.stderr


PLAIN_CHECKOUT_PROBE = """
import pathlib, sys
root = pathlib.Path(sys.argv[1]).resolve()
sys.path[:0] = [str(root), *sys.argv[2:]]  # the checkout first; site-packages without its .pth finders
import groupkit, groupkit.app, groupkit.handlers, groupkit.fixtures, groupkit.conformance.runner
for module in (groupkit, groupkit.handlers, groupkit.fixtures, groupkit.conformance.runner):
    assert pathlib.Path(module.__file__).parent.is_relative_to(root), module.__file__
assert "__editable___groupkit_0_1_0_finder" not in sys.modules
from groupkit.handlers import OPERATIONS
assert len(OPERATIONS) == 13 and len(groupkit.app.create_app().store.demo_users()) == 6
print("ok")
"""


@pytest.mark.slow
def test_a_plain_checkout_imports_every_sub_package_as_groupkit(tmp_path: Path) -> None:
    """`-S` skips site-packages' `.pth` files, so the editable install's finder cannot be what finds groupkit."""
    probe = subprocess.run(
        [sys.executable, "-S", "-c", PLAIN_CHECKOUT_PROBE, str(ROOT), *site.getsitepackages()],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0 and probe.stdout.strip() == "ok", probe.stderr[-3000:]
