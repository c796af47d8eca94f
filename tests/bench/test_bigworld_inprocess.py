"""bench/bigworld_inprocess.py on a small generated world: it loads the world, times both users' pages and
reports each figure."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))

import bigworld  # noqa: E402
import bigworld_inprocess  # noqa: E402


def test_it_reports_the_load_and_both_users_pages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "world.json"
    bigworld.write(path, 150, 300)
    bigworld_inprocess.main([str(path), "--pages", "3"])
    out = capsys.readouterr().out
    assert "groups 156," in out  # the default world's 6 and the 150 generated
    for line in ("read:", "build:", "load:", "alice: first page", "eva: first page"):
        assert line in out
