"""groupkit.journal over a real socket: what a client sent, who sent it and what the mock answered, with
secrets masked, bounded, and readable whatever the request held."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from groupkit import strict_json
from groupkit.journal import MASK, MAX_BODY_KEPT, Body, masked
from tests.conftest import DEFAULT_WORLD, TOKENS, auth, group_id, user_id

ACME = group_id(DEFAULT_WORLD, "ACME Logistics")


def journal(client: httpx.Client, **query: str) -> list[dict[str, Any]]:
    response = client.get("/__mock__/journal", params=query)
    assert response.status_code == 200, response.text
    strict_json.loads(response.content)  # what it answers is always strict JSON
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_an_entry_names_the_caller_and_keeps_the_answer(client: httpx.Client) -> None:
    created = client.post("/group", json={"name": "Journaled"}, headers=auth("alice"))
    client.get("/group/roles", headers={"Authorization": "Bearer " + TOKENS["dan"]})
    client.get("/group/roles", headers={"Authorization": "nobody's token"})
    first, second, third = journal(client)
    assert first["caller"] == user_id(DEFAULT_WORLD, "alice")
    assert second["caller"] == user_id(DEFAULT_WORLD, "dan") and third["caller"] is None
    assert third["status"] == 401 and third["responseBody"]["code"] == "UNAUTHORIZED"
    assert first["responseBody"] == {**created.json(), "token": MASK}  # a group's token is a secret too
    assert second["responseBody"]["items"][0]["id"] == "subscriber"
    text = json.dumps(journal(client))
    assert not any(token in text for token in TOKENS.values()) and "nobody's token" not in text


@pytest.mark.parametrize(
    "method, body",
    [
        pytest.param(
            "POST",
            {"groupId": ACME, "type": "TTN", "name": "Things", "token": "sk-live-create-1234"},
            id="createApiKey",
        ),
        pytest.param(
            "PUT", {"groupId": ACME, "type": "SIGFOX", "token": "sk-live-update-1234"}, id="updateApiKey"
        ),
    ],
)
def test_api_key_tokens_are_masked(client: httpx.Client, method: str, body: dict[str, Any]) -> None:
    response = client.request(method, "/group/apiKey", json=body, headers=auth("alice"))
    assert response.status_code == 200, response.text
    assert response.json()["token"] == body["token"]  # the API itself echoes it, as the contract says
    (entry,) = journal(client, path="/group/apiKey")
    assert entry["body"] == {**body, "token": MASK}
    assert entry["responseBody"]["token"] == MASK
    assert body["token"] not in json.dumps(entry)


def test_secrets_in_the_query_and_in_text_bodies_are_masked(client: httpx.Client) -> None:
    client.get("/group/roles", params={"token": "query-secret", "limit": "5"}, headers=auth("alice"))
    broken = b'{"groupId": "x", "type": "T", "token": "text-secret", '  # not JSON: kept as text
    client.post(
        "/group/apiKey", content=broken, headers={**auth("alice"), "Content-Type": "application/json"}
    )
    roles, key = journal(client)
    assert roles["query"] == {"token": [MASK], "limit": ["5"]}
    assert key["status"] == 400 and isinstance(key["body"], str)
    assert "text-secret" not in key["body"] and f'"token": "{MASK}"' in key["body"]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"[" * 1000 + b"]" * 1000, id="nested-1000"),
        pytest.param(b'{"name": "x", "n": NaN}', id="nan"),
        pytest.param(b'{"name": "x\\ud800"}', id="lone-surrogate"),
        pytest.param(b'{"name": "\xff"}', id="not-utf8"),
        pytest.param(b'{"name": "x", "n": ' + b"9" * 5000 + b"}", id="huge-integer"),
    ],
)
@pytest.mark.parametrize("method, path", [("POST", "/group"), ("GET", "/group/roles")])
def test_a_hostile_body_is_journaled_and_the_journal_stays_readable(
    client: httpx.Client, content: bytes, method: str, path: str
) -> None:
    response = client.request(
        method, path, content=content, headers={**auth("alice"), "Content-Type": "application/json"}
    )
    refused = method == "POST" or b"\xff" in content  # a GET's body is ignored, if it is UTF-8
    assert response.status_code == (400 if refused else 200), response.text
    (entry,) = journal(client)
    assert (entry["method"], entry["path"], entry["status"]) == (method, path, response.status_code)
    assert entry["body"] == content.decode("utf-8", errors="replace")  # kept as the text it was
    assert client.get("/__mock__/state").status_code == 200


def test_bodies_are_kept_up_to_a_bound(client: httpx.Client) -> None:
    # within the request limit, beyond what the journal keeps
    content = json.dumps({"token": "cut-secret", "name": "x" * (MAX_BODY_KEPT + 100)}).encode()
    client.post("/group", content=content, headers={**auth("alice"), "Content-Type": "application/json"})
    (entry,) = journal(client)
    assert entry["body"].endswith(f"... [{len(content)} bytes, the first {MAX_BODY_KEPT} kept]")
    assert entry["body"].startswith(f'{{"token": "{MASK}", "name": "xxx')
    assert len(entry["body"]) < MAX_BODY_KEPT + 100


def test_masking_and_rendering() -> None:
    value = {"token": "a", "nextToken": "b", "items": [{"Password": "c", "token": None}], "apiKey": {"x": 1}}
    assert masked(value) == {
        "token": MASK,
        "nextToken": "b",  # a cursor, not a secret
        "items": [{"Password": MASK, "token": None}],
        "apiKey": MASK,
    }
    assert Body(b"", 0).render() is None
    assert Body(b'{"a": [1, 2]}', 13).render() == {"a": [1, 2]}
    cut = b'{"token": "s\\"x", "b": 1'  # not JSON: masked as text
    assert Body(cut, len(cut)).render() == f'{{"token": "{MASK}", "b": 1'
