"""Sabotage variants that mishandle valid or invalid input: a body not validated, a documented field
refused, and names that crash the server (500)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import httpx

from groupkit.errors import BadRequest
from groupkit.model import GroupChanges, GroupView
from groupkit.store import Store
from tests.conformance.sabotage.seams import ACME, AS_ALICE, expect, mock, operation, rewriting, variant


def lenient(raw: bytes) -> bytes:
    """Reads a key body leniently: missing fields default to "", other values are stringified."""
    try:
        body = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(body, dict):
        return raw
    for key in ("groupId", "type", "token", "name"):
        value = body.get(key, "")
        body[key] = value if isinstance(value, str) else json.dumps(value)
    return json.dumps(body).encode()


@variant(
    "accepts-invalid-body",
    "POST /group/apiKey does not validate its body: a body without `token` is stored (200)",
    build=lambda: mock(middleware=[rewriting(operation("POST", "/group/apiKey"), request_body=lenient)]),
    include="POST /group/apiKey",
    checks="negative_data_rejection",
)
def accepts_invalid_body(http: httpx.Client) -> bool:
    body = {"groupId": ACME, "type": "LORA", "name": "no token"}
    return expect(http.post("/group/apiKey", json=body, headers=AS_ALICE), 200, 400).status_code == 200


class TagsRefused(Store):  # an allow-list of fields that forgot `tags`
    def create_group(
        self,
        user_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
        parent_id: str | None = None,
    ) -> GroupView:
        if tags is not None:  # the handler passes None when the body has no `tags`
            raise BadRequest("Unknown field: tags")
        return super().create_group(
            user_id, name=name, description=description, tags=tags, parent_id=parent_id
        )


@variant(
    "rejects-valid-body",
    "POST /group answers 400 to a valid body with `tags`",
    build=lambda: mock(store_class=TagsRefused),
    include="POST /group",
    checks="positive_data_acceptance",
)
def rejects_valid_body(http: httpx.Client) -> bool:
    body = {"name": "Tagged", "tags": ["cold"]}
    return expect(http.post("/group", json=body, headers=AS_ALICE), 200, 400).status_code == 400


class NameInQuery(Store):  # pastes the name into a hand-built uniqueness query, run before the group is read
    def update_group(self, user_id: str, group_id: str, changes: GroupChanges) -> GroupView:
        name = changes.name
        if name is not None and "'" in name:
            raise RuntimeError(f'syntax error at or near "{name.split(chr(39), 1)[1][:10]}"')
        return super().update_group(user_id, group_id, changes)


class Latin1Column(Store):  # keeps names in a Latin-1 column
    def update_group(self, user_id: str, group_id: str, changes: GroupChanges) -> GroupView:
        if changes.name is not None:
            changes.name.encode("latin-1")  # UnicodeEncodeError outside Latin-1
        return super().update_group(user_id, group_id, changes)


def renamed_crashes(http: httpx.Client, name: str) -> bool:
    body = {"groupId": ACME, "name": name}
    return expect(http.put("/group", json=body, headers=AS_ALICE), 200, 500).status_code == 500


@variant(
    "server-error-on-input",
    "PUT /group answers 500 when the name contains a quote (')",
    build=lambda: mock(store_class=NameInQuery),
    include="PUT /group",
    checks="not_a_server_error",
    max_examples=50,
)
def server_error_on_input(http: httpx.Client) -> bool:
    return renamed_crashes(http, "O'Brien Depot")


@variant(
    "server-error-on-non-latin1",
    "PUT /group answers 500 when the name holds a character outside Latin-1",
    build=lambda: mock(store_class=Latin1Column),
    include="PUT /group",
    checks="not_a_server_error",
    max_examples=50,
)
def server_error_on_non_latin1(http: httpx.Client) -> bool:
    return renamed_crashes(http, "ACME \u2744 Cold")


VARIANTS = (accepts_invalid_body, rejects_valid_body, server_error_on_input, server_error_on_non_latin1)
