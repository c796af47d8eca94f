"""`groupkit diff` end to end: BASE and HEAD as files, git revisions and loopback URLs; exemptions (live,
expired, unused); per-rule levels from pyproject.toml; `--fail-on`; stable fingerprints; exit codes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import http.server
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from groupkit import diff
from groupkit.cli import main
from groupkit.config import ConfigError
from groupkit.diff import RULES
from groupkit.documents import Document, SourceError, read
from groupkit.findings import Level, failing, fingerprint
from tests.conftest import ROOT

CONTRACT = ROOT / "openapi.yaml"
TEXT = CONTRACT.read_text("utf-8")
TODAY = dt.date(2026, 11, 25)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, "utf-8")
    return path


def _dump(data: Any, sort_keys: bool = False) -> str:
    return yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=sort_keys)


def _without_limit(text: str) -> str:
    """The contract with GET /group/devices' `limit` parameter removed (request-parameter-removed, WARN)."""
    document = yaml.load(text, Loader=yaml.CSafeLoader)
    document["paths"]["/group/devices"]["get"]["parameters"].pop(1)
    return _dump(document, sort_keys=False)


def _without_roles(text: str) -> str:
    """The contract without GET /group/roles (api-path-removed-without-deprecation, ERR)."""
    document = yaml.load(text, Loader=yaml.CSafeLoader)
    del document["paths"]["/group/roles"]
    return _dump(document, sort_keys=False)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no pyproject.toml here or above: the catalogue's levels
    return tmp_path


def test_the_contract_against_itself_is_silent(folder: Path) -> None:
    assert diff.run(str(CONTRACT), str(CONTRACT)) == []
    assert main(["diff", str(CONTRACT), str(CONTRACT)]) == 0


def test_findings_point_into_the_file_that_shows_them(folder: Path) -> None:
    head = _write(folder, "head.yaml", _without_roles(TEXT))
    (removed,) = diff.run(str(CONTRACT), str(head))
    assert removed.rule == "api-path-removed-without-deprecation" and removed.level == Level.ERR
    assert removed.file == str(CONTRACT)  # the removed operation is only in BASE
    assert TEXT.splitlines()[(removed.line or 0) - 1].strip() == "get:"
    assert removed.operation == "GET /group/roles" and removed.path == "/group/roles"


def test_base_can_be_a_git_revision(folder: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@127.0.0.1", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], check=True, cwd=folder)
    _write(folder, "openapi.yaml", TEXT)
    subprocess.run([*git, "add", "openapi.yaml"], check=True, cwd=folder)
    subprocess.run([*git, "commit", "-q", "-m", "contract"], check=True, cwd=folder)
    _write(folder, "openapi.yaml", _without_limit(TEXT))
    findings = diff.run("HEAD:openapi.yaml", "openapi.yaml")
    assert [(f.rule, f.level) for f in findings] == [("request-parameter-removed", Level.WARN)]
    assert findings[0].file == "openapi.yaml"  # the path inside the repository, for annotations
    document = read("HEAD:openapi.yaml")
    assert document.file == "openapi.yaml" and document.line("/paths/~1group~1roles") is not None
    with pytest.raises(SourceError, match="nosuchrev"):
        read("nosuchrev:openapi.yaml")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """A loopback HTTP server for tmp_path's files."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_base_can_be_a_url(folder: Path, served: str) -> None:
    _write(folder, "base.yaml", TEXT)
    head = _write(folder, "head.yaml", _without_roles(TEXT))
    findings = diff.run(f"{served}/base.yaml", str(head))
    assert [f.rule for f in findings] == ["api-path-removed-without-deprecation"]
    assert findings[0].file == f"{served}/base.yaml" and findings[0].line is None
    with pytest.raises(SourceError, match="404"):
        read(f"{served}/missing.yaml")


def test_unreadable_inputs_exit_2(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(CONTRACT), str(folder / "missing.yaml")]) == 2
    assert "missing.yaml" in capsys.readouterr().err
    _write(folder, "list.yaml", "- not a mapping\n")
    assert main(["diff", str(CONTRACT), "list.yaml"]) == 2


def test_fail_on_warn_fails_a_warning(folder: Path) -> None:
    head = _write(folder, "head.yaml", _without_limit(TEXT))
    assert main(["diff", str(CONTRACT), str(head)]) == 0
    assert main(["diff", str(CONTRACT), str(head), "--fail-on", "WARN"]) == 1
    assert main(["diff", str(CONTRACT), str(head), "--fail-on", "warn"]) == 1


def test_fingerprints_hash_the_rule_and_place_not_the_message(folder: Path) -> None:
    head = _write(folder, "head.yaml", _without_limit(TEXT))
    (first,) = diff.run(str(CONTRACT), str(head))
    assert first.fingerprint == fingerprint(first.rule, first.location)
    # The same change in a contract with unrelated edits (reworded, reordered) keeps its fingerprint.
    document = yaml.safe_load(_without_limit(TEXT))
    document["info"]["description"] = "Reworded."
    document["paths"] = dict(reversed(list(document["paths"].items())))
    other = _write(folder, "other.yaml", _dump(document, sort_keys=False))
    (second,) = diff.run(str(CONTRACT), str(other))
    assert second.fingerprint == first.fingerprint and second.message == first.message
    assert dataclasses.replace(first, message="reworded").fingerprint == first.fingerprint
    assert dataclasses.replace(first, rule="request-property-removed").fingerprint != first.fingerprint


def _exemptions(folder: Path, entries: list[dict[str, Any]]) -> Path:
    return _write(folder, "exemptions.yaml", _dump({"exemptions": entries}, sort_keys=False))


def test_a_live_exemption_accepts_a_change(folder: Path) -> None:
    head = _write(folder, "head.yaml", _without_roles(TEXT))
    entry = {
        "rule": "api-path-removed-without-deprecation",
        "operation": "get /group/roles",
        "reason": "gone",
    }
    exemptions = _exemptions(folder, [{**entry, "until": "2026-12-31"}])
    findings = diff.run(str(CONTRACT), str(head), exemptions=exemptions, today=TODAY)
    assert len(findings) == 1 and findings[0].exemption is not None
    assert findings[0].exemption.reason == "gone" and not failing(findings, Level.WARN)
    by_path = _exemptions(folder, [{**entry, "operation": None, "path": "/group/roles", "until": TODAY}])
    assert not failing(diff.run(str(CONTRACT), str(head), exemptions=by_path, today=TODAY), Level.ERR)


def test_an_expired_exemption_fails_and_says_so(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = _write(folder, "head.yaml", _without_limit(TEXT))
    exemptions = _exemptions(
        folder,
        [
            {
                "rule": "request-parameter-removed",
                "operation": "GET /group/devices",
                "reason": "limit was never honoured",
                "until": "2026-01-31",
            }
        ],
    )
    findings = diff.run(str(CONTRACT), str(head), exemptions=exemptions, today=TODAY)
    expired = [f for f in findings if f.rule == "exemption-expired"]
    assert len(expired) == 1 and expired[0].level == Level.ERR
    assert "expired on 2026-01-31" in expired[0].message and "limit was never honoured" in expired[0].message
    assert expired[0].file == str(exemptions) and expired[0].line == 2
    change = next(f for f in findings if f.rule == "request-parameter-removed")
    assert change.exemption is None  # an expired exemption exempts nothing
    assert main(["diff", str(CONTRACT), str(head), "--exemptions", str(exemptions), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["failed"] is True and data["findings"][0]["rule"] == "exemption-expired"


def test_an_exemption_that_matches_nothing_is_a_warning(folder: Path) -> None:
    exemptions = _exemptions(
        folder,
        [{"rule": "request-parameter-removed", "path": "/group/users", "reason": "x", "until": "2099-01-01"}],
    )
    findings = diff.run(str(CONTRACT), str(CONTRACT), exemptions=exemptions, today=TODAY)
    assert [(f.rule, f.level) for f in findings] == [("exemption-unused", Level.WARN)]


@pytest.mark.parametrize(
    "entries, words",
    [
        pytest.param([{"rule": "x", "operation": "GET /a", "until": "2026-01-01"}], "reason", id="no-reason"),
        pytest.param([{"rule": "x", "reason": "r", "until": "2026-01-01"}], "operation", id="no-target"),
        pytest.param([{"rule": "x", "path": "/a", "reason": "r", "until": "soon"}], "until", id="bad-date"),
    ],
)
def test_a_malformed_exemptions_file_cannot_run(
    folder: Path, capsys: pytest.CaptureFixture[str], entries: list[dict[str, Any]], words: str
) -> None:
    exemptions = _exemptions(folder, entries)
    assert main(["diff", str(CONTRACT), str(CONTRACT), "--exemptions", str(exemptions)]) == 2
    assert words in capsys.readouterr().err


def test_levels_are_configured_per_rule_in_pyproject(folder: Path) -> None:
    head = _write(folder, "head.yaml", _without_limit(TEXT))
    pyproject = _write(folder, "pyproject.toml", '[tool.groupkit.diff]\nrequest-parameter-removed = "ERR"\n')
    (raised,) = diff.run(str(CONTRACT), str(head), pyproject=pyproject)
    assert raised.level == Level.ERR
    assert main(["diff", str(CONTRACT), str(head)]) == 1  # found from the working directory
    _write(folder, "pyproject.toml", '[tool.groupkit.diff]\nrequest-parameter-removed = "off"\n')
    assert diff.run(str(CONTRACT), str(head)) == []
    _write(folder, "pyproject.toml", '[tool.groupkit.diff]\nrequest-parameter-gone = "off"\n')
    with pytest.raises(ConfigError, match="request-parameter-gone"):
        diff.run(str(CONTRACT), str(head))
    assert main(["diff", str(CONTRACT), str(head)]) == 2


def test_every_format_of_the_command_parses(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = _write(folder, "head.yaml", _without_roles(TEXT))
    for fmt in ("text", "json", "markdown", "junit", "githubactions"):
        assert main(["diff", str(CONTRACT), str(head), "--format", fmt]) == 1
        out = capsys.readouterr().out
        assert "api-path-removed-without-deprecation" in out, fmt
    report = folder / "diff.xml"
    assert main(["diff", str(CONTRACT), str(head), "--format", "junit", "-o", str(report)]) == 1
    assert "<failure" in report.read_text("utf-8")


def test_the_catalogue_keeps_oasdiff_levels() -> None:
    # A sample of oasdiff's own ids and levels (checker/rules.go), so an ignore list ports as it is.
    sample = {
        "api-path-removed-without-deprecation": ("ERR", "none"),
        "request-parameter-removed": ("WARN", "request"),
        "new-required-request-property-with-default": ("ERR", "request"),
        "request-property-became-required-with-default": ("ERR", "request"),
        "response-property-enum-value-added": ("WARN", "response"),
        "response-optional-property-removed": ("WARN", "response"),
        "response-property-type-generalized": ("ERR", "response"),
        "request-parameter-max-length-set": ("WARN", "request"),
        "api-security-added": ("INFO", "none"),
        "request-parameter-default-value-changed": ("ERR", "request"),
    }
    assert {rule: (RULES[rule].level.name, RULES[rule].direction) for rule in sample} == sample
    assert {r.origin for r in RULES.values()} == {"oasdiff", "groupkit"}
    docs = (ROOT / "docs" / "diff-and-lint.md").read_text("utf-8")
    for rule in RULES:
        assert f"`{rule}`" in docs, f"{rule} is not documented"


def test_documents_built_in_memory_have_no_lines() -> None:
    document = Document("mem", "", "", {"openapi": "3.0.3"})
    assert document.line("/openapi") is None and document.anchors == []
