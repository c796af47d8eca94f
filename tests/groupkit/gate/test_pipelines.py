"""The pipelines people copy (docs/ci/) work as written: their `groupkit` commands are taken from the YAML,
the CI variables replaced by local values (a temporary git repository whose `origin/main` is the base), and
run; the JUnit file must parse and the summary must exist. A breaking change must fail the GitHub one."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from groupkit.cli import build_parser, main
from groupkit.contract import CONTRACT_PATH
from tests.conftest import ROOT
from tests.groupkit.gate.test_gate import annotations, table

GITHUB, GITLAB = ROOT / "docs" / "ci" / "github-actions.yml", ROOT / "docs" / "ci" / "gitlab-ci.yml"
CI_VARIABLES = ("github.base_ref", "GITHUB_STEP_SUMMARY", "CI_MERGE_REQUEST_DIFF_BASE_SHA")
GIT = ["git", "-c", "user.name=gate", "-c", "user.email=gate@example.invalid", "-c", "commit.gpgsign=false"]


def scripts(pipeline: Path) -> list[str]:
    """Every shell script of a pipeline: GitHub's `run` steps, GitLab's `script` lines."""
    document = yaml.safe_load(pipeline.read_text("utf-8"))
    if pipeline == GITHUB:
        return [step["run"] for job in document["jobs"].values() for step in job["steps"] if "run" in step]
    return [line for job in document.values() if isinstance(job, dict) for line in job.get("script", [])]


def commands(pipeline: Path) -> list[str]:
    """The `groupkit ...` commands of a pipeline, with backslash-continued lines joined."""
    found = []
    for script in scripts(pipeline):
        for line in script.replace("\\\n", " ").splitlines():
            if line.strip().startswith("groupkit "):
                found.append(line.strip())
    return found


def substitute(command: str, values: dict[str, str]) -> list[str]:
    """The command's words with `${{ context }}` (GitHub) and `$VARIABLE` replaced by `values`; a variable
    with no value here fails the test, so a new one in a pipeline cannot go unnoticed."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(3)
        assert name in values, f"{name} in {command!r} has no local value"
        return values[name]

    pattern = r"\$\{\{\s*([\w.]+)\s*\}\}|\$\{(\w+)\}|\$(\w+)"
    return shlex.split(re.sub(pattern, value, command))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A git repository holding this project's contract, its `origin/main` at the first commit, as the
    working directory (a CI job's checkout)."""
    folder = tmp_path / "repo"
    folder.mkdir()
    shutil.copyfile(CONTRACT_PATH, folder / "openapi.yaml")
    for argv in (["init", "-q", "-b", "main"], ["add", "openapi.yaml"], ["commit", "-q", "-m", "contract"]):
        subprocess.run([*GIT, *argv], cwd=folder, check=True, capture_output=True)
    subprocess.run([*GIT, "update-ref", "refs/remotes/origin/main", "HEAD"], cwd=folder, check=True)
    monkeypatch.chdir(folder)
    yield folder


def local_values(repo: Path, tmp_path: Path) -> dict[str, str]:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True)
    return {
        "github.base_ref": "main",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md"),
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": head.stdout.strip(),
    }


def test_each_pipeline_runs_one_gate_that_publishes_junit() -> None:
    for pipeline in (GITHUB, GITLAB):
        (command,) = commands(pipeline)
        words = substitute(command, dict.fromkeys(CI_VARIABLES, "x"))
        args = build_parser().parse_args(words[1:])  # every flag exists
        assert words[:2] == ["groupkit", "gate"] and args.base and args.junit_xml and args.report
    github = yaml.safe_load(GITHUB.read_text("utf-8"))
    steps = github["jobs"]["gate"]["steps"]
    checkout = next(step for step in steps if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    python = next(step for step in steps if step.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["python-version"] == "3.11"
    publish = next(step for step in steps if step.get("uses", "").startswith("mikepenz/action-junit-report@"))
    assert publish["with"]["report_paths"] == "reports/gate.xml" and publish["if"] == "always()"
    assert "--format githubactions" in commands(GITHUB)[0] and '"$GITHUB_STEP_SUMMARY"' in commands(GITHUB)[0]
    job = yaml.safe_load(GITLAB.read_text("utf-8"))["contract-gate"]
    assert job["artifacts"]["reports"]["junit"] == "reports/gate.xml" and job["artifacts"]["when"] == "always"
    assert job["variables"]["GIT_DEPTH"] == "0"


@pytest.mark.slow
@pytest.mark.parametrize("pipeline", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_the_pipeline_commands_pass_on_an_unchanged_contract(
    pipeline: Path, repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = local_values(repo, tmp_path)
    for command in commands(pipeline):
        words = substitute(command, values)
        code = main(words[1:])
        out = capsys.readouterr().out
        assert code == 0, out
        junit = Path(words[words.index("--junit-xml") + 1])
        root = ET.parse(junit).getroot()
        assert [suite.attrib["name"] for suite in root] == [
            f"groupkit gate: {step}" for step in ("lint", "diff", "self-conformance", "conformance")
        ]
        assert root.attrib["failures"] == "0" and root.attrib["errors"] == "0"
        summary = Path(words[words.index("--report") + 1])
        assert summary.read_text("utf-8").startswith("# groupkit gate: ✅ pass (exit 0)")
        assert all(kind != "error" for kind, _, _ in annotations(out))


@pytest.mark.slow
def test_a_breaking_change_fails_the_github_pipeline(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = yaml.safe_load((repo / "openapi.yaml").read_text("utf-8"))
    parameters = document["paths"]["/group/devices"]["get"].setdefault("parameters", [])
    parameters.append({"name": "site", "in": "query", "required": True, "schema": {"type": "string"}})
    (repo / "openapi.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    values = local_values(repo, tmp_path)
    (command,) = commands(GITHUB)
    code = main(substitute(command, values)[1:])
    out = capsys.readouterr().out
    assert code == 1, out
    summary = Path(values["GITHUB_STEP_SUMMARY"]).read_text("utf-8")
    assert table(summary)["diff"] == "❌ fail" and "`new-required-request-parameter`" in summary
    found = [a for a in annotations(out) if "new-required-request-parameter" in a[1].get("title", "")]
    assert found and found[0][0] == "error" and found[0][1]["file"] == "openapi.yaml", out
    assert "site" in found[0][2]
    assert (repo / "reports" / "gate.xml").is_file()
