"""What a QA engineer reads must be exact: auth_is_enforced's curls show the kit's own invalid tokens (they are no
secret) and keep the real one masked; a stock failure says which status came back; the ledger says what a write
answered rather than guessing what it changed; a progress line never says "ok" next to an error."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from groupkit.conformance.options import Options
from groupkit.conformance.report import Console
from groupkit.conformance.results import ExitCode
from groupkit.conformance.runner import run
from tests.conformance.sabotage.access import anyone_is_the_first_user
from tests.conftest import TOKENS

ALICE = TOKENS["alice"]


@pytest.mark.slow
def test_auth_reproduction_shows_the_kits_invalid_tokens() -> None:
    options = Options(
        base_url="http://127.0.0.1",
        token=ALICE,
        include=["GET /group/roles"],
        max_examples=2,
        seed=1,
        phases=["examples"],
        app=anyone_is_the_first_user(),
    )
    result = run(options, out=io.StringIO())
    assert result.exit_code is ExitCode.VIOLATIONS
    [finding] = [finding for finding in result.failures if finding.check == "auth_is_enforced"]
    trigger, *curls = finding.curl.splitlines()
    assert "-H 'Authorization: [Filtered]'" in trigger  # the run's real token stays masked
    invalid = f"gk-conform-{result.run_id}-invalid-token"
    shown = [re.search(r"-H '(Authorization:[^']*)'", curl) for curl in curls]
    headers = {match.group(1) if match else "(no Authorization header)" for match in shown}
    # four requests a reader can tell apart: none, empty, unknown, Bearer unknown
    assert headers == {
        "(no Authorization header)",
        "Authorization: ",
        f"Authorization: {invalid}",
        f"Authorization: Bearer {invalid}",
    }, finding.curl
    assert ALICE not in finding.curl


def test_a_progress_line_is_not_ok_after_an_error() -> None:
    out = io.StringIO()
    console = Console(out)
    console.error(
        "POST /group/apiKey: Network Error\n\nRead timed out. (read timeout=10)", "POST /group/apiKey"
    )
    console.scenario("fuzzing", "POST /group/apiKey", 0, set(), 10.0, unanswered=1)
    console.scenario("fuzzing", "GET /group/roles", 0, set(), 0.1)
    console.scenario("fuzzing", "GET /group", 4, {"not_a_server_error"}, 0.1)
    lines = out.getvalue().splitlines()
    assert lines[0] == "  error: POST /group/apiKey: Network Error: Read timed out. (read timeout=10)"
    assert lines[1].endswith("0 cases   10.0 s  ERROR (above), 1 without an answer")
    assert lines[2].endswith("0 cases    0.1 s  nothing answered")
    assert lines[3].endswith("4 cases    0.1 s  FAILED not_a_server_error")


def test_the_ledger_says_what_a_write_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    from groupkit.conformance import hooks

    recorded: dict[str, str] = {}

    class Run:
        created: dict[str, str] = {}

        def record_created(self, key: str, text: str) -> None:
            recorded[key] = text

    class Case:
        method = "PUT"
        body: Any = {"groupId": "gk-conform-ab12cd-no-such-group", "name": "gk-conform-ab12cd-x"}
        query: Any = {}

        class operation:  # noqa: N801  (the shape of schemathesis's APIOperation)
            label = "PUT /group"
            method = "PUT"
            schema = object()

    class Answer:
        status_code = 200

        def json(self) -> Any:
            return {"id": "gk-conform-ab12cd-no-such-group"}

    monkeypatch.setattr(hooks, "context_for", lambda schema: Run())
    hooks.keep_ledger(None, Case(), Answer())  # type: ignore[arg-type]
    [text] = recorded.values()
    assert text == (
        "PUT /group answered 200 for group 'gk-conform-ab12cd-no-such-group', which this run did not create; "
        "it sent name='gk-conform-ab12cd-x'"
    )
    assert "existing group" not in text


def test_a_stock_failure_says_which_status_came_back() -> None:
    from types import SimpleNamespace

    from groupkit.conformance.collect import _with_status

    recorder: Any = SimpleNamespace(
        interactions={"c1": SimpleNamespace(response=SimpleNamespace(status_code=409))}
    )
    message = "Valid data should have been accepted\nExpected: 2xx, 401, 403, 404, 5xx"
    assert _with_status(message, recorder, "c1") == message + "\nThe server answered 409."
    said = "Undocumented HTTP status code\n\nReceived: 418"
    recorder.interactions["c1"].response.status_code = 418
    assert _with_status(said, recorder, "c1") == said  # already said
