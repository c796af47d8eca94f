"""The field-drift rule (`conformance/drift.py`): near misses and undocumented names, through arrays,
nested objects and allOf/oneOf/anyOf, the documented paths, and no drift on the contract's own examples."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groupkit import contract
from groupkit.conformance import drift
from groupkit.conformance.drift import NEAR_MISS, UNDOCUMENTED, Drift

DOCUMENT = contract.default()
SCHEMAS = DOCUMENT["components"]["schemas"]


def schema_of(name: str) -> dict[str, Any]:
    resolved = drift.dereferenced(DOCUMENT, {"$ref": f"#/components/schemas/{name}"})
    assert isinstance(resolved, dict)
    return resolved


GROUP = schema_of("Group")
GROUP_CONNECTION = schema_of("GroupConnection")


def test_a_renamed_optional_field_is_a_near_miss_of_the_documented_one() -> None:
    body = {"id": "g1", "userId": "u1", "owner_id": "u2"}
    assert drift.find(GROUP, body) == [Drift("/owner_id", "owner_id", NEAR_MISS, "ownerId")]


def test_a_name_no_documented_one_resembles_is_undocumented() -> None:
    body = {"id": "g1", "userId": "u1", "extra": 1, "ownerId": "u2"}
    assert drift.find(GROUP, body) == [Drift("/extra", "extra", UNDOCUMENTED, None)]


def test_documented_bodies_have_no_drift() -> None:
    assert (
        drift.find(GROUP, {"id": "g1", "userId": "u1", "ownerId": "u2", "role": SCHEMAS["Role"]["example"]})
        == []
    )


@pytest.mark.parametrize(
    "name", ["owner_id", "OwnerId", "Owner-Id", "OWNER_ID", "owner.id", "owner id", "ownerid"]
)
def test_case_and_separators_are_ignored_by_the_near_miss(name: str) -> None:
    [found] = drift.find(GROUP, {"id": "g1", name: "u2"})
    assert (found.kind, found.documented) == (NEAR_MISS, "ownerId")


@pytest.mark.parametrize("name", ["owner", "ownerIds", "owner_uid", "id_"])
def test_a_different_word_is_not_a_near_miss(name: str) -> None:
    [found] = drift.find(GROUP, {name: 1})
    if name == "id_":  # "id_" is "id" with a separator: a near miss after all
        assert (found.kind, found.documented) == (NEAR_MISS, "id")
    else:
        assert (found.kind, found.documented) == (UNDOCUMENTED, None)


def test_arrays_and_nested_objects_are_walked_with_json_pointers() -> None:
    role = {**SCHEMAS["Role"]["example"], "is_removable": True}
    body = {
        "items": [{"id": "a", "userId": "u"}, {"id": "b", "userId": "u", "role": role, "numberOfdevices": 1}]
    }
    assert drift.find(GROUP_CONNECTION, body, where="/body") == [
        Drift("/body/items/1/role/is_removable", "is_removable", UNDOCUMENTED),
        Drift("/body/items/1/numberOfdevices", "numberOfdevices", NEAR_MISS, "numberOfDevices"),
    ]


def test_names_are_escaped_as_json_pointer_tokens() -> None:
    assert [d.path for d in drift.find(GROUP, {"a/b": 1, "c~d": 2})] == ["/a~1b", "/c~0d"]


def test_values_of_the_wrong_type_are_left_to_schema_validation() -> None:
    assert drift.find(GROUP, [1, 2]) == []
    assert drift.find(GROUP_CONNECTION, {"items": "nope", "nextToken": None}) == []
    assert drift.find(GROUP_CONNECTION, {"items": [None, 3, "x"]}) == []
    assert drift.find({"type": "string"}, {"any": 1}) == []


def test_all_of_merges_the_properties_of_its_parts() -> None:
    schema = {"allOf": [{"type": "object", "properties": {"a": {}}}, {"properties": {"bB": {}}}]}
    assert drift.find(schema, {"a": 1, "bB": 2}) == []
    assert drift.find(schema, {"b_b": 1}) == [Drift("/b_b", "b_b", NEAR_MISS, "bB")]


@pytest.mark.parametrize("keyword", ["oneOf", "anyOf"])
def test_one_of_and_any_of_judge_by_the_branch_the_body_fits_best(keyword: str) -> None:
    schema = {
        keyword: [
            {"type": "object", "properties": {"kind": {}, "userId": {}}},
            {"type": "object", "properties": {"kind": {}, "deviceId": {}, "seenAt": {}}},
        ]
    }
    assert drift.find(schema, {"kind": "d", "deviceId": "x", "seenAt": 1}) == []
    assert drift.find(schema, {"kind": "d", "deviceId": "x", "seen_at": 1}) == [
        Drift("/seen_at", "seen_at", NEAR_MISS, "seenAt")
    ]
    _, seen = drift.inspect(schema, {"kind": "u", "userId": "x"})
    assert seen == {"/kind", "/userId"}


def test_additional_properties_declared_make_extra_names_documented() -> None:
    schema = {"type": "object", "properties": {"a": {}}, "additionalProperties": {"properties": {"x": {}}}}
    assert drift.find(schema, {"a": 1, "free": {"x": 1}}) == []
    assert drift.find(schema, {"free": {"y": 1}}) == [Drift("/free/y", "y", UNDOCUMENTED)]
    assert drift.find({"properties": {"a": {}}, "additionalProperties": True}, {"b": 1}) == []
    assert drift.find({"properties": {"a": {}}, "additionalProperties": False}, {"b": 1}) != []


def test_documented_paths_name_every_property_with_array_items_as_a_star() -> None:
    paths = drift.documented_paths(GROUP_CONNECTION)
    assert {"/items", "/nextToken", "/items/*/ownerId", "/items/*/role/permissions"} <= paths
    assert "/items/*" not in paths
    assert len(paths) == 2 + len(SCHEMAS["Group"]["properties"]) + len(SCHEMAS["Role"]["properties"])


def test_inspect_returns_the_documented_paths_a_body_returned() -> None:
    body = {"items": [{"id": "a", "userId": "u", "role": {"id": "viewer"}}, {"id": "b", "owner_id": "x"}]}
    drifts, seen = drift.inspect(GROUP_CONNECTION, body)
    assert seen == {"/items", "/items/*/id", "/items/*/userId", "/items/*/role", "/items/*/role/id"}
    assert seen <= drift.documented_paths(GROUP_CONNECTION)
    assert drifts == drift.find(GROUP_CONNECTION, body)


def test_dereferenced_inlines_local_references_and_stops_at_recursion() -> None:
    document = {
        "components": {"schemas": {"Node": {"properties": {"child": {"$ref": "#/components/schemas/Node"}}}}}
    }
    node = drift.dereferenced(document, {"$ref": "#/components/schemas/Node"})
    assert node == {"properties": {"child": {}}}
    assert drift.find(node, {"child": {"anything": 1}}) == []  # a recursive reference documents nothing
    assert "$ref" not in repr(GROUP_CONNECTION)


def test_deep_bodies_and_recursive_schemas_end() -> None:
    schema: dict[str, Any] = {"type": "object", "properties": {}}
    schema["properties"]["next"] = schema  # a recursive schema, as a dereferencing loader may build
    body: dict[str, Any] = {}
    cursor = body
    for _ in range(500):
        cursor["next"] = {}
        cursor = cursor["next"]
    cursor["leaf"] = 1
    assert drift.find(schema, body) == []  # beyond MAX_DEPTH nothing is judged, and nothing recurses forever
    assert "/next/next" in drift.documented_paths(schema)


def test_every_response_example_in_the_contract_has_no_drift() -> None:
    checked = 0
    for location, schema, example in contract.iter_examples(DOCUMENT):
        if "/responses/" in location or location.startswith("/components/"):
            assert drift.find(drift.dereferenced(DOCUMENT, schema), example) == [], location
            checked += 1
    assert checked > 20


def test_a_documented_body_normalises_no_name_of_its_own_and_plans_each_schema_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """It runs on every response the proxy forwards: each object schema is worked out once (its names
    normalised then), and a body whose names are all documented normalises none of its own."""
    body = {"items": [dict(SCHEMAS["Group"]["example"]) for _ in range(100)], "nextToken": None}
    normalised, plans = [], []
    monkeypatch.setattr(drift, "normalised", lambda name: normalised.append(name) or name)
    original = drift._plan_of
    monkeypatch.setattr(drift, "_PLANS", {})
    monkeypatch.setattr(drift, "_plan_of", lambda schema: plans.append(id(schema)) or original(schema))
    assert drift.inspect(GROUP_CONNECTION, body)[0] == []
    assert len(normalised) == 2 + len(SCHEMAS["Group"]["properties"]) + len(SCHEMAS["Role"]["properties"])
    assert len(drift._PLANS) == 3  # GroupConnection, Group, Role: one plan each for 201 objects
    assert len(plans) == 1 + 100 + 100


# The property: renaming any documented property to a variant in case or separators is always a near miss.

OBJECT_SCHEMAS = sorted(
    name for name, schema in SCHEMAS.items() if schema.get("properties") and name not in ("Error",)
) + ["Error"]


def words(name: str) -> list[str]:
    return [word for word in re.split(r"(?<=[a-z0-9])(?=[A-Z])|[_\-. ]", name) if word]


@st.composite
def renamed(draw: st.DrawFn) -> tuple[str, str, str]:
    schema_name = draw(st.sampled_from(OBJECT_SCHEMAS))
    prop = draw(st.sampled_from(sorted(SCHEMAS[schema_name]["properties"])))
    parts = words(prop)
    separators = draw(
        st.lists(st.sampled_from(["", "_", "-", ".", " ", "__"]), min_size=len(parts), max_size=len(parts))
    )
    cased = [draw(st.sampled_from([w.lower(), w.upper(), w.capitalize(), w])) for w in parts]
    variant = draw(st.sampled_from(["", "_", "-"])) + "".join(
        sep + word if index else word for index, (sep, word) in enumerate(zip(separators, cased, strict=True))
    )
    return schema_name, prop, variant


@given(renamed())
def test_any_case_or_separator_variant_of_a_documented_name_is_a_near_miss(
    case: tuple[str, str, str],
) -> None:
    schema_name, prop, variant = case
    schema = schema_of(schema_name)
    body = {variant: "x"}
    found = drift.find(schema, body)
    if variant == prop:
        assert found == []
    else:
        assert found == [Drift("/" + variant.replace("~", "~0").replace("/", "~1"), variant, NEAR_MISS, prop)]
