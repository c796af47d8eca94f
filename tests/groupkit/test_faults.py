"""Latency and faults (`groupkit.faults`): seeded decisions, the middleware in process, the control API
(`/__mock__/behaviour`, per session too), and over real HTTP: the same seed gives the same faults and drops,
and a drop is a connection closed without an answer."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from groupkit import contract
from groupkit.app import MockApp, create_app
from groupkit.behaviour import Behaviour
from groupkit.faults import FAULT_HEADER, Decision, Dropped, Faults

from ..conftest import CONTROL, auth, start_mock

DOCUMENT = contract.default()
ROLES = "/group/roles"  # listRoles documents 400 and 401


@pytest.fixture(scope="module")
def mock() -> MockApp:
    return create_app(seed=7)


@pytest.fixture
def http(mock: MockApp) -> Iterator[TestClient]:
    """An in-process client of the module's mock, its settings back to none after the test."""
    with TestClient(mock, base_url="http://127.0.0.1", client=("127.0.0.1", 50000)) as client:
        try:
            yield client
        finally:
            mock.faults.start_with(Behaviour())
            for name in [s["name"] for s in mock.sessions.listing()]:
                mock.sessions.drop(name)


def put(http: httpx.Client, settings: dict[str, Any], session: str | None = None) -> httpx.Response:
    headers = {"X-Mock-Session": session} if session else {}
    return http.put("/__mock__/behaviour", json=settings, headers=headers)


@functools.cache
def spare() -> MockApp:
    """A mock no request reaches, whose `Faults` the decision tests configure and ask directly."""
    return create_app()


def faults_with(settings: dict[str, Any]) -> Faults:
    faults = spare().faults
    faults.start_with(faults.parse(settings))
    return faults


# ---------------------------------------------------------------------- decisions


def test_the_same_seed_gives_the_same_decisions_and_another_seed_others() -> None:
    settings = {"delay": "10ms", "jitter": "20ms", "faultRate": 0.3, "dropRate": 0.2}
    faults = faults_with({**settings, "seed": 7})
    first = [faults.decide("getGroup") for _ in range(200)]
    faults.start_with(faults.parse({**settings, "seed": 7}))
    assert [faults.decide("getGroup") for _ in range(200)] == first
    faults.start_with(faults.parse({**settings, "seed": 8}))
    assert [faults.decide("getGroup") for _ in range(200)] != first
    assert all(0.01 <= d.delay <= 0.03 for d in first) and len({d.delay for d in first}) > 100


def test_rates_and_statuses() -> None:
    faults = faults_with({"faultRate": 0.3, "dropRate": 0.1, "seed": 1})
    decisions = [faults.decide("inviteUser") for _ in range(4000)]
    faulted = [d.status for d in decisions if d.status is not None]
    assert 0.27 < len(faulted) / 4000 < 0.33
    assert 0.08 < sum(d.drop for d in decisions) / 4000 < 0.12
    assert set(faulted) == {400, 401, 403, 404, 409, 413, 415}  # every status inviteUser documents


def test_fault_statuses_narrow_to_what_each_operation_documents() -> None:
    faults = faults_with({"faultRate": 1, "faultStatuses": [404, 409], "seed": 1})
    assert {faults.decide("inviteUser").status for _ in range(100)} == {404, 409}
    assert {faults.decide("getGroup").status for _ in range(100)} == {404}
    assert {faults.decide("listRoles").status for _ in range(100)} == {None}  # documents neither


def test_per_operation_settings_override_the_global_ones() -> None:
    faults = faults_with({"delay": "5ms", "operations": {"getGroup": {"delay": "1s", "dropRate": 1}}})
    assert faults.decide("getGroup") == Decision(1.0, drop=True)
    assert faults.decide("listRoles") == Decision(0.005)


# ---------------------------------------------------------------------- in process


def test_without_settings_nothing_happens(mock: MockApp, http: TestClient) -> None:
    assert not mock.faults.active
    assert http.get(ROLES, headers=auth("alice")).status_code == 200
    assert http.get("/__mock__/behaviour").json() == {
        "session": None,
        "inherited": False,
        "decisions": 0,
        "behaviour": {
            "delay": "0ms",
            "jitter": "0ms",
            "faultRate": 0.0,
            "dropRate": 0.0,
            "faultStatuses": [],
            "seed": None,
            "operations": {},
        },
    }


def test_a_fault_is_a_documented_error_that_changes_nothing(mock: MockApp, http: TestClient) -> None:
    assert put(http, {"faultRate": 1, "faultStatuses": [403, 409], "seed": 2}).status_code == 200
    before = mock.store.export()
    mock.journal.clear()
    body = {
        "email": "new.person@example.com",
        "groupId": "0b1439fc-4d24-51c8-bc78-13349eb3952e",
        "roleId": "viewer",
    }
    headers = {**auth("alice"), "Origin": "http://localhost:5173"}
    response = http.put("/group/invite", json=body, headers=headers)
    assert response.status_code in (403, 409)
    assert response.json()["code"] == {403: "FORBIDDEN", 409: "CONFLICT"}[response.status_code]
    assert "fault injected" in response.json()["message"]
    assert response.headers[FAULT_HEADER] == "error"
    assert response.headers["access-control-allow-origin"] == "*"  # a browser can read it
    assert mock.store.export() == before
    (entry,) = mock.journal.entries(None, None, None)
    assert (entry["operationId"], entry["status"]) == ("inviteUser", response.status_code)


def test_only_documented_operations_are_affected(mock: MockApp, http: TestClient) -> None:
    put(http, {"dropRate": 1})
    assert http.get("/openapi.json").status_code == 200
    assert http.get("/no/such/path").status_code == 404
    assert http.get("/__mock__/health").status_code == 200
    mock.journal.clear()
    with pytest.raises(Dropped):
        http.get(ROLES, headers=auth("alice"))
    assert [e["status"] for e in mock.journal.entries(None, None, None)] == [0]  # journaled, unanswered


def test_a_delay_delays_its_operation(http: TestClient) -> None:
    put(http, {"operations": {"getGroup": {"delay": "150ms"}}})
    started = time.perf_counter()
    http.get("/group", params={"groupId": "x"}, headers=auth("alice"))
    assert time.perf_counter() - started >= 0.15
    assert http.get("/__mock__/behaviour").json()["decisions"] == 1


def test_invalid_settings_are_refused_and_nothing_changes(http: TestClient) -> None:
    put(http, {"faultRate": 0.5, "seed": 1})
    refused = put(http, {"delay": "2m", "faultStatuses": [500]})
    assert refused.status_code == 400
    assert refused.json()["message"] == "Not valid settings; nothing changed"
    assert len(refused.json()["details"]) == 2
    not_json = http.put("/__mock__/behaviour", content=b"{", headers={"Content-Type": "application/json"})
    assert (not_json.status_code, not_json.json()["code"]) == (400, "BAD_REQUEST")
    assert http.get("/__mock__/behaviour").json()["behaviour"]["faultRate"] == 0.5


def test_changing_the_settings_needs_a_header_a_page_cannot_send(http: TestClient) -> None:
    refused = http.put("/__mock__/behaviour", content=b"{}", headers={"Content-Type": "text/plain"})
    assert refused.status_code == 403
    assert http.delete("/__mock__/behaviour").status_code == 403
    assert http.delete("/__mock__/behaviour", headers=CONTROL).status_code == 200


def test_delete_goes_back_to_the_start_settings(mock: MockApp, http: TestClient) -> None:
    mock.faults.start_with(mock.faults.parse({"delay": "1ms"}))
    put(http, {"faultRate": 1})
    after = http.delete("/__mock__/behaviour", headers=CONTROL).json()["behaviour"]
    assert (after["delay"], after["faultRate"]) == ("1ms", 0.0)


def test_a_session_has_settings_of_its_own(mock: MockApp, http: TestClient) -> None:
    assert put(http, {"faultRate": 1}, session="suite-a").json()["session"] == "suite-a"
    a = {**auth("alice"), "X-Mock-Session": "suite-a"}
    b = {**auth("alice"), "X-Mock-Session": "suite-b"}
    assert http.get(ROLES, headers=a).status_code in (400, 401)
    assert http.get(ROLES, headers=b).status_code == 200
    assert http.get(ROLES, headers=auth("alice")).status_code == 200
    view_b = http.get("/__mock__/behaviour", headers={"X-Mock-Session": "suite-b"}).json()
    assert (view_b["inherited"], view_b["behaviour"]["faultRate"]) == (True, 0.0)
    cleared = http.delete("/__mock__/behaviour", headers={**CONTROL, "X-Mock-Session": "suite-a"}).json()
    assert cleared["inherited"] is True
    assert http.get(ROLES, headers=a).status_code == 200
    assert not mock.faults.active  # back on the fast path


def test_a_session_header_must_be_sound_and_name_a_live_session(http: TestClient) -> None:
    bad = http.get("/__mock__/behaviour", headers={"X-Mock-Session": "no spaces"})
    assert (bad.status_code, bad.json()["code"]) == (400, "BAD_REQUEST")
    missing = http.get("/__mock__/behaviour", headers={"X-Mock-Session": "never-used"})
    assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")
    assert put(http, {"delay": "1h"}, session="not-created").status_code == 400
    assert "not-created" not in [s["name"] for s in http.get("/__mock__/sessions").json()["items"]]


# ---------------------------------------------------------------------- over the wire


def outcomes(url: str, count: int) -> list[int | str]:
    """The status of each of `count` requests, or "drop" for a connection closed without an answer."""
    seen: list[int | str] = []
    with httpx.Client(base_url=url, timeout=10) as client:
        for _ in range(count):
            try:
                seen.append(client.get(ROLES, headers=auth("alice")).status_code)
            except httpx.RemoteProtocolError as error:  # "Server disconnected without sending a response"
                assert "without sending a response" in str(error)
                seen.append("drop")
    return seen


def predicted(settings: dict[str, Any], count: int) -> list[int | str]:
    faults = faults_with(settings)
    decisions = [faults.decide("listRoles") for _ in range(count)]
    return ["drop" if d.drop else d.status or 200 for d in decisions]


SETTINGS = {"faultRate": 0.3, "dropRate": 0.2, "seed": 7}


@pytest.mark.slow
def test_the_same_seed_gives_the_same_faults_and_drops_over_the_wire(live: str) -> None:
    runs = []
    try:
        for _ in range(2):
            httpx.put(f"{live}/__mock__/behaviour", json=SETTINGS).raise_for_status()  # the sequence restarts
            runs.append(outcomes(live, 20))
    finally:
        httpx.delete(f"{live}/__mock__/behaviour", headers=CONTROL).raise_for_status()
    assert runs[0] == runs[1] == predicted(SETTINGS, 20)
    assert {"drop", 200} <= set(runs[0]) and {400, 401} & set(runs[0])


@pytest.mark.slow
def test_the_command_line_flags_give_the_seeded_sequence() -> None:
    process, url = start_mock("--fault-rate", "0.3", "--drop-rate", "0.2", "--fault-seed", "7")
    try:
        shown = httpx.get(f"{url}/__mock__/behaviour").json()["behaviour"]
        assert (shown["faultRate"], shown["dropRate"], shown["seed"]) == (0.3, 0.2, 7)
        assert outcomes(url, 30) == predicted(SETTINGS, 30)
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_the_readme_examples_are_valid_settings() -> None:
    import json
    import re

    from ..conftest import ROOT

    readme = (ROOT / "README.md").read_text("utf-8")
    bodies = re.findall(r"-d '([^']*)' ?\S*/__mock__/behaviour", readme.replace("\\\n", " "))
    assert len(bodies) == 2
    faults = spare().faults
    for body in bodies:
        assert faults.parse(json.loads(body)).active
