"""Issue 10 point 8's proof: tools written by others read openapi.yaml without a warning. Prism mocks it and
answers a request; Swagger UI (served by the mock) renders it in headless Chromium with no console message and no
Errors panel; Specmatic runs its contract tests against a real mock on loopback, and every failure is one that
docs/contract-decisions.md explains. openapi-typescript is proven in test_typed_client.py.

Prism and Specmatic are pinned npm packages installed once into ~/.cache/groupkit-tools (node_tools.py);
Specmatic's jar runs on the machine's Java. Without Node.js, npm, Java or Chromium a test fails, never skips
(Chromium: when GROUPKIT_REQUIRE_BROWSER is set, as .ci/run sets it)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from groupkit import contract
from groupkit.app import create_app
from tests.conftest import DEFAULT_WORLD, ROOT, TOKENS, free_port, serve
from tests.end_to_end import node_tools

pytestmark = pytest.mark.slow  # each starts a tool: Prism ~4 s, Chromium ~4 s, Specmatic ~20 s

PRISM = {"@stoplight/prism-cli": "5.14.2"}
SPECMATIC = {"specmatic": "2.55.1"}

# --------------------------------------------------------------------------------------------------- Prism

# Prism pads its level names: `[CLI] ⚠  warning   ...`, `[VALIDATOR] ✖  error     ...`.
PRISM_PROBLEM = re.compile(r"\s(warning|error|fatal)\s{2,}")


@contextmanager
def prism_mock(log: Path) -> Iterator[str]:
    """`prism mock openapi.yaml` on a free loopback port, its output in `log`; yields its base URL once it
    answers, and kills it on the way out."""
    folder = node_tools.installed("prism", node_tools.package_json("groupkit-prism", PRISM), "prism")
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(folder / "node_modules" / ".bin" / "prism"), "mock", str(ROOT / "openapi.yaml")]
            + ["--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while "Prism is listening" not in log.read_text("utf-8"):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text("utf-8")[-3000:]
            time.sleep(0.2)
        yield url
    finally:
        process.kill()
        process.wait(timeout=10)


def test_prism_loads_the_contract_without_a_warning_and_answers(tmp_path: Path) -> None:
    log = tmp_path / "prism.log"
    with prism_mock(log) as url, httpx.Client(base_url=url, timeout=10) as http:
        answer = http.get("/group/roles", params={"limit": 5}, headers={"Authorization": TOKENS["alice"]})
        time.sleep(0.5)  # Prism logs the request after answering it
        loaded = log.read_text("utf-8")
        # The control: a request the contract refuses makes Prism log its warning and error levels, so the
        # pattern reads Prism's real output.
        refused = http.get("/group/roles", params={"limit": 0})
        time.sleep(0.5)
        after = log.read_text("utf-8")[len(loaded) :]
    assert answer.status_code == 200, answer.text
    contract.component(contract.default(), "RoleConnection").validate(answer.json())
    assert "Responding with the requested status code 200" in loaded, loaded
    assert PRISM_PROBLEM.search(loaded) is None, loaded
    assert refused.status_code in (400, 401), refused.text
    assert {"warning", "error"} <= set(PRISM_PROBLEM.findall(after)), after


# --------------------------------------------------------------------------------------------------- Swagger UI

LOGGING = ["--enable-logging=stderr", "--v=0"]  # Chromium prints each console message as a `CONSOLE` line


def render(url: str, profile: Path) -> tuple[str, list[str]]:
    """The DOM headless Chromium renders at `url` (test_browser.py's flags), and the console messages it
    printed, whatever their level (Chromium prints them all alike), uncaught exceptions included."""
    from tests.end_to_end.test_browser import CHROMIUM, FLAGS  # skips (or fails in CI) without Chromium

    done = subprocess.run(
        [str(CHROMIUM), *FLAGS, *LOGGING, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


class Rewritten:
    """An ASGI app as it is, except that the bodies of the paths in `rewrite` go through the given function."""

    def __init__(self, app: Any, rewrite: dict[str, Callable[[bytes], bytes]]) -> None:
        self.app, self.rewrite = app, rewrite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        change = self.rewrite.get(scope.get("path", "")) if scope["type"] == "http" else None
        if change is None:
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        start = held[0]
        body = change(b"".join(m.get("body", b"") for m in held[1:]))
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def test_swagger_ui_renders_the_contract_without_a_console_message_or_errors(tmp_path: Path) -> None:
    with serve(create_app(seed=5)) as url:
        dom, console = render(f"{url}/ui/", tmp_path / "profile")
    assert console == []
    assert 'class="opblock-summary-path"' in dom and dom.count("opblock-summary-path") >= 13, dom[-3000:]
    assert "Get the list of all the groups of the user" in dom
    assert "errors-wrapper" not in dom and "Resolver error" not in dom


def test_the_swagger_ui_check_sees_console_messages_and_the_errors_panel(tmp_path: Path) -> None:
    """The control: the same page, with a dangling path `$ref` in the contract it loads and a console warning,
    shows the Errors panel and prints the warning, so the test above bites (Swagger UI resolves a schema's
    `$ref` only when its operation is opened, a path's at load)."""

    def dangling(body: bytes) -> bytes:
        document = json.loads(body)
        document["paths"]["/nowhere"] = {"$ref": "#/components/schemas/NoSuchSchema"}  # resolved at load
        return json.dumps(document).encode()

    def warning(body: bytes) -> bytes:
        return body.replace(b"</body>", b'<script>console.warn("control warning")</script></body>')

    app = Rewritten(create_app(seed=5), {"/openapi.json": dangling, "/ui/": warning})
    with serve(app) as url:
        dom, console = render(f"{url}/ui/", tmp_path / "profile")
    assert "errors-wrapper" in dom and "Resolver error" in dom and "NoSuchSchema" in dom, dom[-3000:]
    assert any('"control warning"' in line for line in console), console


# --------------------------------------------------------------------------------------------------- Specmatic

# Without this Specmatic looks up its Insights server at the end of a run (seen with strace): loopback only here.
TELEMETRY_OFF = "-Dspecmatic.disable.telemetry=true"
SPECMATIC_TESTS = 31  # measured with 2.55.1: two or three scenarios for each of the 13 operations
# The requests without an id or a cursor pass: GET /user/groups, GET /group/roles, POST /group twice.
SPECMATIC_PASSES = 4
# Specmatic's own warnings, not its dumps of random request values (`\b`: "SWARN" is no warning).
WARNING = re.compile(r"\bwarn(ing)?s?\b", re.IGNORECASE)
FAILURE = re.compile(r"Specification expected status 200 but response contained status (\d+)")
IDS = {"groupId", "parentId", "userId"}
KNOWN_IDS = {g["id"] for g in DEFAULT_WORLD["groups"]} | {u["id"] for u in DEFAULT_WORLD["users"]}


def explained(entry: dict[str, Any]) -> bool:
    """Whether a journal entry is an answer docs/contract-decisions.md explains for Specmatic's random values:
    404 NOT_FOUND for an id that names nothing, 400 INVALID_NEXT_TOKEN for a cursor the mock never issued."""
    code = entry["responseBody"].get("code") if isinstance(entry["responseBody"], dict) else None
    body = entry["body"] if isinstance(entry["body"], dict) else {}
    sent = {k: v[0] for k, v in entry["query"].items()} | body
    if (entry["status"], code) == (404, "NOT_FOUND"):
        ids = {sent[k] for k in IDS & sent.keys()}
        return bool(ids) and not ids <= KNOWN_IDS
    if (entry["status"], code) == (400, "INVALID_NEXT_TOKEN"):
        return len(sent.get("nextToken", "")) != 32  # the mock's cursors are 32 characters
    return False


GROUP = DEFAULT_WORLD["groups"][0]["id"]


@pytest.mark.parametrize(
    ("status", "code", "query", "body", "expected"),
    [
        pytest.param(404, "NOT_FOUND", {"groupId": ["HMGFN"]}, None, True, id="random-group-id"),
        pytest.param(404, "NOT_FOUND", {}, {"groupId": GROUP, "userId": "TEDTY"}, True, id="random-user-id"),
        pytest.param(400, "INVALID_NEXT_TOKEN", {"nextToken": ["SSFVB"]}, None, True, id="random-cursor"),
        pytest.param(404, "NOT_FOUND", {"groupId": [GROUP]}, None, False, id="a-real-group-not-found"),
        pytest.param(404, "NOT_FOUND", {}, None, False, id="not-found-without-an-id"),
        pytest.param(
            400, "INVALID_NEXT_TOKEN", {"nextToken": ["x" * 32]}, None, False, id="a-cursor-like-ours"
        ),
        pytest.param(400, "BAD_REQUEST", {"groupId": ["HMGFN"]}, None, False, id="another-400"),
        pytest.param(403, "FORBIDDEN", {"groupId": ["HMGFN"]}, None, False, id="a-403"),
        pytest.param(500, "INTERNAL_SERVER_ERROR", {}, None, False, id="a-500"),
    ],
)
def test_only_the_documented_answers_to_random_values_are_explained(
    status: int, code: str, query: dict[str, list[str]], body: dict[str, str] | None, expected: bool
) -> None:
    entry = {"status": status, "query": query, "body": body, "responseBody": {"message": "m", "code": code}}
    assert explained(entry) is expected


def specmatic(folder: Path, *arguments: str) -> str:
    """What `specmatic test openapi.yaml ARGUMENTS` prints, run in `folder` on the machine's Java (bounded)."""
    java = shutil.which("java")
    assert java, "Java is needed for Specmatic (apt-get install default-jre-headless)"
    tool = node_tools.installed(
        "specmatic", node_tools.package_json("groupkit-specmatic", SPECMATIC), "specmatic"
    )
    done = subprocess.run(
        [java, TELEMETRY_OFF, "-jar", str(tool / "node_modules" / "specmatic" / "specmatic.jar")]
        + ["test", "openapi.yaml", *arguments],
        cwd=folder,
        # `accessToken` is the security scheme's name: Specmatic sends its value as the Authorization header.
        env={"PATH": "/usr/bin:/bin", "HOME": str(folder), "SPECMATIC_DISABLE_TELEMETRY": "true"}
        | {"accessToken": TOKENS["alice"]},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.stdout + done.stderr


def test_specmatic_runs_its_contract_tests_and_each_failure_is_explained(tmp_path: Path) -> None:
    shutil.copy(ROOT / "openapi.yaml", tmp_path / "openapi.yaml")  # Specmatic writes build/ beside it
    with serve(create_app(seed=5)) as url:
        output = specmatic(tmp_path, f"--testBaseURL={url}", "--junitReportDir=junit", "--timeout=10")
        journal = httpx.get(f"{url}/__mock__/journal").json()["items"]  # 1000 entries kept
    # It parsed the contract whole, without a warning.
    assert "API Paths: 8, API Operations: 13" in output, output[-3000:]
    assert WARNING.search(output) is None, [line for line in output.splitlines() if WARNING.search(line)]
    reports = list((tmp_path / "junit").glob("*.xml"))
    assert reports, output[-3000:]
    suite = ET.parse(reports[0]).getroot()
    cases = list(suite.iter("testcase"))
    failures = [failure.get("message", "") for case in cases for failure in case.iter("failure")]
    assert len(cases) >= SPECMATIC_TESTS and suite.get("errors") == "0", suite.attrib
    assert len(cases) - len(failures) >= SPECMATIC_PASSES, suite.attrib
    # Every failure is a status the decision explains, and each such answer is explained by what was sent.
    statuses = [FAILURE.search(message) for message in failures]
    assert all(found and found.group(1) in ("400", "404") for found in statuses), failures
    tested = [entry for entry in journal if entry["operationId"] is not None]
    refused = [entry for entry in tested if entry["status"] >= 300]
    counts = {"requests": len(tested), "refused": len(refused), "failures": len(failures)}
    assert len(tested) >= len(cases) and len(refused) == len(failures), counts
    unexplained = [entry for entry in refused if not explained(entry)]
    assert unexplained == [], json.dumps(unexplained, indent=1)[:3000]


def test_the_specmatic_check_sees_a_parser_warning(tmp_path: Path) -> None:
    """The control: the contract with a link's `requestBody` object back (valid OpenAPI that swagger-parser
    misreads, docs/contract-decisions.md) makes Specmatic print a warning the test above would see. No test
    matches the filter, so nothing is sent."""
    document = contract.load()  # a fresh copy: default() is shared
    links = document["paths"]["/user/groups"]["get"]["responses"]["200"]["links"]
    next(iter(links.values()))["requestBody"] = {"groupId": "$response.body#/items/0/id"}
    (tmp_path / "openapi.yaml").write_text(json.dumps(document, default=str), "utf-8")  # YAML dates too
    output = specmatic(tmp_path, "--testBaseURL=http://127.0.0.1:9", "--filter=PATH='/nothing'")
    assert "No tests found to run" in output, output[-3000:]
    assert WARNING.search(output) is not None, output[-3000:]
