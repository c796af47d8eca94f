"""`groupkit proxy` (groupkit/proxy/): real traffic through a real uvicorn proxy on loopback to the mock (no
violation) and to broken variants of it (each reported under the right check), pass-through (streaming both
ways, repeated and hop-by-hop headers, methods the contract does not know), tokens never kept, the upstream
down, and the command's reports and exit codes."""

from __future__ import annotations

import asyncio
import copy
import gzip
import json
import signal
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from groupkit import contract
from groupkit.app import create_app
from groupkit.handlers import OPERATIONS
from groupkit.problems import Problems
from groupkit.proxy.cli import server_config
from groupkit.proxy.exchange import Exchange
from groupkit.proxy.forward import Proxy
from groupkit.proxy.record import Record
from groupkit.proxy.rules import Rules
from tests.conformance.sabotage.seams import answering, operation, rewriting
from tests.conftest import GROUPKIT, TOKENS, free_port, serve, serve_config

ALICE = {"Authorization": TOKENS["alice"]}
RULES = Rules(contract.default())
PROBLEMS = Problems.of(contract.default())


def serving(proxy: Any) -> Any:
    """The proxy (an ASGI app) on a free loopback port, configured as `groupkit proxy` configures it; its URL."""
    return serve_config(server_config(proxy, PROBLEMS, log_level="error"))


class Variants:
    """One upstream for every test: `/v/NAME/...` is served by variant NAME (a wrapper around one shared mock
    or a bare ASGI app) with `/v/NAME` taken off the path, so a proxy's --upstream ends in `/v/NAME`."""

    def __init__(self) -> None:
        self.mock = create_app(seed=7)
        self.apps: dict[str, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        _, _, name, rest = scope["path"].split("/", 3) if scope["path"].count("/") >= 3 else ("", "", "", "")
        prefix = f"/v/{name}".encode()
        raw = scope.get("raw_path") or scope["path"].encode()
        scoped = {**scope, "path": "/" + rest, "raw_path": raw[len(prefix) :]}
        await self.apps[name](scoped, receive, send)


class Front:
    """The proxies' server for every test: each request goes to the `current` proxy (one per test, so each
    has its own record and client), counted while in flight, so that a test can wait for its checks."""

    def __init__(self) -> None:
        self.current: Proxy | None = None
        self.active = 0
        self.loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.current is None:
            return
        self.loop = asyncio.get_running_loop()
        self.active += 1
        try:
            await self.current(scope, receive, send)
        finally:
            self.active -= 1

    def settle(self) -> None:
        """Wait until every exchange sent so far is checked and recorded (the proxy checks after answering)."""
        deadline = time.monotonic() + 10
        while self.active:
            assert time.monotonic() < deadline, "the proxy did not settle"
            time.sleep(0.002)

    def retire(self, proxy: Proxy) -> None:
        if self.loop is not None:
            asyncio.run_coroutine_threadsafe(proxy.aclose(), self.loop).result(timeout=10)
        self.current = None


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[Variants, str]]:
    variants = Variants()
    with serve(variants) as url:
        yield variants, url


@pytest.fixture(scope="module")
def front() -> Iterator[tuple[Front, str]]:
    front = Front()
    with serving(front) as url:
        yield front, url


@pytest.fixture
def proxied(upstream: tuple[Variants, str], front: tuple[Front, str]) -> Callable[..., Any]:
    """`proxied(middleware or app, strict_fields=False)`: a proxy in front of the mock wrapped in `middleware`
    (or in front of a bare `app`); its URL and record, complete once the block ends."""
    variants, base = upstream
    server, url = front

    @contextmanager
    def start(
        wrap: Any = None, *, app: Any = None, strict_fields: bool = False
    ) -> Iterator[tuple[str, Record]]:
        name = f"n{len(variants.apps)}"
        variants.apps[name] = app if app is not None else (wrap(variants.mock) if wrap else variants.mock)
        record = Record(f"{base}/v/{name}", log=lambda _line: None)
        rules = Rules(contract.default(), strict_fields=True) if strict_fields else RULES
        proxy = Proxy(f"{base}/v/{name}", rules, record, timeout=5)
        server.current = proxy
        try:
            yield url, record
            server.settle()
        finally:
            server.retire(proxy)

    return start


def checks_of(record: Record) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in record.findings.values():
        found.setdefault(finding.check, []).append(finding.message)
    return found


def a_frontends_day(client: httpx.Client) -> None:
    """What a frontend does: lists, reads, creates, updates, invites, API keys, and a few refusals."""
    groups = client.get("/user/groups", headers=ALICE).json()["items"]
    group = groups[0]["id"]
    assert client.get("/group", params={"groupId": group}, headers=ALICE).status_code == 200
    for path in ("/group/users", "/group/devices"):
        assert client.get(path, params={"groupId": group, "limit": 5}, headers=ALICE).status_code == 200
    assert client.get("/group/roles", headers=ALICE).status_code == 200
    created = client.post("/group", params={"parentId": group}, json={"name": "Proxy test"}, headers=ALICE)
    assert created.status_code == 200, created.text
    new = created.json()["id"]
    assert client.put("/group", json={"groupId": new, "name": "Renamed"}, headers=ALICE).status_code == 200
    key = {"groupId": new, "type": "SIGFOX", "token": "sigfox-secret-1", "name": "k"}
    assert client.post("/group/apiKey", json=key, headers=ALICE).status_code == 200
    assert (
        client.delete("/group/apiKey", params={"groupId": new, "type": "SIGFOX"}, headers=ALICE).status_code
        == 200
    )
    invite = {"email": "proxy.test@example.org", "groupId": new, "roleId": "viewer"}
    assert client.put("/group/invite", json=invite, headers=ALICE).status_code == 200
    assert client.get("/group", params={"groupId": "no-such-group"}, headers=ALICE).status_code == 404
    assert client.get("/user/groups").status_code == 401
    assert client.patch("/group", headers=ALICE).status_code == 405


def test_traffic_to_the_mock_has_no_violation(proxied: Callable[..., Any]) -> None:
    with proxied() as (url, record), httpx.Client(base_url=url) as client:
        a_frontends_day(client)
    assert record.findings == {}, checks_of(record)
    assert record.exchanges == 13
    assert record.coverage["GET /group"].statuses == {200: 1, 404: 1}
    assert "response_schema_conformance" in record.coverage["POST /group"].checks


def renamed_owner(answer: Any) -> Any:
    """A Group (or a list of them, as GET /group answers) with `owner_id` for `ownerId`."""
    if isinstance(answer, list):
        return [renamed_owner(item) for item in answer]
    if isinstance(answer, dict) and "ownerId" in answer:
        answer = {("owner_id" if key == "ownerId" else key): value for key, value in answer.items()}
    return answer


def edited_json(method: str, path: str, edit: Callable[[Any], Any]) -> Any:
    """Middleware that passes the mock's 200 JSON answers to `method path` through `edit`."""

    def rewrite(status: int, headers: Any, body: bytes) -> Any:
        return (
            (status, headers, json.dumps(edit(json.loads(body))).encode())
            if status == 200
            else (status, headers, body)
        )

    return rewriting(operation(method, path), response=rewrite)


BROKEN: dict[str, tuple[Any, str, str]] = {
    # variant: the middleware around the mock, the check that must report it, the request that shows it
    "renamed-field": (
        edited_json("GET", "/group", renamed_owner),
        "response_fields_are_documented",
        "GET /group?groupId={group}",
    ),
    "404-as-400": (
        rewriting(operation("GET", "/group"), response=lambda s, h, b: (400 if s == 404 else s, h, b)),
        "error_body_conforms",
        "GET /group?groupId=no-such-group",
    ),
    "text-error": (
        rewriting(
            operation("GET", "/group"),
            response=lambda s, h, b: (
                (s, [(b"content-type", b"text/plain")], b"Not Found") if s == 404 else (s, h, b)
            ),
        ),
        "error_body_conforms",
        "GET /group?groupId=no-such-group",
    ),
    "wrong-type": (
        edited_json(
            "GET", "/group/roles", lambda answer: {**answer, "items": [{**answer["items"][0], "name": 5}]}
        ),
        "response_schema_conformance",
        "GET /group/roles",
    ),
    "undocumented-status": (
        rewriting(operation("GET", "/group/roles"), response=lambda s, h, b: (202, h, b)),
        "status_code_conformance",
        "GET /group/roles",
    ),
    "server-error": (
        rewriting(
            operation("GET", "/group/roles"),
            response=lambda s, h, b: (500, h, b'{"message": "x", "code": "INTERNAL_ERROR"}'),
        ),
        "not_a_server_error",
        "GET /group/roles",
    ),
}


@pytest.mark.parametrize("variant", sorted(BROKEN))
def test_a_broken_server_is_reported_under_the_right_check(proxied: Callable[..., Any], variant: str) -> None:
    arguments, check, request = BROKEN[variant]
    # (the variants sit between the mock and the proxy, so the mock's own response validation cannot hide them)
    with proxied(arguments) as (url, record), httpx.Client(base_url=url) as client:
        group = client.get("/user/groups", headers=ALICE).json()["items"][0]["id"]
        method, target = request.format(group=group).split(" ")
        direct = client.request(method, target, headers=ALICE)  # what a plain request shows
    # (the proxy checks an exchange once its answer is sent: the record is complete once the block ended)
    assert record.exchanges == 2
    found = checks_of(record)
    assert check in found, found
    assert direct.status_code in record.coverage[f"{method} {target.split('?')[0]}"].statuses


def test_a_near_miss_is_a_violation_and_other_undocumented_fields_warnings_unless_strict(
    proxied: Callable[..., Any],
) -> None:
    extra = edited_json("GET", "/group/roles", lambda answer: {**answer, "extra": 1})
    with proxied(extra) as (url, record), httpx.Client(base_url=url) as client:
        client.get("/group/roles", headers=ALICE)
    assert record.findings == {}
    assert [message for message, _ in record.warnings.values()] == [
        "GET /group/roles answered 200 with the undocumented property /extra"
    ]
    with (
        proxied(extra, strict_fields=True) as (url, record),
        httpx.Client(base_url=url) as client,
    ):
        client.get("/group/roles", headers=ALICE)
    assert list(checks_of(record)) == ["response_fields_are_documented"]


def test_a_broken_request_is_a_warning_and_accepting_it_a_violation(proxied: Callable[..., Any]) -> None:
    accepting = rewriting(
        operation("GET", "/group"), response=lambda s, h, b: (200, h, b'[{"id": "g", "userId": "u"}]')
    )
    with proxied(accepting) as (url, record), httpx.Client(base_url=url) as client:
        assert client.get("/group", headers=ALICE).status_code == 200  # no groupId, which is required
    assert [message for message, _ in record.warnings.values()] == [
        "GET /group sent no 'groupId' query parameter, which is required"
    ]
    assert list(checks_of(record)) == ["negative_data_rejection"]


# ------------------------------------------------------------------ pass-through, with a bare upstream


class Echo:
    """An upstream that answers what it received (method, path, query, headers, body size) and streams its
    answer in two chunks, the second only once `release` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        size = 0
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        seen = {
            "method": scope["method"],
            "target": scope["raw_path"].decode() + "?" + scope["query_string"].decode(),
            "headers": [[k.decode(), v.decode()] for k, v in scope["headers"]],
            "size": size,
        }
        headers = [
            (b"content-type", b"application/x-ndjson"),
            (b"set-cookie", b"a=1"),
            (b"set-cookie", b"b=2"),
        ]
        headers += [(b"connection", b"x-hop"), (b"x-hop", b"dropped"), (b"x-kept", b"1")]
        await send(
            {
                "type": "http.response.start",
                "status": 207 if scope["method"] == "PROPFIND" else 200,
                "headers": headers,
            }
        )
        await send(
            {"type": "http.response.body", "body": json.dumps(seen).encode() + b"\n", "more_body": True}
        )
        if scope["path"] == "/stream":
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 10)
        await send({"type": "http.response.body", "body": b'{"end": true}\n'})


def test_methods_paths_and_headers_are_forwarded_unchanged_but_hop_by_hop(
    proxied: Callable[..., Any],
) -> None:
    echo = Echo()
    with proxied(app=echo) as (url, record), httpx.Client(base_url=url) as client:
        answer = client.request(
            "PROPFIND",
            "/any/where%2Fx?b=2&a=1&a=3",
            headers=[
                ("X-Multi", "1"),
                ("X-Multi", "2"),
                ("Connection", "keep-alive, X-Private"),
                ("X-Private", "p"),
            ],
        )
    seen = json.loads(answer.text.splitlines()[0])
    assert answer.status_code == 207
    assert (seen["method"], seen["target"]) == ("PROPFIND", "/any/where%2Fx?b=2&a=1&a=3")
    assert [v for k, v in seen["headers"] if k == "x-multi"] == ["1", "2"]
    assert not {"x-private", "connection"} & {k for k, _ in seen["headers"]}
    assert answer.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert answer.headers["x-kept"] == "1" and "x-hop" not in answer.headers
    assert answer.headers.get_list("server") == ["uvicorn"]  # the upstream's; the proxy adds none of its own
    assert len(answer.headers.get_list("date")) == 1
    assert record.findings == {} and record.unknown == {"PROPFIND /any/where/x": 1}


def test_cookies_the_upstream_sets_reach_the_client_and_are_never_kept(
    proxied: Callable[..., Any], front: tuple[Front, str]
) -> None:
    with proxied(app=Echo()) as (url, _):
        proxy = front[0].current
        assert proxy is not None
        with httpx.Client(base_url=url) as first:
            assert first.get("/one").headers.get_list("set-cookie") == ["a=1", "b=2"]
            assert dict(first.cookies) == {"a": "1", "b": "2"}  # the client's own jar has them
        with httpx.Client(base_url=url) as second:  # another client of the proxy
            seen = json.loads(second.get("/two").text.splitlines()[0])
        assert len(proxy.client.cookies.jar) == 0  # httpx's jar would hold both, shared by every client
    assert "cookie" not in {name for name, _ in seen["headers"]}


def test_bodies_stream_both_ways(proxied: Callable[..., Any]) -> None:
    echo = Echo()
    chunks = [b"x" * 65536] * 40  # 2.5 MiB: more than the proxy keeps for checking

    def upload() -> Iterator[bytes]:
        yield from chunks

    with proxied(app=echo) as (url, _), httpx.Client(base_url=url, timeout=10) as client:
        with client.stream("POST", "/stream", content=upload()) as answer:
            lines = answer.iter_lines()
            first = json.loads(next(lines))  # arrives while the upstream still holds the rest back
            echo.release.set()
            rest = list(lines)
    assert first["size"] == sum(map(len, chunks))
    assert ["transfer-encoding", "chunked"] in first["headers"]
    assert rest == ['{"end": true}']


def test_tokens_cookies_and_secret_fields_are_never_kept(proxied: Callable[..., Any], tmp_path: Path) -> None:
    lines: list[str] = []
    with proxied(edited_json("GET", "/group", renamed_owner)) as (url, record):
        record.log = lines.append
        with httpx.Client(base_url=url) as client:
            group = client.get("/user/groups", headers=ALICE).json()["items"][0]["id"]
            client.get(
                "/group",
                params={"groupId": group, "token": "query-secret"},
                headers={**ALICE, "Cookie": "s=cookie-secret", "X-Api-Key": "header-secret"},
            )
            key = {"groupId": group, "type": "TTI", "token": "body-secret", "name": "k"}
            client.post("/group/apiKey", json=key, headers=ALICE)
    from groupkit.proxy.report import markdown

    result = record.result(True, RULES.documented_paths)
    record.write_journal(tmp_path / "journal.json")
    written = (tmp_path / "journal.json").read_text() + markdown(result, record.upstream) + "\n".join(lines)
    assert "response_fields_are_documented" in written  # the reports do hold the exchange
    for secret in (
        "demo-token-alice",
        "query-secret",
        "cookie-secret",
        "header-secret",
        "body-secret",
        "gtk_",
    ):
        assert secret not in written


def test_an_upstream_that_does_not_answer_gets_a_502_error_body(front: tuple[Front, str]) -> None:
    server, url = front
    down = f"http://127.0.0.1:{free_port()}"
    record = Record(down, log=lambda _line: None)
    proxy = server.current = Proxy(down, RULES, record, timeout=2)
    try:
        answer = httpx.get(f"{url}/user/groups", headers=ALICE)
        server.settle()
    finally:
        server.retire(proxy)
    assert answer.status_code == 502
    assert (
        answer.json()["code"] == "SERVICE_UNAVAILABLE" and "could not be reached" in answer.json()["message"]
    )
    assert record.findings == {} and len(record.errors) == 1
    assert record.errors[0].startswith(f"GET /user/groups: {down} could not be reached: ")


def gzipped(s: int, h: list[tuple[bytes, bytes]], b: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = gzip.compress(b.replace(b'"ownerId"', b'"owner_id"'))
    headers = [(k, v) for k, v in h if k.lower() != b"content-length"] + [(b"content-encoding", b"gzip")]
    return s, headers + [(b"content-length", str(len(body)).encode())], body


def test_a_compressed_answer_is_forwarded_as_is_and_checked_decompressed(proxied: Callable[..., Any]) -> None:
    compressing = rewriting(operation("GET", "/user/groups"), response=gzipped)
    with proxied(compressing) as (url, record), httpx.Client(base_url=url) as client:
        answer = client.get("/user/groups", headers=ALICE)
    assert answer.headers["content-encoding"] == "gzip" and answer.json()["items"]
    assert list(checks_of(record)) == ["response_fields_are_documented"]


# ------------------------------------------------------------------ the command


def run_proxy(upstream: str, tmp_path: Path, drive: Callable[[httpx.Client], None]) -> tuple[int, str, Path]:
    port = free_port()
    process = subprocess.Popen(
        [
            *GROUPKIT,
            "proxy",
            "--upstream",
            upstream,
            "--port",
            str(port),
            "--fail-on-violation",
            "--junit",
            str(tmp_path / "reports" / "proxy.xml"),
            "--markdown",
            str(tmp_path / "reports" / "proxy.md"),
            "--journal",
            str(tmp_path / "journal.json"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/__no_such_path__")
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, process.communicate()[1]
                time.sleep(0.1)
        with httpx.Client(base_url=url) as client:
            drive(client)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    finally:
        process.kill()
    return process.returncode, stderr, tmp_path


@pytest.mark.slow
def test_the_command_exits_0_on_the_mock_and_1_on_a_broken_variant_with_its_reports(tmp_path: Path) -> None:
    with serve(create_app(seed=7)) as upstream:
        code, stderr, _ = run_proxy(upstream, tmp_path / "good", a_frontends_day)
    assert code == 0, stderr
    assert "14 exchange(s), 0 violation(s)"  # 13 and the readiness probe in stderr
    broken = {"operations": {**OPERATIONS, "getGroup": answering(OPERATIONS["getGroup"], renamed_owner)}}

    def read_a_group(client: httpx.Client) -> None:
        group = client.get("/user/groups", headers=ALICE).json()["items"][0]["id"]
        assert "owner_id" in client.get("/group", params={"groupId": group}, headers=ALICE).json()[0]

    with serve(create_app(seed=7, **broken)) as upstream:
        code, stderr, folder = run_proxy(upstream, tmp_path / "bad", read_a_group)
    assert code == 1, stderr
    line = "groupkit proxy: violation response_fields_are_documented: GET /group answered 200 with the undocumented property /0/owner_id, a near miss of the documented 'ownerId'"
    assert line in stderr.splitlines()
    suite = ET.parse(folder / "reports" / "proxy.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("name") == "groupkit proxy" and suite.get("failures") == "1"
    failure = suite.find("testcase[@name='GET /group']/failure")
    assert failure is not None and failure.get("type") == "response_fields_are_documented"
    assert "❌" in (folder / "reports" / "proxy.md").read_text()
    journal = json.loads((folder / "journal.json").read_text())
    assert [entry["status"] for entry in journal] == [404, 200, 200]  # the readiness probe, then two reads
    assert "demo-token" not in (folder / "journal.json").read_text() + stderr


# ------------------------------------------------------------------ the rules alone (no traffic)


def exchange(method: str, path: str, status: int, body: Any = None, **parts: Any) -> Exchange:
    encoded = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    defaults: dict[str, Any] = {
        "query": "",
        "request_type": "",
        "request_body": b"",
        "response_type": "application/json",
    }
    return Exchange(method, path, response_body=encoded, status=status, **{**defaults, **parts})


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        pytest.param(
            {"query": "limit=abc"}, "GET /group/roles sent limit='abc', not an integer", id="integer"
        ),
        pytest.param(
            {"query": "limit=0"},
            "GET /group/roles sent limit='0': /: 0 is less than the minimum of 1",
            id="minimum",
        ),
    ],
)
def test_query_parameters_are_checked(parts: dict[str, Any], expected: str) -> None:
    assert [p.message for p in RULES.request_problems(exchange("GET", "/group/roles", 400, **parts))] == [
        expected
    ]


def test_request_bodies_are_checked_for_media_type_json_and_schema() -> None:
    def said(body: bytes, kind: str = "application/json") -> list[str]:
        sent = exchange("PUT", "/group", 400, request_body=body, request_type=kind)
        return [p.message for p in RULES.request_problems(sent)]

    assert said(b'{"groupId": "g"}') == []
    assert said(b'{"groupId": "g"}', "text/plain") == [
        "PUT /group sent a body of type 'text/plain'; the contract takes application/json"
    ]
    assert said(b"{nope") == ["PUT /group sent a body that is not JSON: '{nope'"]
    assert said(b'{"name": "x"}') == [
        "PUT /group sent a body that breaks the schema at /: 'groupId' is a required property"
    ]


def test_a_405_to_an_undocumented_method_is_held_to_the_error_body_and_a_2xx_is_a_violation() -> None:
    allowed = {"message": "no", "code": "METHOD_NOT_ALLOWED"}
    assert RULES.response_problems(exchange("PATCH", "/group", 405, allowed), False) == ([], set())
    wrong_code, _ = RULES.response_problems(
        exchange("PATCH", "/group", 405, {"message": "no", "code": "NOT_FOUND"}), False
    )
    assert [p.check for p in wrong_code] == ["error_body_conforms"]
    accepted, _ = RULES.response_problems(exchange("PATCH", "/group", 200, {}), False)
    assert [p.check for p in accepted] == ["unsupported_method"]
    assert RULES.response_problems(exchange("OPTIONS", "/group", 200, b""), False) == ([], set())
    assert RULES.response_problems(exchange("GET", "/elsewhere", 200, b"x"), False) == ([], set())


def test_an_answer_the_checks_cannot_read_is_forwarded_and_reported_as_an_error(
    proxied: Callable[..., Any],
) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000  # json.loads raises RecursionError, not ValueError
    nested = rewriting(operation("GET", "/group/roles"), response=lambda s, h, b: (s, h, deep))
    with proxied(nested) as (url, record), httpx.Client(base_url=url) as client:
        assert client.get("/group/roles", headers=ALICE).content == deep
        assert client.get("/user/groups", headers=ALICE).status_code == 200  # and the proxy goes on
    assert record.exchanges == 1
    [error] = record.errors
    assert error.startswith("GET /group/roles: the exchange could not be checked: RecursionError(")


def test_the_journal_keeps_the_last_exchanges_only_and_counts_them_all(tmp_path: Path) -> None:
    record = Record("http://127.0.0.1:1", size=2, log=lambda _line: None)
    for status in (200, 404, 401):
        record.add(exchange("GET", "/group/roles", status, {}), "GET /group/roles", [], [], set(), 1.0)
    record.write_journal(tmp_path / "deep" / "journal.json")  # its folder is created
    assert [entry["status"] for entry in json.loads((tmp_path / "deep" / "journal.json").read_text())] == [
        404,
        401,
    ]
    assert record.exchanges == 3 and record.coverage["GET /group/roles"].seen() == "200×1, 401×1, 404×1"


@pytest.mark.slow
def test_a_templated_path_finds_its_operation() -> None:
    document = copy.deepcopy(contract.default())
    document["paths"]["/group/{groupId}/notes"] = {
        "get": {"operationId": "listNotes", "responses": {"200": {"description": "ok"}}}
    }
    rules = Rules(document)
    assert rules.operation_label("GET", "/group/g-1/notes") == "GET /group/{groupId}/notes"
    assert rules.operation_label("GET", "/group/g-1/notes/more") is None
    [problem] = rules.response_problems(exchange("POST", "/group/g-1/notes", 200, {}), False)[0]
    assert (
        problem.check == "unsupported_method"
        and "documents only GET for /group/{groupId}/notes" in problem.message
    )
