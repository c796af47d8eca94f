"""`groupkit gate`, run for real through `groupkit.cli.main`: its steps and their verdicts, the exit codes,
the Markdown summary, the JUnit file (read back by an XML parser) and the GitHub annotations (by their
grammar). Nothing is mocked: the contracts are edited copies of this project's."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from groupkit.cli import build_parser, main
from groupkit.conformance import flags
from groupkit.contract import CONTRACT_PATH
from groupkit.gate.options import GateOptions, live_options
from groupkit.gate.report import _embedded
from tests.conftest import free_port, serve
from tests.groupkit.test_formats import ANNOTATION, unescape_data, unescape_property

# The smallest self-conformance run: one example per operation (about 2 s instead of about 10).
QUICK = ["--self-phases", "examples", "--self-max-examples", "1"]
STEPS = ["lint", "diff", "self-conformance", "conformance"]


def contract() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(CONTRACT_PATH.read_text("utf-8")))


def write(folder: Path, name: str, document: dict[str, Any]) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def breaking(folder: Path) -> Path:
    """The contract with a new required property in the body of POST /group and PUT /group (`GroupInput`),
    its example updated so that only the diff has something to say."""
    document = contract()
    schema = document["components"]["schemas"]["GroupInput"]
    schema["properties"]["region"] = {"type": "string"}
    schema["required"] = ["region"]
    schema["example"]["region"] = "eu-west"
    return write(folder, "breaking.yaml", document)


def annotations(stdout: str) -> list[tuple[str, dict[str, str], str]]:
    """The workflow commands in `stdout` (lines starting `::`), each parsed by GitHub's grammar: (kind,
    properties, message)."""
    parsed = []
    for line in stdout.splitlines():
        if not line.startswith("::"):
            continue
        match = ANNOTATION.match(line)
        assert match, line
        properties = dict(item.split("=", 1) for item in (match["properties"] or "").split(",") if item)
        parsed.append(
            (
                match["kind"],
                {key: unescape_property(value) for key, value in properties.items()},
                unescape_data(match["data"]),
            )
        )
    return parsed


def suites(junit: Path) -> dict[str, ET.Element]:
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    return {suite.attrib["name"].removeprefix("groupkit gate: "): suite for suite in root.iter("testsuite")}


def table(summary: str) -> dict[str, str]:
    """The summary's step table: each step's first word -> its verdict cell."""
    rows = [line.split(" | ") for line in summary.splitlines() if line.startswith("| ") and "---" not in line]
    return {cells[0].strip("| ").split(":")[0].split(" ")[0]: cells[1] for cells in rows[1:]}


def gate(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str]:
    code = main(["gate", *map(str, argv)])
    return code, capsys.readouterr().out


@pytest.mark.slow
def test_a_breaking_change_fails_the_gate_and_says_which_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = breaking(tmp_path)
    report, junit = tmp_path / "reports" / "deep" / "gate.md", tmp_path / "reports" / "gate.xml"
    code, out = gate(
        capsys, head, "--base", CONTRACT_PATH, "--report", report, "--junit-xml", junit, "--format",
        "githubactions", *QUICK,
    )  # fmt: skip
    assert code == 1, out
    summary = report.read_text("utf-8")  # its folders were created
    assert summary.startswith("# groupkit gate: ❌ fail (exit 1)")
    verdicts = table(summary)
    assert verdicts["diff"] == "❌ fail" and verdicts["lint"] == "✅ pass", summary
    assert verdicts["conformance"] == "⏭️ skipped"
    assert "`new-required-request-property`" in summary
    errors = [a for a in annotations(out) if a[0] == "error"]
    rules = {properties["title"] for _, properties, _ in errors}
    assert "groupkit diff: new-required-request-property (ERR)" in rules, out
    found = next(a for a in errors if "new-required-request-property" in a[1]["title"])
    assert found[1]["file"] == str(head) and int(found[1]["line"]) > 0 and "region" in found[2]
    by_step = suites(junit)
    assert list(by_step) == STEPS
    failures = by_step["diff"].findall("testcase/failure")
    assert failures and all(f.attrib["type"] == "ERR" for f in failures)
    assert any(
        c.attrib["name"].startswith("new-required-request-property")
        for c in by_step["diff"].findall("testcase")
    )
    assert by_step["conformance"].attrib["skipped"] == "1"
    assert out.rstrip().endswith("groupkit gate: fail (exit 1)")


@pytest.mark.slow
def test_an_exemption_lets_the_same_change_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = breaking(tmp_path)
    exemptions = tmp_path / "exemptions.yaml"
    exemptions.write_text(
        "exemptions:\n"
        "  - rule: new-required-request-property\n"
        "    path: /group\n"
        "    reason: every client sends a region already (TICKET-7)\n"
        "    until: 2099-12-31\n"
    )
    report = tmp_path / "gate.md"
    code, out = gate(
        capsys, head, "--base", CONTRACT_PATH, "--exemptions", exemptions, "--report", report, *QUICK
    )
    assert code == 0, out
    summary = report.read_text("utf-8")
    assert table(summary)["diff"] == "✅ pass" and "exempted" in summary
    assert "TICKET-7" in summary


@pytest.mark.slow
def test_a_clean_change_passes_every_step_and_skips_what_was_not_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit, report = tmp_path / "gate.xml", tmp_path / "gate.md"
    code, out = gate(
        capsys, CONTRACT_PATH, "--base", CONTRACT_PATH, "--junit-xml", junit, "--report", report, *QUICK
    )
    assert code == 0, out
    verdicts = table(report.read_text("utf-8"))
    assert [verdicts[step] for step in STEPS] == ["✅ pass"] * 3 + ["⏭️ skipped"]
    by_step = suites(junit)
    operations = [case.attrib["name"] for case in by_step["self-conformance"].findall("testcase")]
    assert "POST /group" in operations and len(operations) == 14  # 13 operations and the run
    assert not by_step["self-conformance"].findall(".//failure")


@pytest.mark.slow
def test_a_change_the_diff_allows_but_the_mock_breaks_fails_self_conformance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = contract()  # narrowing a response breaks no client, but the mock holds longer group names
    document["components"]["schemas"]["Group"]["properties"]["name"]["maxLength"] = 14
    report = tmp_path / "gate.md"
    code, out = gate(
        capsys, write(tmp_path, "head.yaml", document), "--base", CONTRACT_PATH, "--report", report, *QUICK
    )
    assert code == 1, out
    summary = report.read_text("utf-8")
    verdicts = table(summary)
    assert verdicts["lint"] == verdicts["diff"] == "✅ pass" and verdicts["self-conformance"] == "❌ fail"
    assert "`not_a_server_error`" in summary
    assert (
        "Replay this run: groupkit gate " in out
        and "groupkit conform --base-url http://127.0.0.1 " not in out
    )


def test_without_a_base_the_diff_is_skipped_not_passed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = contract()
    head["paths"]["/group"]["get"]["operationId"] = "fetchGroup"  # no handler has this name
    code, out = gate(capsys, write(tmp_path, "head.yaml", head), "--report", tmp_path / "gate.md")
    verdicts = table((tmp_path / "gate.md").read_text("utf-8"))
    assert verdicts["diff"] == "⏭️ skipped" and "no --base" in out
    assert code == 1 and verdicts["self-conformance"] == "❌ fail"


@pytest.mark.parametrize(
    "edit, reason",
    [
        pytest.param(
            lambda d: d["paths"].update(
                {
                    "/group/extra": {
                        "get": {"operationId": "getExtra", "responses": {"200": {"description": "ok"}}}
                    }
                }
            ),
            "no handler implements operationId 'getExtra'",
            id="operation-without-handler",
        ),
        pytest.param(
            lambda d: d["components"]["schemas"]["Error"]["properties"]["code"].pop("x-status-of-code"),
            "the mock cannot serve HEAD: ValueError",
            id="create-app-refuses",
        ),
    ],
)
def test_a_contract_the_mock_refuses_fails_the_self_conformance_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Any, reason: str
) -> None:
    document = contract()
    edit(document)
    junit = tmp_path / "gate.xml"
    code, out = gate(capsys, write(tmp_path, "head.yaml", document), "--junit-xml", junit)
    assert code == 1, out
    assert reason in out
    (case,) = suites(junit)["self-conformance"].findall("testcase")
    failure = case.find("failure")
    assert failure is not None and reason in failure.attrib["message"]


def test_a_failure_outweighs_a_step_that_could_not_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = contract()
    head["paths"]["/group"]["get"]["operationId"] = "fetchGroup"
    code, out = gate(capsys, write(tmp_path, "head.yaml", head), "--base", "no-such-revision:openapi.yaml")
    assert code == 1
    assert "diff              could not run" in out and "no-such-revision" in out


def test_an_unreadable_head_could_not_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junit = tmp_path / "gate.xml"
    code, out = gate(capsys, tmp_path / "missing.yaml", "--base", CONTRACT_PATH, "--junit-xml", junit)
    assert code == 2
    assert "cannot read HEAD" in out
    by_step = suites(junit)
    assert by_step["lint"].find("testcase/error") is not None
    assert all(by_step[step].find("testcase/skipped") is not None for step in STEPS[1:])


def test_a_head_that_is_not_yaml_fails_lint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = tmp_path / "head.yaml"
    head.write_text("openapi: 3.0.3\npaths: {\n")
    code, out = gate(capsys, head, "--base", CONTRACT_PATH)
    assert code == 1
    assert "[ERR parser]" in out and "  diff              skipped" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--baseline", "known.yaml"], "--baseline apply to the live server's run: give --base-url too"),
        (
            ["--confirm", "3", "--max-examples", "5"],
            "--max-examples, --confirm apply to the live server's run",
        ),
        (["--exemptions", "x.yaml"], "--exemptions applies to the diff: give --base too"),
        (["--self-max-examples", "0"], "--self-max-examples must be at least 1"),
        (["--self-phases", "examples,typo"], "unknown phase(s) typo"),
        (["--base-url", "http://127.0.0.1:9"], "a token is required"),
        (["--base-url", "ftp://127.0.0.1", "--token", "t"], "--base-url must be an http(s) URL"),
    ],
)
def test_bad_options_could_not_run_and_say_why(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.delenv("GROUPKIT_TOKEN", raising=False)
    report = tmp_path / "out" / "gate.md"
    code, out = gate(capsys, *argv, "--report", report)
    assert code == 2
    assert message in out
    summary = report.read_text("utf-8")
    assert summary.startswith("# groupkit gate: ⚠️ could not run (exit 2)") and message in summary


def test_a_typo_in_the_rule_levels_could_not_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.groupkit.lint]\noas3-unused-componant = "off"\n')
    monkeypatch.chdir(tmp_path)
    code, out = gate(capsys, CONTRACT_PATH, "--junit-xml", tmp_path / "gate.xml")
    assert code == 2
    assert "no rule is named 'oas3-unused-componant'" in out
    (suite,) = ET.parse(tmp_path / "gate.xml").getroot()
    assert suite.find("testcase/error") is not None


@pytest.mark.parametrize("argv", [["--fail-on", "INFO"], ["--format", "json"], ["--self-max-examples", "x"]])
def test_malformed_flags_are_refused_by_the_parser(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["gate", *argv])
    assert exit_info.value.code == 2
    assert argv[0] in capsys.readouterr().err


def test_the_live_run_gets_conform_options_and_tokens_from_the_same_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GROUPKIT_TOKEN", "from-env")
    monkeypatch.setenv("GROUPKIT_OTHER_TOKEN", "other-from-env")
    argv = "gate head.yaml --base-url http://127.0.0.1:8000 --baseline known.yaml --confirm 3 --seed 9"
    args = build_parser().parse_args([*argv.split(), "--max-examples", "7", "--wait-for-server", "30"])
    options = flags.from_namespace(GateOptions, args, contract=args.contract)
    kit = live_options(options, Path(options.contract))
    assert (kit.base_url, kit.token, kit.other_token) == (
        "http://127.0.0.1:8000",
        "from-env",
        "other-from-env",
    )
    assert (kit.baseline, kit.confirm, kit.seed, kit.max_examples) == (Path("known.yaml"), 3, 9, 7)
    assert (kit.wait_for_server, kit.contract) == (30.0, Path("head.yaml"))


def test_embedded_reports_lose_their_title_and_step_their_headings_down() -> None:
    text = "# conform: ok\n\n- Replay: `groupkit conform`\n## Failures\n```bash\n# a comment\n```\n## Created or changed by this run\n- group x\n## Notes\n- n\n"
    lines = _embedded(text, "## Created or changed by this run", "groupkit gate --seed 1")
    assert lines == [
        "- Replay: `groupkit gate --seed 1`",
        "### Failures",
        "```bash",
        "# a comment",
        "```",
        "### Notes",
        "- n",
    ]


@pytest.mark.slow
def test_an_unreachable_server_could_not_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    junit = tmp_path / "gate.xml"
    code, out = gate(capsys, "--base-url", url, "--token", "demo-token-alice", "--junit-xml", junit, *QUICK)
    assert code == 2, out
    assert f"cannot reach {url}" in out
    assert suites(junit)["conformance"].find("testcase/error") is not None


@pytest.mark.slow
def test_a_live_server_that_conforms_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from groupkit.app import create_app

    report, junit = tmp_path / "gate.md", tmp_path / "gate.xml"
    with serve(create_app(seed=5)) as url:
        code, out = gate(
            capsys, "--base-url", url, "--token", "demo-token-alice", "--other-token", "demo-token-eva",
            "--max-examples", "2", "--seed", "5", "--report", report, "--junit-xml", junit, *QUICK,
        )  # fmt: skip
    assert code == 0, out
    verdicts = table(report.read_text("utf-8"))
    assert verdicts["conformance"] == "✅ pass" and verdicts["diff"] == "⏭️ skipped"
    cases = [case.attrib["name"] for case in suites(junit)["conformance"].findall("testcase")]
    assert "GET /group/devices" in cases and len(cases) == 14
