"""The `Authorization` header on the wire: a raw token or `Bearer <token>`, with any run of spaces and tabs
after `Bearer` read the same way; anything else is the one 401."""

from __future__ import annotations

import httpx
import pytest

from groupkit.binding import token_of
from tests.groupkit.test_app import assert_error

TOKEN = "demo-token-alice"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(TOKEN, id="raw"),
        pytest.param(f"Bearer {TOKEN}", id="bearer-space"),
        pytest.param(f"Bearer  {TOKEN}", id="bearer-two-spaces"),
        pytest.param(f"Bearer\t{TOKEN}", id="bearer-tab"),
        pytest.param(f"Bearer \t \t{TOKEN}", id="bearer-spaces-and-tabs"),
        pytest.param(f"bearer {TOKEN}", id="lower-case"),
        pytest.param(f"BEARER\t{TOKEN}", id="upper-case-tab"),
    ],
)
def test_a_token_is_read_whatever_whitespace_follows_bearer(client: httpx.Client, value: str) -> None:
    response = client.get("/user/groups", headers={"Authorization": value})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("Bearer", id="bearer-alone"),
        pytest.param(f"Bearer{TOKEN}", id="no-whitespace"),
        pytest.param(f"Bearer {TOKEN} extra", id="two-words"),
        pytest.param(f"Bearer {TOKEN}\tx", id="tab-inside"),
        pytest.param(f"Bearer\u00a0{TOKEN}", id="no-break-space"),
        pytest.param(f"Bearer Bearer {TOKEN}", id="bearer-twice"),
        pytest.param(f"{TOKEN} {TOKEN}", id="raw-twice"),
        pytest.param(f"Basic {TOKEN}", id="another-scheme"),
    ],
)
def test_anything_else_is_unauthorized(client: httpx.Client, value: str) -> None:
    sent = value.encode("latin-1")  # HTTP header values are bytes; httpx encodes a str as ASCII only
    body = assert_error(client.get("/user/groups", headers={"Authorization": sent}), 401, "UNAUTHORIZED")
    assert body["message"] == "Unauthorized"


@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("Bearer  t", "t"),
        ("Bearer\tt", "t"),
        (" \tBearer t \t", "t"),
        ("t", "t"),
        ("Bearer t u", "Bearer t u"),
        ("Bearer", "Bearer"),
        ("Bearer\u00a0t", "Bearer\u00a0t"),
    ],
)
def test_token_of(value: str, token: str) -> None:
    assert token_of(value) == token
