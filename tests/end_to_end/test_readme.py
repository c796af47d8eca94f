"""The README stays true: its two opening commands are the ones CI runs, and its pytest example runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text("utf-8")
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README, flags=re.DOTALL)


def test_the_readme_opens_with_the_two_commands_and_ci_runs_the_second() -> None:
    first, second = BLOCKS[0], BLOCKS[1]
    assert first[0] == second[0] == "bash"
    assert first[1].strip().endswith("groupkit mock")
    assert "pytest" in second[1]
    assert second[1].strip() in (ROOT / ".ci" / "run").read_text("utf-8")
    before_first = README[: README.index("```")]
    assert before_first.count("\n") < 10  # the commands come first, after a one-paragraph pitch


@pytest.mark.slow
def test_the_pytest_example_runs(tmp_path: Path) -> None:
    (example,) = [code for lang, code in BLOCKS if lang == "python" and "conformance.load" in code]
    (tmp_path / "test_example.py").write_text(example)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_example.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert re.search(r"\b1[0-9] passed\b", done.stdout), done.stdout[-500:]
