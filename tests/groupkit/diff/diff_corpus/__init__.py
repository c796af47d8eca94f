"""The diff corpus: before/after pairs built from the shipped contract by small edits (a JSON Patch, plus a
few edits JSON Patch cannot say), each with the rule ids and levels `groupkit diff` must report."""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT

HERE = Path(__file__).resolve().parent
CONTRACT = ROOT / "openapi.yaml"


@dataclass(frozen=True)
class Case:
    id: str
    group: str
    base_edits: list[dict[str, Any]]
    head_edits: list[dict[str, Any]]
    expect: frozenset[tuple[str, str]]  # (rule id, level); empty: the diff must stay silent
    operations: frozenset[str] = field(default_factory=frozenset)  # at least these operations are named
    refactor: bool = False  # a refactor: BASE and HEAD accept and send exactly the same instances


def cases() -> list[Case]:
    found = []
    for path in sorted(HERE.glob("*.yaml")):
        for raw in yaml.safe_load(path.read_text("utf-8")):
            expect = frozenset(tuple(item.split()) for item in raw.get("expect", []))
            found.append(
                Case(
                    id=raw["id"],
                    group=path.stem,
                    base_edits=raw.get("base", []),
                    head_edits=raw.get("head", []),
                    expect=expect,  # type: ignore[arg-type]  # pairs, checked by the corpus test
                    operations=frozenset(raw.get("operations", [])),
                    refactor=path.stem == "refactors",
                )
            )
    return found


@functools.cache
def _shipped() -> dict[str, Any]:
    return yaml.load(CONTRACT.read_text("utf-8"), Loader=yaml.CSafeLoader)  # type: ignore[no-any-return]


def contract() -> dict[str, Any]:
    """A fresh copy of the shipped contract."""
    return copy.deepcopy(_shipped())


def pair(case: Case) -> tuple[dict[str, Any], dict[str, Any]]:
    """(BASE, HEAD): each the shipped contract with that side's edits."""
    return build(case.base_edits), build(case.head_edits)


def build(edits: list[dict[str, Any]], document: dict[str, Any] | None = None) -> dict[str, Any]:
    document = copy.deepcopy(document) if document is not None else contract()
    for edit in edits:
        apply(document, edit)
    return document


def _parts(pointer: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]] if pointer else []


def _parent(document: Any, pointer: str) -> tuple[Any, str]:
    parts = _parts(pointer)
    node = document
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node, parts[-1]


def get(document: Any, pointer: str) -> Any:
    node = document
    for part in _parts(pointer):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _set(document: Any, pointer: str, value: Any, *, insert: bool) -> None:
    parent, key = _parent(document, pointer)
    if isinstance(parent, list):
        if key == "-":
            parent.append(value)
        elif insert:
            parent.insert(int(key), value)
        else:
            parent[int(key)] = value
    else:
        parent[key] = value


def _remove(document: Any, pointer: str) -> Any:
    parent, key = _parent(document, pointer)
    return parent.pop(int(key)) if isinstance(parent, list) else parent.pop(key)


def _refs(node: Any, old: str, new: str) -> None:
    if isinstance(node, dict):
        if node.get("$ref") == old:
            node["$ref"] = new
        for value in node.values():
            _refs(value, old, new)
    elif isinstance(node, list):
        for value in node:
            _refs(value, old, new)


def _descriptions(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "summary") and isinstance(value, str):
                node[key] = "Reworded: " + value[::-1]
            else:
                _descriptions(value)
    elif isinstance(node, list):
        for value in node:
            _descriptions(value)


def apply(document: dict[str, Any], edit: dict[str, Any]) -> None:
    """One edit: JSON Patch's add, remove, replace, move and copy (RFC 6902), and `inline` (a $ref replaced
    by a copy of its target), `extract` (an inline schema moved to components/schemas/NAME), `rename`
    (a schema component renamed, every $ref with it), `reverse` (a mapping's keys or a list in reverse
    order) and `reword` (every description and summary rewritten)."""
    op, path = edit["op"], edit.get("path", "")
    if op == "add":
        _set(document, path, copy.deepcopy(edit["value"]), insert=True)
    elif op == "replace":
        get(document, path)  # must exist
        _set(document, path, copy.deepcopy(edit["value"]), insert=False)
    elif op == "remove":
        _remove(document, path)
    elif op in ("move", "copy"):
        value = get(document, edit["from"])
        if op == "move":
            _remove(document, edit["from"])
        _set(document, path, copy.deepcopy(value), insert=True)
    elif op == "inline":
        ref = get(document, path)["$ref"]
        _set(document, path, copy.deepcopy(get(document, ref[1:])), insert=False)
    elif op == "extract":
        value = get(document, path)
        document["components"]["schemas"][edit["name"]] = copy.deepcopy(value)
        _set(document, path, {"$ref": f"#/components/schemas/{edit['name']}"}, insert=False)
    elif op == "rename":
        schemas = document["components"]["schemas"]
        schemas[edit["to"]] = schemas.pop(edit["from"])
        _refs(document, f"#/components/schemas/{edit['from']}", f"#/components/schemas/{edit['to']}")
    elif op == "reverse":
        node = get(document, path)
        reordered = dict(reversed(list(node.items()))) if isinstance(node, dict) else list(reversed(node))
        _set(document, path, reordered, insert=False)
    elif op == "reword":
        _descriptions(document)
    else:
        raise ValueError(f"unknown edit {json.dumps(edit)}")


CASES_BY_ID = {case.id: case for case in cases()}
