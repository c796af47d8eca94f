"""groupkit.addresses and groupkit.validation: what `format: email` and an integer parameter mean, unit by unit and on the wire (a
refusal is a 400 with the contract's Error body, and changes nothing)."""

from __future__ import annotations

import httpx
import pytest
from jsonschema import Draft4Validator

from groupkit.addresses import is_email
from groupkit.validation import FORMAT_CHECKER
from tests.conftest import DEFAULT_WORLD, auth, group_id
from tests.groupkit.test_app import assert_error

ACME = group_id(DEFAULT_WORLD, "ACME Logistics")

NOT_EMAILS = [
    pytest.param("a@", id="no-domain"),
    pytest.param("@b", id="no-local-part"),
    pytest.param("@", id="at-only"),
    pytest.param("ab", id="no-at"),
    pytest.param("", id="empty"),
    pytest.param("a@b@c", id="two-ats"),
    pytest.param("a b@c.d", id="space-in-local-part"),
    pytest.param("a@b c.d", id="space-in-domain"),
    pytest.param("a@b.", id="trailing-dot"),
    pytest.param("a@.b", id="leading-dot"),
    pytest.param("a@b..c", id="empty-label"),
    pytest.param("a\t@b.c", id="tab"),
    pytest.param("a@b.c\n", id="newline"),
    pytest.param("a" * 250 + "@b.cd", id="too-long"),
]
EMAILS = ["a@b", "farah.haddad@acme-logistics.example", "x+tag@sub.example.org", "ü@例え.jp", "A@B.CO"]


@pytest.mark.parametrize("value", NOT_EMAILS)
def test_not_an_email(value: str) -> None:
    assert not is_email(value)
    assert not FORMAT_CHECKER.conforms(value, "email")


@pytest.mark.parametrize("value", EMAILS)
def test_an_email(value: str) -> None:
    assert is_email(value)
    assert FORMAT_CHECKER.conforms(value, "email")


def test_the_checker_keeps_the_other_formats_and_leaves_jsonschemas_alone() -> None:
    assert set(FORMAT_CHECKER.checkers) == set(Draft4Validator.FORMAT_CHECKER.checkers)
    assert FORMAT_CHECKER.checkers["ipv4"] == Draft4Validator.FORMAT_CHECKER.checkers["ipv4"]
    assert Draft4Validator.FORMAT_CHECKER.conforms("a@", "email")  # jsonschema's own is unchanged


@pytest.mark.parametrize("email", NOT_EMAILS)
def test_an_invitation_to_a_non_email_is_refused(client: httpx.Client, email: str) -> None:
    before = client.get("/__mock__/state").json()
    response = client.put(
        "/group/invite", json={"email": email, "groupId": ACME, "roleId": "viewer"}, headers=auth("alice")
    )
    body = assert_error(response, 400, "BAD_REQUEST")
    assert "email" in body["message"]
    assert client.get("/__mock__/state").json() == before


@pytest.mark.parametrize("email", EMAILS)
def test_an_invitation_to_an_email_is_taken(client: httpx.Client, email: str) -> None:
    response = client.put(
        "/group/invite", json={"email": email, "groupId": ACME, "roleId": "viewer"}, headers=auth("alice")
    )
    assert response.status_code == 200, response.text


NOT_INTEGERS = [
    pytest.param("٥", id="arabic-indic-five"),
    pytest.param("５", id="fullwidth-five"),
    pytest.param("𝟓", id="mathematical-five"),
    pytest.param("+5", id="plus-sign"),
    pytest.param(" 5", id="leading-space"),
    pytest.param("5 ", id="trailing-space"),
    pytest.param("1_0", id="underscore"),
    pytest.param("5.0", id="float"),
    pytest.param("0x5", id="hex"),
    pytest.param("", id="empty"),
    pytest.param("five", id="word"),
]
LISTS = [
    pytest.param("/user/groups", {}, id="listUserGroups"),
    pytest.param("/group/roles", {}, id="listRoles"),
    pytest.param("/group/devices", {"groupId": ACME}, id="listGroupDevices"),
    pytest.param("/group/users", {"groupId": ACME}, id="listGroupUsers"),
]


@pytest.mark.parametrize("limit", NOT_INTEGERS)
@pytest.mark.parametrize(("path", "params"), LISTS)
def test_a_limit_not_written_with_ascii_digits_is_refused(
    client: httpx.Client, path: str, params: dict[str, str], limit: str
) -> None:
    response = client.get(path, params={**params, "limit": limit}, headers=auth("alice"))
    body = assert_error(response, 400, "BAD_REQUEST")
    assert "limit" in body["message"]


def test_every_value_of_a_repeated_limit_is_checked(client: httpx.Client) -> None:
    response = client.get("/group/roles", params=[("limit", "2"), ("limit", "٥")], headers=auth("alice"))
    assert_error(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize(("limit", "count"), [("1", 1), ("2", 2), ("002", 2), ("100", 4)])
def test_a_limit_in_ascii_digits_is_read(client: httpx.Client, limit: str, count: int) -> None:
    response = client.get("/group/roles", params={"limit": limit}, headers=auth("alice"))
    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == count


@pytest.mark.parametrize("limit", ["0", "-1", "101", "99999999999999999999"])
def test_a_limit_out_of_bounds_is_still_refused(client: httpx.Client, limit: str) -> None:
    assert_error(
        client.get("/group/roles", params={"limit": limit}, headers=auth("alice")), 400, "BAD_REQUEST"
    )
