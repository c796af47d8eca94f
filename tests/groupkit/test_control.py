"""The control API (/__mock__/): health, demo users, reset, export/import and the request journal."""

from __future__ import annotations

import copy
import json

import httpx
import pytest

from groupkit.app import create_app
from tests.conftest import CONTROL, DEFAULT_WORLD, auth, group_id, serve

ACME = group_id(DEFAULT_WORLD, "ACME Logistics")


def test_health_and_demo_users(client: httpx.Client) -> None:
    assert client.get("/__mock__/health").json() == {"status": "ok", "users": 7, "groups": 6}
    users = client.get("/__mock__/users").json()["items"]
    assert [u["token"] for u in users][:2] == ["demo-token-alice", "demo-token-bruno"]
    assert all(u["token"] for u in users)  # the pending invitee has no token and is not listed


def test_reset_restores_the_starting_world(client: httpx.Client) -> None:
    client.post("/group", json={"name": "Scratch"}, headers=auth("alice")).raise_for_status()
    assert client.get("/__mock__/health").json()["groups"] == 7
    assert client.post("/__mock__/reset", headers=CONTROL).json()["groups"] == 6
    assert client.get("/__mock__/state").json() == DEFAULT_WORLD


def test_export_then_import_round_trips(client: httpx.Client) -> None:
    created = client.post("/group", json={"name": "Kept"}, headers=auth("alice")).json()
    saved = client.get("/__mock__/state").json()
    client.post("/__mock__/reset", headers=CONTROL).raise_for_status()
    assert client.put("/__mock__/state", json=saved).json()["status"] == "imported"
    assert client.get("/__mock__/state").json() == saved
    read = client.get("/group", params={"groupId": created["id"]}, headers=auth("alice"))
    assert read.json()[0]["name"] == "Kept"


@pytest.mark.parametrize(
    "breakage, message",
    [
        pytest.param(lambda w: w["devices"][0].pop("groupId"), "groupId", id="device-missing-field"),
        pytest.param(lambda w: w["devices"][0].update(seenAt="yesterday"), "seenAt", id="device-wrong-type"),
        pytest.param(
            lambda w: w["memberships"][0].update(groupId="nowhere"), "nowhere", id="dangling-reference"
        ),
        pytest.param(
            lambda w: w["users"][1].update(email=w["users"][0]["email"]), "email", id="duplicate-email"
        ),
        pytest.param(lambda w: w.update(format="other/9"), "format", id="wrong-format"),
    ],
)
def test_a_broken_import_is_refused_and_the_state_kept(client: httpx.Client, breakage, message: str) -> None:
    before = client.get("/__mock__/state").json()
    world = copy.deepcopy(DEFAULT_WORLD)
    breakage(world)
    response = client.put("/__mock__/state", json=world)
    assert response.status_code == 400
    assert message in " ".join(response.json()["details"]) + response.json()["message"]
    assert client.get("/__mock__/state").json() == before


def test_an_import_that_is_not_json_is_refused(client: httpx.Client) -> None:
    response = client.put("/__mock__/state", content=b"\xff{", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["code"] == "BAD_REQUEST"


def test_the_journal_records_filters_and_clears(client: httpx.Client) -> None:
    client.get("/user/groups", headers=auth("alice"))
    client.post("/group", json={"name": "Journaled"}, headers=auth("alice"))
    client.get("/group", params={"groupId": "nope"}, headers=auth("alice"))
    client.get("/__mock__/health")  # the control API is not journaled
    entries = client.get("/__mock__/journal").json()["items"]
    assert [(e["operationId"], e["status"]) for e in entries] == [
        ("listUserGroups", 200),
        ("createGroup", 200),
        ("getGroup", 404),
    ]
    assert entries[1]["body"] == {"name": "Journaled"} and entries[1]["method"] == "POST"
    assert entries[2]["query"] == {"groupId": ["nope"]}
    only = client.get("/__mock__/journal", params={"operationId": "createGroup"}).json()["items"]
    assert [e["path"] for e in only] == ["/group"]
    assert client.delete("/__mock__/journal", headers=CONTROL).json() == {"cleared": 3}
    assert client.get("/__mock__/journal").json()["items"] == []


def test_the_journal_is_bounded() -> None:
    app = create_app(journal_size=2)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))

    async def go() -> list[int]:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            for _ in range(3):
                await http.get("/group/roles", headers=auth("dan"))
            return [e["id"] for e in (await http.get("/__mock__/journal")).json()["items"]]

    import asyncio

    assert asyncio.run(go()) == [2, 3]


@pytest.mark.parametrize("from_anywhere, status", [(False, 403), (True, 200)])
def test_the_control_api_answers_loopback_only_unless_told(from_anywhere: bool, status: int) -> None:
    """The client address is set in the ASGI scope; no traffic leaves the process."""
    app = create_app(control_from_anywhere=from_anywhere)
    transport = httpx.ASGITransport(app=app, client=("192.0.2.10", 5000))  # TEST-NET-1, never contacted

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            return await http.get("/__mock__/health")

    import asyncio

    assert asyncio.run(go()).status_code == status


# ------------------------------------------------------------------ what a web page cannot do (real socket)

ELSEWHERE = "http://127.0.0.1:9"  # another origin on the same machine: what a page in a browser sends


def scratch_group(client: httpx.Client) -> str:
    """Creates a group through the API, so a reset would be seen (the group would go)."""
    created = client.post("/group", json={"name": "Scratch"}, headers=auth("alice"))
    created.raise_for_status()
    return str(created.json()["id"])


def assert_refused(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["code"] == {401: "UNAUTHORIZED", 403: "FORBIDDEN"}[status] and words in body["message"]
    assert not [name for name in response.headers if name.startswith("access-control-")]


def test_a_cross_origin_simple_post_to_reset_is_refused(client: httpx.Client) -> None:
    """What `fetch(url, {method: "POST", mode: "no-cors", body: "x"})` sends from another origin."""
    scratch_group(client)
    before = client.get("/__mock__/state").json()
    response = client.post(
        "/__mock__/reset", content=b"x", headers={"Origin": ELSEWHERE, "Content-Type": "text/plain"}
    )
    assert_refused(response, 403, "cross-origin")
    assert client.get("/__mock__/state").json() == before


@pytest.mark.parametrize(
    "path", ["/__mock__/users", "/__mock__/state", "/__mock__/journal", "/__mock__/health"]
)
@pytest.mark.parametrize(
    "headers, words",
    [
        pytest.param({"Origin": ELSEWHERE}, "Origin", id="origin"),
        pytest.param({"Origin": "null"}, "Origin", id="opaque-origin"),
        # a no-cors GET carries no Origin; Fetch Metadata still says where it came from
        pytest.param(
            {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors"}, "Sec-Fetch-Site", id="same-site"
        ),
        pytest.param({"Sec-Fetch-Site": "cross-site"}, "Sec-Fetch-Site", id="cross-site"),
    ],
)
def test_a_cross_origin_read_is_refused_without_cors_headers(
    client: httpx.Client, path: str, headers: dict[str, str], words: str
) -> None:
    assert_refused(client.get(path, headers=headers), 403, f"cross-origin requests ({words}")


@pytest.mark.parametrize(
    "method, path, asked",
    [
        pytest.param("POST", "/__mock__/reset", "x-mock-control", id="reset"),
        pytest.param("PUT", "/__mock__/state", "content-type", id="import"),
        pytest.param("DELETE", "/__mock__/journal", "x-mock-control", id="clear-journal"),
        pytest.param("GET", "/__mock__/users", "authorization", id="read-users"),
    ],
)
def test_a_preflight_to_the_control_api_is_refused(
    client: httpx.Client, method: str, path: str, asked: str
) -> None:
    preflight = {"Origin": ELSEWHERE, "Access-Control-Request-Method": method}
    preflight["Access-Control-Request-Headers"] = asked
    assert_refused(client.options(path, headers=preflight), 403, "cross-origin")


@pytest.mark.parametrize("cors_origins", [("*",), (ELSEWHERE,), ()], ids=["any", "listed", "off"])
def test_the_control_api_has_no_cors_whatever_the_cors_options(cors_origins: tuple[str, ...]) -> None:
    with serve(create_app(cors_origins=cors_origins)) as url, httpx.Client(base_url=url) as http:
        assert_refused(http.get("/__mock__/users", headers={"Origin": ELSEWHERE}), 403, "cross-origin")
        reset = http.post("/__mock__/reset", headers={"Origin": ELSEWHERE, **CONTROL})
        assert_refused(reset, 403, "cross-origin")
        preflight = {"Origin": ELSEWHERE, "Access-Control-Request-Method": "POST"}
        assert_refused(http.options("/__mock__/reset", headers=preflight), 403, "cross-origin")
        # a page the mock serves itself (Swagger UI's origin) is not another origin
        own = {"Origin": url, "Sec-Fetch-Site": "same-origin"}
        same_origin = http.get("/__mock__/health", headers=own)
        assert same_origin.status_code == 200
        assert "access-control-allow-origin" not in same_origin.headers


@pytest.mark.parametrize(
    "method, path, content, content_type",
    [
        pytest.param("POST", "/__mock__/reset", b"", None, id="reset"),
        pytest.param("POST", "/__mock__/reset", b"{}", "text/plain", id="reset-text-plain"),
        pytest.param("POST", "/__mock__/reset", b"a=1", "application/x-www-form-urlencoded", id="reset-form"),
        pytest.param("PUT", "/__mock__/state", None, "text/plain;charset=UTF-8", id="import-text-plain"),
        pytest.param(
            "PUT", "/__mock__/state", None, "text/plain; x=application/json", id="import-json-param"
        ),
        pytest.param("DELETE", "/__mock__/journal", b"", None, id="clear-journal"),
    ],
)
def test_a_state_changing_call_needs_a_header_a_page_cannot_send(
    client: httpx.Client, method: str, path: str, content: bytes | None, content_type: str | None
) -> None:
    """No Origin at all (a plain client, or a browser that leaves it out): the request must still be one a
    page cannot send without a preflight, so a simple request is refused and nothing changes."""
    scratch_group(client)
    client.get("/user/groups", headers=auth("alice"))  # a journal entry to lose
    before = client.get("/__mock__/state").json(), client.get("/__mock__/journal").json()
    body = content if content is not None else json.dumps(DEFAULT_WORLD).encode()
    headers = {"Content-Type": content_type} if content_type else {}
    assert_refused(client.request(method, path, content=body, headers=headers), 403, "X-Mock-Control: 1")
    assert (client.get("/__mock__/state").json(), client.get("/__mock__/journal").json()) == before


@pytest.mark.parametrize(
    "method, path, headers",
    [
        pytest.param("POST", "/__mock__/reset", CONTROL, id="reset-header"),
        pytest.param("POST", "/__mock__/reset", {"Content-Type": "application/json"}, id="reset-json"),
        pytest.param(
            "PUT", "/__mock__/state", {"Content-Type": "Application/JSON; charset=utf-8"}, id="import"
        ),
        pytest.param(
            "PUT", "/__mock__/state", {"Content-Type": "application/vnd.world+json"}, id="import+json"
        ),
        pytest.param("PUT", "/__mock__/state", {**CONTROL, "Content-Type": "text/plain"}, id="import-header"),
        pytest.param("DELETE", "/__mock__/journal", CONTROL, id="clear-journal"),
    ],
)
def test_a_state_changing_call_with_the_header_or_a_json_body_passes(
    client: httpx.Client, method: str, path: str, headers: dict[str, str]
) -> None:
    scratch_group(client)
    content = (
        json.dumps(DEFAULT_WORLD).encode() if method == "PUT" else b"{}" if "Content-Type" in headers else b""
    )
    response = client.request(method, path, content=content, headers=headers)
    assert response.status_code == 200, response.text
    if path != "/__mock__/journal":
        assert client.get("/__mock__/state").json() == DEFAULT_WORLD  # the scratch group is gone


def test_the_admin_token_is_needed_on_every_control_call_when_set() -> None:
    with serve(create_app(admin_token="s3cret-admin")) as url, httpx.Client(base_url=url) as http:
        for method, path in [
            ("GET", "/__mock__/health"),
            ("GET", "/__mock__/users"),
            ("POST", "/__mock__/reset"),
        ]:
            assert_refused(http.request(method, path, headers=CONTROL), 401, "X-Mock-Admin-Token")
            wrong = {**CONTROL, "X-Mock-Admin-Token": "s3cret-admiN"}
            assert_refused(http.request(method, path, headers=wrong), 401, "X-Mock-Admin-Token")
        admin = {"X-Mock-Admin-Token": "s3cret-admin"}
        http.post(
            "/group", json={"name": "Kept"}, headers=auth("alice")
        ).raise_for_status()  # the API: as before
        assert http.get("/__mock__/health", headers=admin).json()["groups"] == 7
        assert_refused(http.post("/__mock__/reset", headers=admin), 403, "X-Mock-Control")  # still non-simple
        assert http.post("/__mock__/reset", headers={**admin, **CONTROL}).json()["groups"] == 6
        assert "s3cret-admin" not in http.get("/__mock__/state", headers=admin).text


def test_the_mock_help_says_what_the_control_api_needs(capsys: pytest.CaptureFixture[str]) -> None:
    from groupkit.cli import main

    with pytest.raises(SystemExit):
        main(["mock", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for words in ("X-Mock-Control: 1", "--admin-token", "GROUPKIT_ADMIN_TOKEN", "X-Mock-Admin-Token"):
        assert words in text
