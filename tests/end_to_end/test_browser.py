"""What a browser does with the mock, in Debian's headless Chromium: a frontend served from another
origin calls the API with its token (CORS preflight included), a page on another origin can neither read nor
change the control API, and Swagger UI renders the contract."""

from __future__ import annotations

import copy
import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from groupkit.app import create_app
from tests.conftest import CONTROL, DEFAULT_WORLD, auth, serve

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("GROUPKIT_REQUIRE_BROWSER"):
        raise RuntimeError("GROUPKIT_REQUIRE_BROWSER is set but chromium is not installed")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

pytestmark = pytest.mark.slow  # each test starts Chromium (~4 s)

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=15000",
]


def dump_dom(url: str, profile: Path) -> str:
    done = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def frontend(mock_url: str) -> Starlette:
    """A one-page 'frontend' on its own origin that lists the user's groups through the mock."""
    page = f"""<!doctype html><html><body><ul id="groups"></ul><p id="status">loading</p><script>
      fetch("{mock_url}/user/groups?limit=50", {{headers: {{"Authorization": "demo-token-alice"}}}})
        .then(r => r.json().then(body => [r.status, body]))
        .then(([status, body]) => {{
          for (const g of body.items) {{
            const li = document.createElement("li"); li.textContent = g.name;
            document.getElementById("groups").appendChild(li);
          }}
          document.getElementById("status").textContent = "status " + status;
        }})
        .catch(e => {{ document.getElementById("status").textContent = "failed " + e; }});
    </script></body></html>"""
    return Starlette(routes=[Route("/", lambda request: HTMLResponse(page))])


def test_a_frontend_on_another_origin_calls_the_mock_with_its_token(tmp_path: Path) -> None:
    with serve(create_app(seed=5)) as mock_url, serve(frontend(mock_url)) as page_url:
        dom = dump_dom(page_url, tmp_path / "profile")
    assert '<p id="status">status 200</p>' in dom, dom[-2000:]
    assert "<li>ACME Logistics</li>" in dom and "<li>Rotterdam Reefer Fleet</li>" in dom


def test_the_browser_is_refused_when_cors_is_off(tmp_path: Path) -> None:
    """The control: without CORS headers the same page cannot read the answer, so the test above bites."""
    with serve(create_app(seed=5, cors_origins=())) as mock_url, serve(frontend(mock_url)) as page_url:
        dom = dump_dom(page_url, tmp_path / "profile")
    assert "failed TypeError" in dom, dom[-2000:]


# ------------------------------------------------------------------ a hostile page and the control API

PAGE_TOKEN = "token-of-the-page"  # the token the page's world would give it


def hostile_page(mock_url: str) -> Starlette:
    """A page on another loopback origin that tries every way a script has to read or change the control API
    (a form post too), then calls the API with the custom headers frontends send; #results is what it saw."""
    world = copy.deepcopy(DEFAULT_WORLD)
    world["users"][0]["token"] = PAGE_TOKEN
    page = f"""<!doctype html><html><body><pre id="results">running</pre>
    <iframe name="sink"></iframe>
    <form id="form" method="post" enctype="text/plain" action="{mock_url}/__mock__/reset" target="sink">
      <input name="a" value="b"></form>
    <script>
      const mock = "{mock_url}", world = JSON.stringify({json.dumps(world)});
      const control = {{"X-Mock-Control": "1"}}, json = {{"Content-Type": "application/json"}};
      const traced = {{"Authorization": "demo-token-alice", "X-Request-Id": "r-1", "baggage": "b=1",
        "sentry-trace": "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1", "If-None-Match": '"v1"'}};
      const results = {{}};
      async function attempt(name, path, init, read) {{
        try {{
          const r = await fetch(mock + path, init);
          results[name] = r.type === "opaque" ? "opaque" : "read " + r.status + " " + await read(r);
        }} catch (e) {{ results[name] = "failed " + e.name; }}
      }}
      const text = r => r.text();
      (async () => {{
        document.getElementById("form").submit();
        await attempt("read users", "/__mock__/users", {{}}, text);
        await attempt("read state", "/__mock__/state", {{}}, text);
        await attempt("read state no-cors", "/__mock__/state", {{mode: "no-cors"}}, text);
        await attempt("reset text/plain", "/__mock__/reset",
          {{method: "POST", headers: {{"Content-Type": "text/plain"}}, body: "{{}}"}}, text);
        await attempt("reset no-cors", "/__mock__/reset", {{method: "POST", mode: "no-cors", body: "{{}}"}}, text);
        await attempt("reset no-cors header", "/__mock__/reset",
          {{method: "POST", mode: "no-cors", headers: control}}, text);
        await attempt("reset header", "/__mock__/reset", {{method: "POST", headers: control}}, text);
        await attempt("import json", "/__mock__/state", {{method: "PUT", headers: json, body: world}}, text);
        await attempt("import no-cors", "/__mock__/state", {{method: "PUT", mode: "no-cors", body: world}}, text);
        await attempt("import post no-cors", "/__mock__/state", {{method: "POST", mode: "no-cors", body: world}}, text);
        await attempt("clear journal", "/__mock__/journal", {{method: "DELETE", headers: control}}, text);
        await attempt("api traced", "/user/groups?limit=50", {{headers: traced}},
          async r => (await r.json()).items.length + " groups");
        await attempt("api allow", "/group/roles", {{method: "POST", headers: traced}},
          async r => r.headers.get("allow"));
        document.getElementById("results").textContent = JSON.stringify(results);
      }})();
    </script></body></html>"""
    return Starlette(routes=[Route("/", lambda request: HTMLResponse(page))])


class Recorder:
    """The mock as it is, noting the method, path and status of every request that reached it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[tuple[str, str, int]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.seen.append((scope["method"], scope["path"], message["status"]))
            await send(message)

        await self.app(scope, receive, noting if scope["type"] == "http" else send)


def test_a_page_on_another_origin_can_neither_read_nor_change_the_control_api(tmp_path: Path) -> None:
    recorder = Recorder(create_app(seed=5))
    with serve(recorder) as mock_url, serve(hostile_page(mock_url)) as page_url:
        assert page_url != mock_url  # another origin: same address, another port
        with httpx.Client(base_url=mock_url) as http:
            http.post("/group", json={"name": "Marker"}, headers=auth("alice")).raise_for_status()
            before = http.get("/__mock__/state").json()
            start = len(recorder.seen)
            dom = dump_dom(page_url, tmp_path / "profile")
            from_page = [seen for seen in recorder.seen[start:] if seen[1].startswith("/__mock__/")]
            after = http.get("/__mock__/state").json()
            journal = http.get("/__mock__/journal").json()["items"]
            page_token = http.get("/user/groups", headers={"Authorization": PAGE_TOKEN}).status_code
            seen = len(http.get("/user/groups", params={"limit": 50}, headers=auth("alice")).json()["items"])
            # The same reset with the header, as a script or a test sends it, does reset.
            http.post("/__mock__/reset", headers=CONTROL).raise_for_status()
            reset = http.get("/__mock__/state").json()
    found = re.search(r'<pre id="results">(.*?)</pre>', dom, flags=re.DOTALL)
    assert found is not None and found.group(1) != "running", dom[-3000:]
    results = json.loads(html.unescape(found.group(1)))
    # What the page saw: nothing of the control API, while the API answered it with every custom header.
    assert results.pop("api traced") == f"read 200 {seen} groups", results
    assert results.pop("api allow") == "read 405 GET", results
    unreadable = {"read state no-cors", "reset no-cors", "reset no-cors header", "import post no-cors"}
    for name, outcome in results.items():
        assert outcome == ("opaque" if name in unreadable else "failed TypeError"), (name, outcome)
    # What the mock did: refused each control request that reached it, and changed nothing.
    assert {status for _, _, status in from_page} == {403}, from_page  # no-cors GET too: Sec-Fetch-Site
    assert sum(1 for method, path, _ in from_page if (method, path) == ("POST", "/__mock__/reset")) >= 4
    assert {method for method, _, _ in from_page} >= {"GET", "POST", "OPTIONS"}
    assert after == before and "Marker" in json.dumps(after)
    assert journal[0]["operationId"] == "createGroup"  # not cleared
    assert page_token == 401  # the page's world was never imported
    assert "Marker" not in json.dumps(reset)


def test_swagger_ui_renders_every_operation(tmp_path: Path) -> None:
    with serve(create_app(seed=5)) as mock_url:
        dom = dump_dom(f"{mock_url}/ui/", tmp_path / "profile")
    for summary in ("Get the list of all the groups of the user", "Associate a external api key to a group"):
        assert summary in dom, dom[-3000:]
    assert dom.count('class="opblock-summary-path"') >= 13 or dom.count("opblock-summary-path") >= 13
