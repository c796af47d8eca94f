"""`groupkit lint` as a ruleset: the shipped contract passes, each rule fires on its own small break of it
(at the right JSON pointer and level), levels are configured per rule in pyproject.toml, and the command
keeps its exit codes and its FILE:/json/pointer: message lines."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from groupkit import lint
from groupkit.cli import main
from groupkit.documents import read
from groupkit.findings import Level
from tests.conftest import ROOT

CONTRACT = ROOT / "openapi.yaml"
SHIPPED: dict[str, Any] = yaml.safe_load(CONTRACT.read_text("utf-8"))
ROLES = "/paths/~1group~1roles/get"


class _Dumper(yaml.CSafeDumper):
    """Writes every value out, even one the contract shares between places (no anchors of its own)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _findings(document: dict[str, Any], tmp_path: Path) -> set[tuple[str, str, str]]:
    path = tmp_path / "contract.yaml"
    path.write_text(yaml.dump(document, Dumper=_Dumper, sort_keys=False), "utf-8")
    return {(f.rule, f.pointer, f.level.name) for f in lint.run(path)}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, str, str]]:
    # The shipped contract, written out without YAML anchors: what every mutation below starts from.
    return _findings(SHIPPED, tmp_path_factory.mktemp("baseline"))


def _op(document: dict[str, Any], path: str, method: str = "get") -> dict[str, Any]:
    return document["paths"][path][method]  # type: ignore[no-any-return]


def _link(document: dict[str, Any]) -> dict[str, Any]:
    return _op(document, "/user/groups")["responses"]["200"]["links"]["GetListedGroup"]  # type: ignore[no-any-return]


def _set_example_code(document: dict[str, Any]) -> None:
    document["components"]["responses"]["BadRequest"]["content"]["application/json"]["example"]["code"] = 5


MUTATIONS: list[tuple[str, Callable[[dict[str, Any]], None], set[tuple[str, str, str]]]] = [
    (
        "oas3-schema",
        lambda d: _op(d, "/group/roles")["responses"]["200"].update(description=5),
        {("oas3-schema", f"{ROLES}/responses/200", "ERR")},
    ),
    (
        "schema-example",
        lambda d: d["components"]["schemas"]["RetryPolicy"]["example"].update(retryDelay="soon"),
        {("oas3-valid-schema-example", "/components/schemas/RetryPolicy/example/retryDelay", "ERR")},
    ),
    (
        "nested-schema-example",
        lambda d: d["components"]["schemas"]["Device"]["properties"]["seenAt"].update(example="yesterday"),
        {("oas3-valid-schema-example", "/components/schemas/Device/properties/seenAt/example", "ERR")},
    ),
    (
        "schema-default",
        lambda d: d["components"]["parameters"]["limit"]["schema"].update(default="many"),
        {("oas3-valid-schema-example", "/components/parameters/limit/schema/default", "ERR")},
    ),
    (
        "media-example",
        _set_example_code,
        {
            (
                "oas3-valid-media-example",
                "/components/responses/BadRequest/content/application~1json/example/code",
                "ERR",
            )
        },
    ),
    (
        "parameter-example",
        lambda d: d["components"]["parameters"]["limit"].update(example="ten"),
        {("oas3-valid-media-example", "/components/parameters/limit/example", "ERR")},
    ),
    (
        "operation-operationId",
        lambda d: _op(d, "/group/roles").pop("operationId"),
        {("operation-operationId", ROLES, "WARN")},
    ),
    (
        "operation-operationId-unique",
        lambda d: _op(d, "/group/roles").update(operationId="getGroup"),
        {("operation-operationId-unique", f"{ROLES}/operationId", "ERR")},
    ),
    (
        "operation-success-response",
        lambda d: _op(d, "/group/roles")["responses"].pop("200"),
        {
            ("operation-success-response", f"{ROLES}/responses", "WARN"),
            ("oas3-unused-component", "/components/schemas/RoleConnection", "WARN"),  # only that 200 used it
        },
    ),
    (
        "operation-summary",
        lambda d: _op(d, "/group/roles").pop("summary"),
        {("operation-summary", ROLES, "WARN")},
    ),
    (
        "operation-description",
        lambda d: _op(d, "/group/roles").update(description="  "),
        {("operation-description", ROLES, "WARN")},
    ),
    ("operation-tags", lambda d: _op(d, "/group/roles").pop("tags"), {("operation-tags", ROLES, "WARN")}),
    (
        "operation-tag-defined",
        lambda d: _op(d, "/group/roles").update(tags=["Permissions"]),
        {("operation-tag-defined", f"{ROLES}/tags/0", "WARN")},
    ),
    (
        "oas3-operation-security-defined",
        lambda d: _op(d, "/group/roles").update(security=[{"apiSecret": []}]),
        {("oas3-operation-security-defined", f"{ROLES}/security/0", "WARN")},
    ),
    (
        "oas3-unused-component",
        lambda d: d["components"]["schemas"].update(Orphan={"type": "object"}),
        {("oas3-unused-component", "/components/schemas/Orphan", "WARN")},
    ),
    (
        "oas3-links-parameters-expression",
        lambda d: _link(d)["parameters"].update(groupId="$response.bodyy#/items/0/id"),
        {
            (
                "oas3-links-parameters-expression",
                "/paths/~1user~1groups/get/responses/200/links/GetListedGroup/parameters/groupId",
                "ERR",
            )
        },
    ),
    (
        "link-target-operation",
        lambda d: _link(d).update(operationId="getGroupe"),
        {("link-target-defined", "/paths/~1user~1groups/get/responses/200/links/GetListedGroup", "ERR")},
    ),
    (
        "link-target-parameter",
        lambda d: _link(d)["parameters"].update(group="$response.body#/items/0/id"),
        {
            (
                "link-target-defined",
                "/paths/~1user~1groups/get/responses/200/links/GetListedGroup/parameters/group",
                "ERR",
            )
        },
    ),
    (
        "link-target-response-field",
        lambda d: _link(d)["parameters"].update(groupId="$response.body#/items/0/identifier"),
        {
            (
                "link-target-defined",
                "/paths/~1user~1groups/get/responses/200/links/GetListedGroup/parameters/groupId",
                "ERR",
            )
        },
    ),
    (
        "path-params",
        lambda d: d["paths"].update(
            {
                "/group/{groupId}/roles": {
                    "get": {**copy.deepcopy(_op(d, "/group/roles")), "operationId": "listGroupRoles"}
                }
            }
        ),
        {("path-params", "/paths/~1group~1{groupId}~1roles/get", "ERR")},
    ),
    (
        "duplicated-entry-in-enum",
        lambda d: d["components"]["schemas"]["InviteUserInput"]["properties"]["roleId"].update(
            enum=["viewer", "installer", "viewer"]
        ),
        {
            (
                "duplicated-entry-in-enum",
                "/components/schemas/InviteUserInput/properties/roleId/enum/2",
                "WARN",
            )
        },
    ),
    (
        "typed-enum",
        lambda d: d["components"]["schemas"]["InviteUserInput"]["properties"]["roleId"].update(
            enum=["viewer", 5]
        ),
        {("typed-enum", "/components/schemas/InviteUserInput/properties/roleId/enum/1", "WARN")},
    ),
]


@pytest.mark.parametrize("name, mutate, expected", [pytest.param(*m, id=m[0]) for m in MUTATIONS])
def test_each_rule_fires_on_its_own_break(
    tmp_path: Path,
    baseline: set[tuple[str, str, str]],
    name: str,
    mutate: Callable[[dict[str, Any]], None],
    expected: set[tuple[str, str, str]],
) -> None:
    document = copy.deepcopy(SHIPPED)
    mutate(document)
    new = _findings(document, tmp_path) - baseline
    assert expected <= new
    # The OpenAPI validator sees some of these breaks too (with a coarser pointer); nothing else may fire.
    assert {f for f in new - expected if f[0] != "oas3-schema"} == set()


def test_the_shipped_contract_passes_and_its_warnings_are_known() -> None:
    findings = lint.run(CONTRACT)
    assert not [f for f in findings if f.level == Level.ERR]
    rules = {f.rule for f in findings}
    assert rules <= {"oas3-unused-component"}, rules  # the seed's orphan schemas, INFO in pyproject.toml
    assert "&" not in "".join(name for name, _, _ in read(str(CONTRACT)).anchors)


def _anchored(tmp_path: Path) -> Path:
    """The shipped contract with one YAML anchor (a parameter's example) and one alias of it."""
    text = CONTRACT.read_text("utf-8")
    value = "example: 0b1439fc-4d24-51c8-bc78-13349eb3952e"
    first, second = text.index(value), text.index(value, text.index(value) + 1)
    text = text[:first] + value.replace(": ", ": &groupId ") + text[first + len(value) : second]
    text += "example: *groupId" + CONTRACT.read_text("utf-8")[second + len(value) :]
    path = tmp_path / "anchored.yaml"
    path.write_text(text, "utf-8")
    return path


def test_yaml_anchors_and_aliases_are_refused_at_their_line(tmp_path: Path) -> None:
    path = _anchored(tmp_path)
    assert yaml.safe_load(path.read_text("utf-8")) == SHIPPED  # the same document to a YAML reader
    lines = path.read_text("utf-8").splitlines()
    anchor = next(n for n, line in enumerate(lines, 1) if "&groupId" in line)
    alias = next(n for n, line in enumerate(lines, 1) if "*groupId" in line)
    findings = [f for f in lint.run(path) if f.rule == "no-yaml-anchors"]
    assert [(f.level, f.pointer, f.line) for f in findings] == [
        (Level.ERR, "/paths/~1group/post/parameters/0/example", anchor),
        (Level.ERR, "/paths/~1group~1user/delete/parameters/0/example", alias),
    ]
    assert "&groupId" in findings[0].message and "*groupId" in findings[1].message
    assert main(["lint", str(path)]) == 1  # refused by default, not only warned about


def test_every_rule_has_an_id_level_and_description() -> None:
    assert len(lint.RULES) >= 15
    for rule_id, rule in lint.RULES.items():
        assert rule.id == rule_id and rule.description and rule.origin in ("spectral", "groupkit")
    docs = (ROOT / "docs" / "diff-and-lint.md").read_text("utf-8")
    for rule_id in lint.RULES:
        assert f"`{rule_id}`" in docs, f"{rule_id} is not documented"


def test_x_extensions_are_accepted_everywhere(tmp_path: Path, baseline: set[tuple[str, str, str]]) -> None:
    document = copy.deepcopy(SHIPPED)
    document["components"]["schemas"]["Error"]["x-error-codes"] = {"NOT_FOUND": {"status": 404}}
    document["components"]["schemas"]["Error"]["properties"]["code"]["x-extra"] = [1, 2]
    _op(document, "/group/roles")["x-internal"] = True
    document["x-owner"] = "groups team"
    assert _findings(document, tmp_path) == baseline


def test_a_file_that_is_not_yaml_is_one_parser_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: [unclosed", "utf-8")
    findings = lint.run(broken)
    assert [(f.rule, f.level) for f in findings] == [("parser", Level.ERR)]


def test_levels_are_configured_per_rule_in_pyproject(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    anchored = _anchored(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.groupkit.lint]\noas3-unused-component = "off"\nno-yaml-anchors = "warn"\n', "utf-8"
    )
    assert main(["lint", str(anchored)]) == 0  # the anchors are only warnings here
    out = capsys.readouterr().out
    assert "[WARN no-yaml-anchors]" in out and "oas3-unused-component" not in out
    (tmp_path / "pyproject.toml").write_text('[tool.groupkit.lint]\nno-yaml-anchors = "off"\n', "utf-8")
    assert main(["lint", str(anchored), "--fail-on", "WARN"]) == 1  # the unused components remain
    assert "no-yaml-anchors" not in capsys.readouterr().out
    (tmp_path / "pyproject.toml").write_text('[tool.groupkit.lint]\nno-such-rule = "off"\n', "utf-8")
    assert main(["lint", str(CONTRACT)]) == 2
    assert "no-such-rule" in capsys.readouterr().err
    (tmp_path / "pyproject.toml").write_text('[tool.groupkit.lint]\nno-yaml-anchors = "loud"\n', "utf-8")
    assert main(["lint", str(CONTRACT)]) == 2


@pytest.mark.slow
def test_the_command_keeps_its_exit_codes_and_writes_every_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no pyproject.toml here or above: the shipped levels
    assert main(["lint", str(CONTRACT)]) == 0
    assert "valid OpenAPI 3.0" in capsys.readouterr().out
    assert main(["lint", str(CONTRACT), "--fail-on", "WARN"]) == 1
    capsys.readouterr()
    assert main(["lint", str(CONTRACT), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["failed"] is False and data["counts"]["ERR"] == 0 and data["findings"]
    report = tmp_path / "lint.xml"
    assert main(["lint", str(CONTRACT), "--format", "junit", "--output", str(report)]) == 0
    assert report.read_text("utf-8").startswith("<?xml")
    assert main(["lint", str(tmp_path / "missing.yaml")]) == 1
