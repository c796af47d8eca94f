"""The contract against the seed: every operation, parameter, schema field, type, format and required flag
the seed documents is in openapi.yaml, read from the seed text itself (docs/seed/group-api-docs.txt)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from groupkit import contract
from groupkit.handlers import OPERATIONS
from tests.conftest import ROOT

SEED = (ROOT / "docs" / "seed" / "group-api-docs.txt").read_text("utf-8")
CONTRACT = contract.load(ROOT / "openapi.yaml")

# The seed prints twelve request bodies without a name; the contract names them (x-recovered-name).
ANONYMOUS_NAMES = [
    "AddUserToGroupInput",
    "GroupInput",
    "UpdateGroupInput",
    "RemoveUserFromGroupInput",
    "GroupUserInput",
    "GroupUserInputRepeated",
    "CreateExternalApiKeyInput",
    "UpdateExternalApiKeyInput",
    "DeleteExternalApiKeyInput",
    "InviteUserInput",
    "UpdateUserGroupInput",
    "DeviceNetworkUserInput",
]
# Deliberate, recorded additions to the seed (docs/contract-decisions.md): field -> the extra keywords.
ADDITIONS = {"InviteUserInput.email": {"format": "email"}}
# Required flags the contract sets against the seed's table, each explained by an x-decision: a list's
# `items` is always sent, so generated clients need not test for its absence.
REQUIRED_BY_DECISION = {f"{name}Connection.items" for name in ("Group", "Role", "Device", "User")}
ROW = re.compile(r"(\w+) (string\(date\)|string|integer|boolean|\[\w+ ?\]) (true|false) none none")
TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "string(date)": {"type": "string", "format": "date"},
    "integer": {"type": "integer"},
    "boolean": {"type": "boolean"},
}


def seed_schemas() -> dict[str, tuple[dict[str, Any], list[tuple[str, str, bool]]]]:
    """Schema name -> (its JSON example, its table rows (field, seed type, required))."""
    text = SEED.split("Responses Schemas", 1)[1]
    marker = "Name Type Required Restrictions Description"
    found = []  # (where the block starts, its name or None, its example, where its table starts)
    for match in re.finditer(marker, text):
        end = text.rstrip()[: match.start()].rstrip()
        depth, index = 0, len(end) - 1
        while True:  # walk back to the brace that opens the example just before the table
            depth += {"}": 1, "{": -1}.get(end[index], 0)
            if depth == 0:
                break
            index -= 1
        line_start = text.rfind("\n", 0, index) + 1
        name = text[line_start:index].strip() or None
        found.append((line_start, name, json.loads(end[index:]), match.end()))
    blocks: dict[str, tuple[dict[str, Any], list[tuple[str, str, bool]]]] = {}
    anonymous = iter(ANONYMOUS_NAMES)
    for number, (_, name, example, table_start) in enumerate(found):
        table_end = found[number + 1][0] if number + 1 < len(found) else len(text)
        rows = ROW.findall(text[table_start:table_end])
        blocks[name or next(anonymous)] = (example, [(f, kind, req == "true") for f, kind, req in rows])
    return blocks


def schema_mismatches(document: dict[str, Any]) -> list[str]:
    found = []
    schemas = document["components"]["schemas"]
    for name, (example, rows) in seed_schemas().items():
        schema = schemas.get(name)
        if schema is None:
            found.append(f"{name}: missing")
            continue
        properties = schema.get("properties", {})
        for field in example:
            if field not in properties:
                found.append(f"{name}.{field}: in the seed's example, not in the contract")
        for field, kind, required in rows:
            prop = properties.get(field)
            if prop is not None and f"{name}.{field}" in ADDITIONS:
                extra = ADDITIONS[f"{name}.{field}"]
                prop = {k: v for k, v in prop.items() if extra.get(k) != v}
            if prop is None:
                found.append(f"{name}.{field}: missing")
                continue
            if kind.startswith("["):
                item = kind.strip("[] ")
                expected_items = (
                    {"type": "string"} if item == "string" else {"$ref": f"#/components/schemas/{item}"}
                )
                if prop.get("type") != "array" or prop.get("items") != expected_items:
                    found.append(f"{name}.{field}: expected an array of {item}, got {prop}")
            elif {k: prop.get(k) for k in TYPES[kind]} != TYPES[kind] or (
                "format" in prop and "format" not in TYPES[kind]
            ):
                found.append(f"{name}.{field}: expected {kind}, got {prop}")
            required = required or f"{name}.{field}" in REQUIRED_BY_DECISION
            if (field in schema.get("required", [])) != required:
                found.append(f"{name}.{field}: required should be {required}")
    return found


def seed_operations() -> dict[tuple[str, str], list[tuple[str, str, str, bool]]]:
    """(METHOD, path) -> parameter rows (name, in, type, required), from the seed's operation sections."""
    heads = list(re.finditer(r"^(?:Responses )?(GET|POST|PUT|DELETE) (/\S+)$", SEED, flags=re.MULTILINE))
    operations = {}
    for index, head in enumerate(heads):
        end = heads[index + 1].start() if index + 1 < len(heads) else SEED.index("Responses Schemas")
        section = SEED[head.end() : end]
        rows = re.findall(r"(\w+) (query|body) (string|integer|\w+Input) (true|false)", section)
        operations[(head.group(1), head.group(2))] = [(n, loc, t, r == "true") for n, loc, t, r in rows]
    return operations


def operation_mismatches(document: dict[str, Any]) -> list[str]:
    found = []
    for (method, path), rows in seed_operations().items():
        operation = document["paths"].get(path, {}).get(method.lower())
        if operation is None:
            found.append(f"{method} {path}: missing")
            continue
        params = {}
        for param in operation.get("parameters", []):
            if "$ref" in param:
                param = document["components"]["parameters"][param["$ref"].rsplit("/", 1)[1]]
            params[param["name"]] = param
        for name, location, kind, required in rows:
            where = f"{method} {path} {name}"
            if location == "body":
                body = operation.get("requestBody", {})
                ref = body.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
                if ref != f"#/components/schemas/{kind}" or body.get("required", False) != required:
                    found.append(f"{where}: expected a {'required ' if required else ''}{kind} body")
                continue
            param = params.get(name)
            if param is None or param["in"] != location:
                found.append(f"{where}: missing {location} parameter")
            elif param["schema"].get("type") != kind or param.get("required", False) != required:
                found.append(f"{where}: expected {kind}, required={required}, got {param}")
        if "security" in operation and operation["security"] != [{"accessToken": []}]:
            found.append(f"{method} {path}: must require the access token")
    return found


def test_the_seed_parser_reads_every_operation_and_schema() -> None:
    # Guards the parser itself: if it silently read nothing, the comparisons below would pass vacuously.
    assert len(seed_operations()) == 13
    schemas = seed_schemas()
    assert len(schemas) == 14 + len(ANONYMOUS_NAMES)
    assert sum(len(rows) for _, rows in schemas.values()) >= 100
    assert ("GET", "/group/devices") in seed_operations()
    assert ("limit", "query", "integer", False) in seed_operations()[("GET", "/group/devices")]


def test_every_seed_schema_field_type_format_and_required_flag_is_in_the_contract() -> None:
    assert schema_mismatches(CONTRACT) == []


def test_every_seed_operation_and_parameter_is_in_the_contract() -> None:
    assert operation_mismatches(CONTRACT) == []
    documented = {(m, p) for (m, p) in contract.operations(CONTRACT)}
    assert documented == set(seed_operations())


def _mutated(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(CONTRACT)
    change(document)
    return document


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda d: d["components"]["schemas"]["Device"]["properties"].pop("seenAt"), id="field-removed"
        ),
        pytest.param(
            lambda d: d["components"]["schemas"]["Device"]["properties"].update(seenAt={"type": "string"}),
            id="field-retyped",
        ),
        pytest.param(
            lambda d: d["components"]["schemas"]["Group"]["properties"]["createdAt"].pop("format"),
            id="date-format-dropped",
        ),
        pytest.param(
            lambda d: d["components"]["schemas"]["Group"]["required"].remove("userId"), id="required-dropped"
        ),
        pytest.param(
            lambda d: d["components"]["schemas"]["ExternalApiKey"]["required"].append("token"),
            id="required-added",
        ),
        pytest.param(
            lambda d: d["components"]["schemas"]["Group"]["properties"].pop("ownerId"), id="example-field"
        ),
    ],
)
def test_a_changed_schema_is_caught(change: Any) -> None:
    assert schema_mismatches(_mutated(change)) != []


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d["paths"]["/group/roles"].pop("get"), id="operation-removed"),
        pytest.param(
            lambda d: d["paths"]["/group/devices"]["get"]["parameters"].pop(0), id="parameter-removed"
        ),
        pytest.param(
            lambda d: d["paths"]["/group"]["post"]["parameters"][0].update(required=True),
            id="parameter-required",
        ),
        pytest.param(
            lambda d: d["paths"]["/group"]["post"]["requestBody"]["content"]["application/json"].update(
                schema={"$ref": "#/components/schemas/UpdateGroupInput"}
            ),
            id="body-schema-changed",
        ),
    ],
)
def test_a_changed_operation_is_caught(change: Any) -> None:
    assert operation_mismatches(_mutated(change)) != []


def test_seed_oddities_are_kept() -> None:
    get_group = CONTRACT["paths"]["/group"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    assert get_group == {"type": "array", "items": {"$ref": "#/components/schemas/Group"}}
    schemas = CONTRACT["components"]["schemas"]
    assert schemas["Device"]["properties"]["seenAt"] == {"type": "integer"}
    assert schemas["PublicUser"]["properties"]["seenAt"] == {"type": "string", "format": "date"}
    assert "tags" not in schemas["Group"]["properties"]


def test_the_contract_lints_clean_and_the_linter_catches_problems(tmp_path: Path) -> None:
    assert contract.lint(ROOT / "openapi.yaml") == []
    broken = copy.deepcopy(CONTRACT)
    broken["paths"]["/group"]["get"]["responses"]["200"]["description"] = 5  # not a string
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(broken))
    problems = contract.lint(tmp_path / "broken.yaml")
    assert problems and problems[0].location.startswith("/paths/~1group/get/responses/200")
    (tmp_path / "bad.yaml").write_text("openapi: [unclosed")
    assert contract.lint(tmp_path / "bad.yaml")


def test_every_example_validates_and_a_bad_example_is_caught() -> None:
    examples = list(contract.iter_examples(CONTRACT))
    assert len(examples) > 50
    assert contract.example_problems(CONTRACT) == []
    bad = copy.deepcopy(CONTRACT)
    bad["components"]["schemas"]["Device"]["example"]["seenAt"] = "yesterday"
    bad["components"]["schemas"]["Group"]["example"] = {"id": "x"}  # userId is required
    problems = {p.location for p in contract.example_problems(bad)}
    assert "/components/schemas/Device/example/seenAt" in problems
    assert "/components/schemas/Group/example" in problems


def test_every_operation_has_a_handler_auth_and_documented_error_bodies() -> None:
    ids = set(contract.operations(CONTRACT).values())
    assert ids == set(OPERATIONS)
    assert CONTRACT["security"] == [{"accessToken": []}]
    for (method, path), _ in contract.operations(CONTRACT).items():
        responses = CONTRACT["paths"][path][method.lower()]["responses"]
        assert {"200", "400", "401"} <= set(responses), f"{method} {path}"
        for status, response in responses.items():
            if status != "200":
                assert response["$ref"].startswith("#/components/responses/"), f"{method} {path} {status}"
    for name, response in CONTRACT["components"]["responses"].items():
        assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, (
            name
        )


def test_links_name_real_operations_and_parameters() -> None:
    ids = {op: (path, method) for (method, path), op in contract.operations(CONTRACT).items()}
    count = 0
    for _path, item in CONTRACT["paths"].items():
        for _method, operation in item.items():
            for link in operation["responses"]["200"].get("links", {}).values():
                count += 1
                target_path, target_method = ids[link["operationId"]]
                target = CONTRACT["paths"][target_path][target_method.lower()]
                names = set()
                for param in target.get("parameters", []):
                    if "$ref" in param:
                        param = CONTRACT["components"]["parameters"][param["$ref"].rsplit("/", 1)[1]]
                    names.add(param["name"])
                assert set(link.get("parameters", {})) <= names, link
                # A link's requestBody object is read by swagger-parser (Specmatic) as a string and warned
                # about: the contract's links carry parameters only (docs/contract-decisions.md).
                assert "requestBody" not in link, link
    assert count >= 10


# ------------------------------------------------------------------------------- the error table


def _error_code(document: dict[str, Any]) -> dict[str, Any]:
    code: dict[str, Any] = document["components"]["schemas"]["Error"]["properties"]["code"]
    return code


def test_the_error_table_pairs_every_code_and_every_documented_error_status() -> None:
    assert contract.error_table_problems(CONTRACT) == []
    table = contract.error_table(CONTRACT)
    assert set(table.status_of_code) == set(_error_code(CONTRACT)["enum"])
    documented = {
        int(status)
        for item in CONTRACT["paths"].values()
        for operation in item.values()
        for status in operation["responses"]
        if int(status) >= 400
    }
    assert documented == {400, 401, 403, 404, 409, 413, 415}  # the parse above read real statuses
    assert documented <= set(table.general_code)
    # Where two codes share a status, the general one is named, not guessed from the order.
    assert table.codes_of(400) == {"BAD_REQUEST", "INVALID_NEXT_TOKEN"}
    assert table.general_code[400] == "BAD_REQUEST"
    assert table.general_code[404] == "NOT_FOUND" and table.status_of_code["INTERNAL_ERROR"] == 500


def test_the_code_description_points_at_the_table_instead_of_copying_it() -> None:
    description = _error_code(CONTRACT)["description"]
    assert "x-status-of-code" in description
    assert not any(code in description for code in _error_code(CONTRACT)["enum"])


@pytest.mark.parametrize(
    "change, expected",
    [
        pytest.param(
            lambda c: c["x-status-of-code"].pop("CONFLICT"),
            "'CONFLICT' (in the enum) has no status",
            id="code-unpaired",
        ),
        pytest.param(
            lambda c: c["x-status-of-code"].update(GONE=410),
            "x-status-of-code/GONE: is not in the enum",
            id="code-not-in-enum",
        ),
        pytest.param(
            lambda c: c["x-status-of-code"].update(CONFLICT=200),
            "200 is not an HTTP error status",
            id="not-an-error-status",
        ),
        pytest.param(lambda c: c.pop("x-general-code"), "400 has codes", id="general-code-missing"),
        pytest.param(
            lambda c: c["x-general-code"].update({"400": "NOT_FOUND"}),
            "'NOT_FOUND' is not a code of 400",
            id="general-code-foreign",
        ),
        pytest.param(
            lambda c: c["x-status-of-code"].update(CONFLICT=422),
            "no code for 409, which PUT /group",
            id="documented-status-uncoded",
        ),
        pytest.param(lambda c: c.pop("x-status-of-code"), "needs x-status-of-code", id="no-table"),
    ],
)
def test_a_broken_error_table_is_caught(change: Any, expected: str, tmp_path: Path) -> None:
    broken = _mutated(lambda d: change(_error_code(d)))
    problems = contract.error_table_problems(broken)
    assert any(expected in str(problem) for problem in problems), problems
    with pytest.raises(ValueError, match="error table is unusable"):
        contract.error_table(broken)
    if "x-status-of-code" in _error_code(broken):  # lint judges a table when the contract has one
        (tmp_path / "broken.yaml").write_text(yaml.safe_dump(broken))
        assert any(expected in str(problem) for problem in contract.lint(tmp_path / "broken.yaml"))
