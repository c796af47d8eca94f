"""Every output format of `diff` and `lint` parsed back: text by its line shape, json by json, markdown by its
table, JUnit by xml.etree, GitHub annotations by the workflow-command grammar (with its escapes)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from groupkit.findings import Exemption, Finding, Level, fingerprint
from groupkit.formats import FORMATS, render, summary

NASTY = "50% of a\r\nb: c, d | e \x00\x1b\x7f <&> ]]>"
FINDINGS = [
    Finding(
        "request-parameter-removed",
        Level.WARN,
        "GET /group/devices: the query request parameter 'limit' was removed",
        "GET /group/devices /parameters/query/limit",
        "/components/parameters/limit",
        file="openapi.yaml",
        line=642,
        direction="request",
        operation="GET /group/devices",
        path="/group/devices",
    ),
    Finding(
        "response-success-status-removed",
        Level.ERR,
        NASTY,
        "GET /group /responses/200",
        "/paths/~1group/get/responses/200",
        file="dir/a,b:c.yaml",
        line=7,
        direction="response",
        operation="GET /group",
        path="/group",
    ),
    Finding(
        "api-tag-added",
        Level.INFO,
        "GET /group: the tag 'Teams' was added",
        "GET /group /tags/Teams",
        "/paths/~1group/get/tags",
        file="openapi.yaml",
        line=None,
        operation="GET /group",
        path="/group",
    ),
    Finding(
        "request-property-removed",
        Level.WARN,
        "PUT /group: the property 'tags' was removed",
        "PUT /group /requestBody/content/application~1json/schema/properties/tags",
        "/components/schemas/UpdateGroupInput/properties/tags",
        file="openapi.yaml",
        line=900,
        operation="PUT /group",
        path="/group",
        exemption=Exemption("tags moved to their own endpoint, 100% agreed", "2099-01-01"),
    ),
]
TEXT_LINE = re.compile(
    r"^(?P<file>.+?):(?P<pointer>/\S*): (?P<message>.*) \[(?P<level>ERR|WARN|INFO) (?P<rule>[a-z0-9-]+)\]"
    r"(?: \(exempted until (?P<until>[\d-]+): (?P<reason>.*)\))?$"
)
# GitHub's workflow command: ::name key=value,key=value::data (values and data escaped).
ANNOTATION = re.compile(r"^::(?P<kind>error|warning|notice)(?: (?P<properties>[^:]*))?::(?P<data>.*)$")


def unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    return unescape_data(text.replace("%3A", ":").replace("%2C", ","))


def test_every_format_renders() -> None:
    for fmt in FORMATS:
        assert render(FINDINGS, fmt, tool="groupkit diff")
    with pytest.raises(ValueError, match="unknown format"):
        render(FINDINGS, "yaml", tool="groupkit diff")


def test_text_is_one_line_per_finding_most_serious_first() -> None:
    lines = render(FINDINGS, "text", tool="groupkit diff").splitlines()
    assert len(lines) == len(FINDINGS)  # a message's line breaks do not split its line
    parsed = [TEXT_LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert [m["level"] for m in parsed if m] == ["ERR", "WARN", "WARN", "INFO"]
    first = parsed[1]
    assert first is not None and first["rule"] == "request-parameter-removed"
    assert first["file"] == "openapi.yaml" and first["pointer"] == "/components/parameters/limit"
    exempted = next(m for m in parsed if m and m["until"])
    assert exempted["reason"] == "tags moved to their own endpoint, 100% agreed"


def test_json_round_trips_every_field() -> None:
    data = json.loads(render(FINDINGS, "json", tool="groupkit diff", fail_on=Level.ERR))
    assert data["tool"] == "groupkit diff" and data["failOn"] == "ERR" and data["failed"] is True
    assert data["counts"] == {"ERR": 1, "WARN": 1, "INFO": 1, "exempted": 1}
    by_rule = {item["rule"]: item for item in data["findings"]}
    nasty = by_rule["response-success-status-removed"]
    assert nasty["message"] == NASTY and nasty["level"] == "ERR" and nasty["line"] == 7
    assert nasty["fingerprint"] == fingerprint("response-success-status-removed", "GET /group /responses/200")
    assert nasty["direction"] == "response" and nasty["operation"] == "GET /group"
    assert by_rule["request-property-removed"]["exemption"]["until"] == "2099-01-01"
    assert data["findings"][0]["level"] == "ERR"


def test_markdown_is_a_table_with_one_row_per_finding() -> None:
    text = render(FINDINGS, "markdown", tool="groupkit diff")
    lines = text.splitlines()
    assert lines[0].startswith("## groupkit diff: 1 ERR, 1 WARN, 1 INFO, 1 exempted: FAIL")
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| Level")]
    assert len(rows) == len(FINDINGS)
    for row in rows:
        cells = re.split(r"(?<!\\)\|", row.strip())[1:-1]  # split on pipes that are not escaped
        assert len(cells) == 5, row
        assert re.fullmatch(r" `[0-9a-f]{12}` ", cells[4])
    nasty_row = next(r for r in rows if "response-success-status-removed" in r)
    assert "\n" not in nasty_row and "\\|" in nasty_row
    assert render([], "markdown", tool="groupkit lint").splitlines()[2] == "No findings."


def test_junit_parses_with_control_characters_escaped() -> None:
    text = render(FINDINGS, "junit", tool="groupkit diff", fail_on=Level.WARN)
    root = ET.fromstring(text.encode("utf-8"))
    suite = root.find("testsuite") if root.tag == "testsuites" else root  # either root is JUnit
    assert suite is not None and suite.get("name") == "groupkit diff"
    cases = suite.findall("testcase")
    assert len(cases) == len(FINDINGS)
    assert int(suite.get("tests", "0")) == 4 and int(suite.get("failures", "0")) == 2
    assert int(suite.get("skipped", "0")) == 1
    failures = {c.get("name", "").split(" ")[0]: c.find("failure") for c in cases}
    nasty = failures["response-success-status-removed"]
    assert nasty is not None and nasty.get("type") == "ERR"
    assert "\\u0000" in (nasty.get("message") or "") and "\\u001b" in (nasty.get("message") or "")
    assert failures["request-parameter-removed"] is not None  # WARN fails at --fail-on WARN
    assert failures["api-tag-added"] is None  # INFO passes, its message kept as output
    info = next(c for c in cases if c.get("name", "").startswith("api-tag-added"))
    assert "the tag 'Teams' was added" in (info.findtext("system-out") or "")
    exempted = next(c for c in cases if c.get("name", "").startswith("request-property-removed"))
    skipped = exempted.find("skipped")
    assert skipped is not None and "2099-01-01" in (skipped.get("message") or "")
    empty = ET.fromstring(render([], "junit", tool="groupkit lint").encode("utf-8"))
    assert len(empty.findall(".//testcase")) == 1 and not empty.findall(".//failure")


def test_github_annotations_follow_the_workflow_command_grammar() -> None:
    lines = render(FINDINGS, "githubactions", tool="groupkit diff").splitlines()
    assert len(lines) == len(FINDINGS)  # the newlines in messages are escaped, never emitted
    parsed = []
    for line in lines:
        match = ANNOTATION.match(line)
        assert match, line
        properties = dict(item.split("=", 1) for item in match["properties"].split(","))
        parsed.append(
            (
                match["kind"],
                {k: unescape_property(v) for k, v in properties.items()},
                unescape_data(match["data"]),
            )
        )
    nasty = next(p for p in parsed if "response-success-status-removed" in p[1]["title"])
    assert nasty[0] == "error" and nasty[1]["file"] == "dir/a,b:c.yaml" and nasty[1]["line"] == "7"
    assert nasty[2] == NASTY
    assert nasty[1]["title"] == "groupkit diff: response-success-status-removed (ERR)"
    kinds = {p[1]["title"].split(" ")[2]: p[0] for p in parsed}
    assert kinds == {
        "response-success-status-removed": "error",
        "request-parameter-removed": "warning",
        "api-tag-added": "notice",
        "request-property-removed": "notice",  # exempted
    }
    assert "line" not in next(p[1] for p in parsed if "api-tag-added" in p[1]["title"])


def test_the_summary_and_verdict_follow_fail_on() -> None:
    warn_only = [f for f in FINDINGS if f.level != Level.ERR]
    assert summary(warn_only, Level.ERR).endswith("pass (--fail-on ERR)")
    assert summary(warn_only, Level.WARN).endswith("FAIL (--fail-on WARN)")
    exempted_only = [f for f in FINDINGS if f.exempted]
    assert summary(exempted_only, Level.WARN).endswith("pass (--fail-on WARN)")
