"""The hostile-input catalogue: what a fuzzer, a careless script or an attacker sends, byte for byte over a real
socket to the mock as `groupkit mock` serves it (`groupkit.server`). Each kind must get its documented status
with the contract's JSON `Error` body, leave the server answering a normal request, and leave the state as it
was. Then the same requests spelled in ways HTTP allows must be served."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from groupkit import contract
from tests.conftest import CONTROL, DEFAULT_WORLD, TOKENS, group_id

DOCUMENT = contract.default()
ERROR = contract.component(DOCUMENT, "Error")
TABLE = contract.error_table(DOCUMENT)
ACME = group_id(DEFAULT_WORLD, "ACME Logistics")
ALICE = TOKENS["alice"].encode()
JSON = b"application/json"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def exchange(url: str, data: bytes, *, wait: float = 10.0) -> Reply:
    """Sends `data` as it is and reads one response; the server must answer (or close) within `wait` s."""
    address = urlsplit(url)
    with socket.create_connection((address.hostname, address.port), timeout=wait) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before it read everything: its answer is still to be read
        received = b""
        deadline = time.monotonic() + wait
        while True:
            assert time.monotonic() < deadline, f"no complete answer within {wait} s: {received[:200]!r}"
            head, _, body = received.partition(b"\r\n\r\n")
            if _ and not head.startswith(b"HTTP/1.1 100 "):
                lines = head.decode("latin-1").split("\r\n")
                headers = dict(line.lower().split(": ", 1) for line in lines[1:])
                if len(body) >= int(headers.get("content-length", "0")):
                    return Reply(int(lines[0].split()[1]), headers, body)
            elif _:  # an interim 100 Continue: drop it and read on
                received = body
                continue
            chunk = sock.recv(65536)
            assert chunk, f"the server closed the connection without an answer: {received[:200]!r}"
            received += chunk


def request(
    method: bytes = b"POST",
    target: bytes = b"/group",
    body: bytes | None = None,
    headers: tuple[tuple[bytes, bytes], ...] | None = None,
    *,
    content_type: bytes | None = JSON,
    length: bool = True,
) -> bytes:
    """One HTTP/1.1 request, written out: Host and Alice's token unless `headers` replaces them."""
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1"]
    for name, value in headers if headers is not None else ((b"Authorization", ALICE),):
        lines.append(name + b": " + value)
    if content_type is not None and body is not None:
        lines.append(b"Content-Type: " + content_type)
    if length and body is not None:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")


def chunked(method: bytes, target: bytes, *chunks: bytes, extra: bytes = b"") -> bytes:
    head = method + b" " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + ALICE + b"\r\n"
    head += b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n" + extra + b"\r\n"
    return head + b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"


def get(target: bytes, *headers: tuple[bytes, bytes]) -> bytes:
    return request(b"GET", target, None, ((b"Authorization", ALICE), *headers))


BIG = 70 * 1024
CASES = [
    # ------------------------------------------------------------------ headers
    pytest.param(request(body=b'{"name": "x"}', content_type=None), 415, id="body-without-content-type"),
    pytest.param(request(body=b'{"name": "x"}', content_type=b"text/plain"), 415, id="content-type-text"),
    pytest.param(
        request(body=b"name=x", content_type=b"application/x-www-form-urlencoded"),
        415,
        id="content-type-form",
    ),
    pytest.param(
        request(body=b'{"name": "\xe9"}', content_type=b"application/json; charset=latin-1"),
        415,
        id="charset-not-utf8",
    ),
    pytest.param(
        request(body=b'{"name": "x"}', content_type=b"application/json;charset=nonsense"),
        415,
        id="charset-unknown",
    ),
    pytest.param(
        request(
            body=b"\x1f\x8b\x08\x00\x00", headers=((b"Authorization", ALICE), (b"Content-Encoding", b"gzip"))
        ),
        415,
        id="content-encoding-gzip",
    ),
    pytest.param(
        request(
            body=b'{"name": "\xff"}',
            headers=((b"Authorization", ALICE), (b"Content-Type", JSON), (b"Content-Type", b"text/plain")),
            content_type=None,
        ),
        400,
        id="content-type-twice",
    ),
    pytest.param(get(b"/group/roles", (b"Authorization", b"demo-token-dan")), 400, id="authorization-twice"),
    pytest.param(get(b"/group/roles", (b"Host", b"127.0.0.1")), 403, id="host-twice"),  # groupkit.hosts
    pytest.param(get(b"/group/roles", (b"X-Big", b"a" * 40_000)), 431, id="header-too-large"),
    pytest.param(
        get(b"/group/roles", *((b"X-H%d" % i, b"v" * 10) for i in range(2500))), 431, id="too-many-headers"
    ),
    pytest.param(get(b"/group/roles", (b"Bad Name", b"x")), 400, id="header-name-with-space"),
    pytest.param(get(b"/group/roles", (b"X-Ctl", b"a\x01b")), 400, id="header-value-control-char"),
    pytest.param(
        request(body=b'{"name": "x"}', headers=((b"Authorization", ALICE), (b"Content-Length", b"3"))),
        400,
        id="content-length-conflict",
    ),
    pytest.param(
        request(body=b"{}", headers=((b"Authorization", ALICE), (b"Content-Length", b"two")), length=False),
        400,
        id="content-length-not-a-number",
    ),
    pytest.param(
        chunked(b"POST", b"/group", b'{"name": "x"}', extra=b"Content-Length: 13\r\n"),
        400,
        id="content-length-and-chunked",
    ),
    pytest.param(
        request(
            body=b"zz\r\n{}\r\n0\r\n\r\n",
            headers=((b"Authorization", ALICE), (b"Transfer-Encoding", b"chunked")),
            length=False,
        ),
        400,
        id="chunk-size-not-hex",
    ),
    pytest.param(request(b"GET", b"/group/roles", None, ()), 401, id="no-token"),
    pytest.param(
        request(b"GET", b"/group/roles", None, ((b"Authorization", b"nope"),)), 401, id="unknown-token"
    ),
    pytest.param(
        request(b"GET", b"/group/roles", None, ((b"Authorization", b"\xff\xfe"),)), 401, id="token-not-ascii"
    ),
    pytest.param(
        request(b"GET", b"/group/roles", None, ((b"Authorization", b"Bearer"),)), 401, id="bearer-alone"
    ),
    # ------------------------------------------------------------------ bodies
    pytest.param(request(body=b'{"name": }'), 400, id="json-malformed"),
    pytest.param(request(body=b'{"name": "x"'), 400, id="json-truncated"),
    pytest.param(request(body=b'{"name": "\xff\xfe"}'), 400, id="body-not-utf8"),
    pytest.param(request(body=b'\xef\xbb\xbf{"name": "x"}'), 400, id="byte-order-mark"),
    pytest.param(request(body='{"name": "x"}'.encode("utf-16")), 400, id="body-utf16"),
    pytest.param(request(body=b"[" * 1000 + b"]" * 1000), 400, id="nested-1000"),
    pytest.param(
        request(body=b'{"name": "x", "t": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"), 400, id="nested-30000"
    ),
    pytest.param(request(body=b'{"name": "x", "n": ' + b"9" * 5000 + b"}"), 400, id="integer-5000-digits"),
    pytest.param(request(body=b'{"name": "x", "n": NaN}'), 400, id="nan"),
    pytest.param(request(body=b'{"name": "x", "n": -Infinity}'), 400, id="infinity"),
    pytest.param(request(body=b'{"name": "x", "n": 1e999}'), 400, id="number-overflows"),
    pytest.param(request(body=b'{"name": "x\\ud800"}'), 400, id="lone-surrogate"),
    pytest.param(request(body=b'{"name": "x", "\\udfff": 1}'), 400, id="lone-surrogate-in-a-name"),
    pytest.param(request(body=b'{"name": "x", "name": "y"}'), 400, id="name-twice"),
    pytest.param(request(body=b'{"name": "a\x01b"}'), 400, id="raw-control-character"),
    pytest.param(request(body=b'["x"]'), 400, id="body-an-array"),
    pytest.param(request(body=b"null"), 400, id="body-null"),
    pytest.param(request(body=b""), 400, id="body-empty"),
    pytest.param(request(body=b"  \r\n "), 400, id="body-whitespace"),
    pytest.param(request(body=b'{"name": 5}'), 400, id="field-wrong-type"),
    pytest.param(request(body=b'{"name": "' + b"x" * BIG + b'"}'), 413, id="body-too-large"),
    pytest.param(chunked(b"POST", b"/group", *[b"x" * 8192] * 9), 413, id="chunked-body-too-large"),
    pytest.param(
        request(
            body=b"",
            headers=(
                (b"Authorization", ALICE),
                (b"Expect", b"100-continue"),
                (b"Content-Length", str(BIG).encode()),
            ),
            length=False,
        ),
        413,
        id="expect-continue-too-large",
    ),
    # ------------------------------------------------------------------ methods
    pytest.param(request(b"FOO", b"/group/roles"), 400, id="method-unknown"),
    pytest.param(request(b"get", b"/group/roles"), 400, id="method-lower-case"),
    pytest.param(request(b"TRACE", b"/group/roles"), 405, id="method-trace"),
    pytest.param(request(b"PATCH", b"/group", b"{}"), 405, id="method-undocumented"),
    # ------------------------------------------------------------------ paths
    pytest.param(get(b"/group/roles/"), 404, id="trailing-slash"),
    pytest.param(get(b"/group//roles"), 404, id="double-slash"),
    pytest.param(get(b"/no/such/path"), 404, id="unknown-path"),
    pytest.param(get(b"/group/%ff"), 404, id="path-percent-not-utf8"),
    pytest.param(get(b"/group/r\xc3\xb4les"), 400, id="path-not-ascii"),
    pytest.param(get(b"/group/roles/" + b"a" * 9000), 414, id="path-too-long"),
    pytest.param(
        get(b"/group/roles?" + b"&".join(b"p%d=1" % i for i in range(10_000))), 414, id="query-10k-parameters"
    ),
    # ------------------------------------------------------------------ query strings
    pytest.param(get(b"/group/roles?limit=abc"), 400, id="limit-not-a-number"),
    pytest.param(get(b"/group/roles?limit=0"), 400, id="limit-zero"),
    pytest.param(get(b"/group/roles?limit=101"), 400, id="limit-too-high"),
    pytest.param(get(b"/group/roles?limit=" + b"9" * 5000), 400, id="limit-5000-digits"),
    pytest.param(get(b"/group/roles?nextToken=forged"), 400, id="next-token-forged"),
    pytest.param(get(b"/group?groupId=%00"), 404, id="group-id-nul"),
    pytest.param(get(b"/group?groupId=" + ACME.encode() + b"%ff"), 404, id="group-id-not-utf8"),
    # ------------------------------------------------------------------ protocol
    pytest.param(b"GARBAGE\r\n\r\n", 400, id="request-line-garbage"),
    pytest.param(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, id="http2-preface"),
    pytest.param(b"GET HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400, id="request-target-missing"),
    pytest.param(b"GET /group/roles HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n", 400, id="http-version-unknown"),
    pytest.param(b"GET /group/\x00roles HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400, id="nul-in-request-line"),
    pytest.param(b"\x16\x03\x01\x00\xa5\x01\x00\xa1\x03\x03", 400, id="tls-client-hello"),
]


def assert_documented_error(reply: Reply, status: int) -> dict[str, Any]:
    assert reply.status == status, (reply.status, reply.body[:300])
    assert reply.headers["content-type"] == "application/json", reply.headers
    body = json.loads(reply.body)
    ERROR.validate(body)  # the contract's Error schema: message, code (its enum), details
    assert TABLE.status_of_code[body["code"]] == status, body
    assert body["message"]
    return body


@pytest.fixture
def state(client: httpx.Client) -> Any:
    return client.get("/__mock__/state").json()


@pytest.mark.parametrize("data, status", CASES)
def test_hostile_input_gets_its_documented_error(
    live: str, client: httpx.Client, state: Any, data: bytes, status: int
) -> None:
    assert_documented_error(exchange(live, data), status)
    assert client.get("/group/roles", headers={"Authorization": TOKENS["alice"]}).status_code == 200
    assert client.get("/__mock__/state").json() == state  # nothing stored was touched


def test_the_catalogue_covers_at_least_40_kinds() -> None:
    assert len({case.id for case in CASES}) == len(CASES) >= 40


# ------------------------------------------------------------------------- what HTTP allows is served


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            request(body=b'{"name": "Upper"}', content_type=b"Application/JSON"), id="media-type-case"
        ),
        pytest.param(
            request(body=b'{"name": "Charset"}', content_type=b"application/json; charset=UTF-8"),
            id="charset-utf8",
        ),
        pytest.param(chunked(b"POST", b"/group", b'{"name": ', b'"Chunked"}'), id="chunked-body"),
        pytest.param(
            request(
                body=b'{"name": "Continue"}',
                headers=((b"Authorization", ALICE), (b"Expect", b"100-continue")),
            ),
            id="expect-continue",
        ),
        pytest.param(
            request(
                body=b'{"name": "Identity"}',
                headers=((b"Authorization", ALICE), (b"Content-Encoding", b"identity")),
            ),
            id="content-encoding-identity",
        ),
        pytest.param(
            request(body='{"name": "Ünïcödé \\ud83d\\ude00"}'.encode()), id="unicode-and-surrogate-pair"
        ),
    ],
)
def test_a_body_spelled_as_http_allows_is_served(live: str, client: httpx.Client, data: bytes) -> None:
    reply = exchange(live, data)
    assert reply.status == 200, reply.body[:300]
    created = json.loads(reply.body)
    listed = client.get("/user/groups", params={"limit": 100}, headers={"Authorization": TOKENS["alice"]})
    assert created["id"] in [group["id"] for group in listed.json()["items"]]
    exported = client.get("/__mock__/state")  # what was stored serialises
    assert exported.status_code == 200
    assert created["name"] in [group["name"] for group in exported.json()["groups"]]


def test_the_control_api_import_refuses_what_json_cannot_carry(client: httpx.Client, state: Any) -> None:
    """`PUT /__mock__/state` reads strict JSON too: a world with NaN or a lone surrogate is never stored."""
    world = json.dumps(DEFAULT_WORLD)
    for hostile in (world.replace('"ACME Logistics"', '"ACME \\ud800"'), world[:-1] + ', "n": NaN}'):
        response = client.put(
            "/__mock__/state",
            content=hostile.encode(),
            headers={**CONTROL, "Content-Type": "application/json"},
        )
        assert response.status_code == 400 and response.json()["code"] == "BAD_REQUEST", response.text
        assert response.json()["message"].startswith(
            "The body is not JSON"
        )  # the reader, not the world check
    assert client.get("/__mock__/state").json() == state
    assert client.get("/__mock__/journal").status_code == 200
