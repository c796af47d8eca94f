"""groupkit.addresses and groupkit.validation: what `format: email` and an integer parameter mean, unit by unit and on the wire (a
refusal is a 400 with the contract's Error body, and changes nothing); the compiled schemas in front of
connexion's validators change no answer."""

from __future__ import annotations

import datetime
from typing import Any

import httpx
import pytest
from connexion.datastructures import MediaTypeDict
from jsonschema import Draft4Validator
from starlette.testclient import TestClient

from groupkit import fastschema, validation
from groupkit.addresses import is_email
from groupkit.app import create_app
from groupkit.validation import FORMAT_CHECKER
from tests.conftest import DEFAULT_WORLD, auth, group_id
from tests.groupkit.test_app import assert_error

ACME = group_id(DEFAULT_WORLD, "ACME Logistics")
LYON = group_id(DEFAULT_WORLD, "ACME Lyon Warehouse")

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


# Requests whose answers must not depend on the compiled schemas (groupkit.fastschema): valid ones, and
# every kind of refusal the schemas make, in parameters, request bodies and (a broken handler) responses.
SAME_ANSWERS = [
    ("GET", "/user/groups", {"limit": "3"}, None),
    ("GET", "/user/groups", {"limit": "0"}, None),
    ("GET", "/user/groups", {"limit": "101"}, None),
    ("GET", "/user/groups", {"limit": "99999999999999999999999"}, None),
    ("GET", "/group/roles", {"limit": "x"}, None),
    ("GET", "/group", {"groupId": ACME}, None),
    ("POST", "/group", {}, {"name": "Fine", "tags": ["a"]}),
    ("POST", "/group", {}, {"name": 5}),
    ("POST", "/group", {}, {"name": "x", "tags": "notalist"}),
    ("POST", "/group", {}, {"name": "x", "tags": [1]}),
    ("POST", "/group", {}, {"name": "x", "parentId": 2**70}),
    ("POST", "/group", {}, {"name": None}),
    ("POST", "/group", {}, []),
    ("POST", "/group", {}, "text"),
    ("PUT", "/group/invite", {}, {"email": "a@", "groupId": ACME, "roleId": "viewer"}),
    ("PUT", "/group/invite", {}, {"email": "new@x.example", "groupId": ACME, "roleId": "viewer"}),
    ("PUT", "/group/invite", {}, {"groupId": ACME}),
    ("PUT", "/group/apiKey", {}, {"groupId": ACME, "type": 1.5}),
    ("GET", "/group", {"groupId": LYON}, None),
]


def _answers(app: Any) -> list[tuple[int, str, bytes]]:
    with TestClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 50000)) as http:
        answers = []
        for method, path, params, body in SAME_ANSWERS:
            response = http.request(method, path, params=params, json=body, headers=auth("alice"))
            content = response.content
            answer = response.json() if response.status_code == 200 else None
            token = answer.get("nextToken") if isinstance(answer, dict) else None
            if isinstance(token, str):  # a cursor is sealed per mock: the same page, another token
                content = content.replace(token.encode(), b"<token>")
            answers.append((response.status_code, response.headers["content-type"], content))
        return answers


@pytest.mark.slow
def test_the_compiled_schemas_change_no_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same requests, to the mock and to one built on connexion as it comes (its `AsyncApp`, which
    reads every response body back, and its validators alone, no schema compiled): the same statuses and
    bodies, byte for byte (but for the cursors each mock seals its own way). Also for a broken handler, and
    for one answering values JSON has no type for (a tuple, a date), which the jsonifier writes as JSON."""
    from connexion import AsyncApp

    from groupkit.handlers import OPERATIONS

    async def odd(store: Any, user: str, group_id: str) -> Any:
        if group_id == ACME:
            return {"id": 5, "name": ["not", "a", "name"]}
        [group] = await OPERATIONS["getGroup"](store, user, group_id)
        return [{**group, "tags": tuple(group.get("tags") or ("x",)), "createdAt": datetime.date(2024, 1, 2)}]

    operations = {**OPERATIONS, "getGroup": odd}
    compiled: list[bool] = []
    compile_ = fastschema.compile

    def noting(*args: Any, **kwargs: Any) -> Any:
        result = compile_(*args, **kwargs)
        compiled.append(result is not None)
        return result

    monkeypatch.setattr(fastschema, "compile", noting)
    fast = _answers(create_app(seed=7, operations=operations))
    assert compiled.count(True) >= 8  # parameters, bodies and responses took the compiled path
    monkeypatch.setattr(fastschema, "compile", lambda *args, **kwargs: None)
    monkeypatch.setattr("groupkit.app.FastAsyncApp", AsyncApp)
    stock = create_app(seed=7, operations=operations)
    assert type(stock.connexion) is AsyncApp
    slow = _answers(stock)
    assert fast == slow
    statuses = [status for status, _, _ in fast]
    assert statuses.count(400) >= 10 and 500 in statuses and 200 in statuses


def test_media_type_lookups_are_connexions_and_remembered() -> None:
    plain = MediaTypeDict({"*/*json": 1, "text/plain": 2, "application/*": 3})
    cached = validation.CachedMediaTypeDict(plain)
    for mime in ("application/json", "application/problem+json", "text/plain", "application/xml"):
        assert cached[mime] == plain[mime] and cached[mime] == plain[mime]
    for missing in ("text/html", "image/png"):
        with pytest.raises(KeyError):
            cached[missing]
        assert missing not in cached and missing not in plain
    for n in range(200):
        cached.get(f"application/x{n}+json")
    assert len(cached._found) == validation.CachedMediaTypeDict.LIMIT


def test_each_schema_is_compiled_once_per_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """connexion hands the validators the same schema objects in every request: a second round of the
    same requests compiles nothing (and the compiled schemas do not pile up)."""
    compiled: list[object] = []
    compile_ = fastschema.compile

    def noting(*args: Any, **kwargs: Any) -> Any:
        compiled.append(args[0])
        return compile_(*args, **kwargs)

    monkeypatch.setattr(fastschema, "compile", noting)
    app = create_app(seed=7)
    _answers(app)
    after_first = len(compiled)
    _answers(app)
    assert after_first >= 8 and len(compiled) == after_first
