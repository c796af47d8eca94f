"""`--max-time` is a deadline (conformance/deadline.py): a run ends by it even against a server that sends its body
one byte a second, and a small run ends as soon as its budget is spent, never later because of it."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest

from groupkit.app import create_app
from groupkit.conformance.options import Options
from groupkit.conformance.results import ExitCode, Result
from groupkit.conformance.runner import run
from tests.conformance.defects import devices_dripping
from tests.conftest import TOKENS, serve

ALICE = TOKENS["alice"]


def timed(url: str, **overrides: Any) -> tuple[Result, str, float]:
    options: dict[str, Any] = {
        "base_url": url,
        "token": ALICE,
        "include": ["GET /group/devices"],
        "max_examples": 3,
        "seed": 1,
        "phases": ["examples"],
    }
    options.update(overrides)
    out = io.StringIO()
    started = time.monotonic()
    result = run(Options(**options), out=out)
    return result, out.getvalue(), time.monotonic() - started


@pytest.mark.slow
def test_a_slow_body_cannot_stretch_the_deadline() -> None:
    with serve(devices_dripping()) as url:
        # without the deadline, each answer would take minutes: --request-timeout 600 leaves it to --max-time
        result, text, took = timed(url, max_time=10, request_timeout=600)
    assert took < 20, f"the run took {took:.1f} s with --max-time 10:\n{text}"
    assert not result.coverage["GET /group/devices"].verified, text
    assert (
        "GET /group/devices     NOT VERIFIED: no" in text
    )  # "none of its N requests got an answer", or "no request"
    assert any("the answer was still arriving" in note for note in result.notes), result.notes
    assert not [line for line in text.splitlines() if "GET /group/devices " in line and line.endswith(" ok")]


@pytest.mark.slow
def test_a_slow_body_is_cut_at_the_request_timeout() -> None:
    with serve(devices_dripping()) as url:
        include = ["GET /group/devices", "GET /group/roles"]
        result, text, took = timed(url, request_timeout=1, require_coverage=True, include=include)
    assert took < 30, text
    assert result.exit_code is ExitCode.VIOLATIONS, (
        text
    )  # GET /group/devices not verified, --require-coverage
    assert [item.operation for item in result.not_verified] == ["GET /group/devices"]
    assert result.coverage["GET /group/devices"].unanswered >= 1
    assert "error: GET /group/devices: Network Error: Connection broken" in text
    assert any("cut it at --request-timeout 1" in note for note in result.notes), result.notes


@pytest.mark.slow
def test_max_time_is_not_a_duration() -> None:
    with serve(create_app(seed=1)) as url:
        _, plain, without = timed(url, include=["GET /group/roles"], phases=["examples", "fuzzing"])
        result, text, bounded = timed(
            url, include=["GET /group/roles"], phases=["examples", "fuzzing"], max_time=60
        )
    assert result.exit_code is ExitCode.OK, text
    assert bounded < without + 10, f"{bounded:.1f} s with --max-time 60, {without:.1f} s without"
