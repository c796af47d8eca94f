"""What a browser does with the mock, in Debian's headless Chromium: a frontend served from another
origin calls the API with its token (CORS preflight included), and Swagger UI renders the contract."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from groupkit.app import create_app

from .conftest import serve

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("GROUPKIT_REQUIRE_BROWSER"):
        raise RuntimeError("GROUPKIT_REQUIRE_BROWSER is set but chromium is not installed")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

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


def test_swagger_ui_renders_every_operation(tmp_path: Path) -> None:
    with serve(create_app(seed=5)) as mock_url:
        dom = dump_dom(f"{mock_url}/ui/", tmp_path / "profile")
    for summary in ("Get the list of all the groups of the user", "Associate a external api key to a group"):
        assert summary in dom, dom[-3000:]
    assert dom.count('class="opblock-summary-path"') >= 13 or dom.count("opblock-summary-path") >= 13
