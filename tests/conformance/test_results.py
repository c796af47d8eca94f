"""The results model and the kit's import layering: `results.py` depends on nothing of the kit, the reports
read results and never the runner, the imports inside `conformance/` form no cycle, and declaring
`conform`'s flags does not import schemathesis."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from groupkit.conformance.results import ExitCode, Result
from tests.conftest import ROOT

KIT = ROOT / "conformance"


def kit_imports() -> dict[str, set[str]]:
    """Module name -> the kit's modules it imports anywhere (top level, functions, TYPE_CHECKING blocks)."""
    modules = {path.stem for path in KIT.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in sorted(KIT.glob("*.py")):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom):
                name = (
                    "groupkit.conformance." + node.module if node.level == 1 and node.module else node.module
                )
                if node.level == 1 and not node.module or name == "groupkit.conformance":
                    found |= {alias.name for alias in node.names if alias.name in modules}
                elif node.level <= 1 and name and name.startswith("groupkit.conformance."):
                    found.add(name.split(".")[2])
            elif isinstance(node, ast.Import):
                found |= {
                    a.name.split(".")[2] for a in node.names if a.name.startswith("groupkit.conformance.")
                }
        graph[path.stem] = found - {path.stem}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of imports (its modules, the first repeated at the end), or None."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        for imported in sorted(graph.get(module, ())):
            cycle = visit(imported, [*path, module])
            if cycle:
                return cycle
        done.add(module)
        return None

    return next((cycle for module in sorted(graph) if (cycle := visit(module, []))), None)


def test_the_results_and_reports_sit_below_the_runner() -> None:
    graph = kit_imports()
    assert graph["results"] == set()
    assert "runner" not in graph["report"] and "report" in graph["runner"]
    # the console's files and wording sit below the report, and never reach for the runner either
    assert graph["report"] >= {"report_files", "wording"}
    assert "runner" not in graph["report_files"] | graph["wording"]
    # options declares, configuration checks (reading the personas file): both below everything that runs a check
    assert graph["options"] == {"flags"} and graph["configuration"] == {"options", "personas"}
    assert graph["flags"] == graph["personas"] == set()
    assert graph["cli"] >= {"options", "runner"}  # the runner lazily, when `conform` runs


def test_no_import_cycle_inside_the_kit() -> None:
    graph = kit_imports()
    assert len(graph) > 15 and graph["runner"] > {"report", "results", "options"}  # the kit was read
    assert find_cycle(graph) is None
    graph["results"] = {"report"}  # planted: report -> results -> report
    cycle = find_cycle(graph)
    assert cycle is not None and cycle[0] == cycle[-1] and {"report", "results"} <= set(cycle)
    assert all(after in graph[before] for before, after in zip(cycle, cycle[1:], strict=False))  # a real path


@pytest.mark.slow
def test_declaring_the_flags_imports_no_schemathesis() -> None:
    code = (
        "import sys; from groupkit.cli import build_parser; build_parser(); "
        "import groupkit.conformance.results, groupkit.conformance.report; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'schemathesis'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


def test_exit_codes() -> None:
    assert [int(code) for code in ExitCode] == [0, 1, 2, 130]
    assert ExitCode.VIOLATIONS.meaning == "contract violations found"
    assert all(code.meaning and code.detail for code in ExitCode)
    assert Result(exit_code=2).exit_code is ExitCode.CANNOT_RUN  # a plain int becomes its ExitCode
