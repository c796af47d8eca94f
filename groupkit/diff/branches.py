"""Pairing the branches of a `oneOf` or `anyOf` in two versions of a schema: by `$ref` name, then by
title, then by content, so reordering or renaming branches reads as no change."""

from __future__ import annotations

import json

from .schemas import Node, canonical, view

Branch = list[Node]  # one branch: the schemas it must satisfy (a wrapped schema may be several)


def match(
    old: list[Branch], new: list[Branch]
) -> tuple[list[tuple[Branch, Branch]], list[Branch], list[Branch]]:
    """Pair `oneOf`/`anyOf` branches: by `$ref` name, then by title, then by content; one branch left on
    each side is taken as the same branch, changed. Returns (pairs, removed, added)."""
    pairs: list[tuple[Branch, Branch]] = []
    old_left, new_left = list(old), list(new)
    for identity in (_ref_name, _title, _content):
        for ob in list(old_left):
            key = identity(ob)
            if key is None:
                continue
            for nb in new_left:
                if identity(nb) == key:
                    pairs.append((ob, nb))
                    old_left.remove(ob)
                    new_left.remove(nb)
                    break
    if len(old_left) == 1 and len(new_left) == 1:
        pairs.append((old_left.pop(), new_left.pop()))
    return pairs, old_left, new_left


def _ref_name(branch: Branch) -> str | None:
    names = view(branch[0]).names
    return names[0] if names else None


def _title(branch: Branch) -> str | None:
    return view(branch[0]).title


def _content(branch: Branch) -> str:
    return json.dumps(canonical(branch), sort_keys=True)


def branch_label(branch: Branch) -> str:
    return _ref_name(branch) or _title(branch) or branch[0].pointer.rsplit("/", 1)[-1]
