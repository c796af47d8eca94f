"""The measuring instrument of bench/perf.py: wrk's report read right, profiles summed into the right layers,
the big world a valid world of the asked size, the in-process counts and the server handling real."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from jsonschema import FormatChecker

from groupkit import world as worlds
from tests.conftest import ROOT

BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))
FORMATS = FormatChecker()

import bigworld  # noqa: E402
import perf_calls  # noqa: E402
import perf_hotspots  # noqa: E402
import perf_levers  # noqa: E402
import perf_servers  # noqa: E402
import perf_wrk  # noqa: E402

WRK_REPORT = """\
Running 10s test @ http://127.0.0.1:8080/user/groups?limit=10
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    33.41ms    5.12ms   1.20s    90.00%
    Req/Sec   960.00    100.00     1.10k    70.00%
  Latency Distribution
     50%  812.00us
     75%   34.00ms
     90%   38.00ms
     99%    1.25s
  9600 requests in 10.00s, 40.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:    959.50
Transfer/sec:      4.00MB
"""


def test_wrk_report_is_read_with_its_units() -> None:
    result = perf_wrk.parse(WRK_REPORT)
    assert result == perf_wrk.Result(
        requests_per_second=959.5, p50_ms=0.812, p99_ms=1250.0, requests=9600, non_2xx=7, socket_errors=5
    )


def test_a_report_without_its_p99_is_refused() -> None:
    with pytest.raises(perf_wrk.WrkFailed):
        perf_wrk.parse(WRK_REPORT.replace("     99%    1.25s\n", ""))


def test_the_post_script_sends_method_token_and_json_body() -> None:
    post = next(t for t in perf_wrk.TARGETS if t.method == "POST")
    script = perf_wrk.lua_script(post)
    assert 'wrk.method = "POST"' in script
    assert 'wrk.headers["Authorization"] = "demo-token-alice"' in script
    assert 'wrk.headers["Content-Type"] = "application/json"' in script
    assert f"wrk.body = [==[{perf_wrk.GROUP_INPUT}]==]" in script


SITE = "/x/.venv/lib/python3.11/site-packages"
STACKS = "\n".join(
    [
        # jsonschema under the response validator: response validation's time.
        f"run_asgi ({SITE}/uvicorn/protocols/http/httptools_impl.py:1);"
        f"ResponseValidationOperation.__call__.<locals>.wrapped_send ({SITE}/connexion/middleware/response_validation.py:90);"
        f"create.<locals>.Validator.descend ({SITE}/jsonschema/validators.py:396) 6",
        # the socket write under the validator's send: uvicorn's, the innermost layer.
        f"run_asgi ({SITE}/uvicorn/protocols/http/httptools_impl.py:1);"
        f"ResponseValidationOperation.__call__.<locals>.wrapped_send ({SITE}/connexion/middleware/response_validation.py:90);"
        f"RequestResponseCycle.send ({SITE}/uvicorn/protocols/http/httptools_impl.py:500) 3",
        f"run_asgi ({SITE}/uvicorn/protocols/http/httptools_impl.py:1);"
        f"inspect_function_arguments ({SITE}/connexion/utils.py:453);"
        "signature (/usr/lib/python3.11/inspect.py:3263) 1",
    ]
)


def test_profiles_are_summed_into_innermost_layers() -> None:
    profile = perf_hotspots.summarise(STACKS + "\nnot a stack line\n")
    assert profile.samples == 10
    assert profile.layers == {
        "connexion response validation": 6,
        "uvicorn + httptools (parsing, writing)": 3,
        "inspect.signature": 1,
    }
    assert profile.anywhere["jsonschema"] == 6
    assert profile.anywhere["inspect.signature"] == 1
    assert profile.own["create.<locals>.Validator.descend (jsonschema/validators.py)"] == 6
    assert profile.as_dict()["layers"] == {
        "connexion response validation": 60.0,
        "uvicorn + httptools (parsing, writing)": 30.0,
        "inspect.signature": 10.0,
    }


def test_the_big_world_is_a_valid_world_of_the_asked_size(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    bigworld.write(path, groups=250, devices=500)
    data = worlds.read(str(path))
    default = worlds.read("default")
    state = worlds.build(data, str(path))  # InvalidWorld if the generator broke the format
    assert len(data["groups"]) == len(default["groups"]) + 250
    assert len(data["devices"]) == len(default["devices"]) + 500
    regions = 3  # 250 groups, FANOUT 100 per region
    assert len(data["memberships"]) == len(default["memberships"]) + 2 * regions
    in_lyon = [d for d in data["devices"] if d["groupId"] == bigworld.LYON]
    assert len(in_lyon) == sum(d["groupId"] == bigworld.LYON for d in default["devices"]) + 50
    assert state.count_devices(bigworld.LYON) == len(in_lyon)
    acme_children = set(state.children(bigworld.ACME))
    assert sum(g["parent"] == bigworld.ACME for g in data["groups"]) == len(acme_children)


def test_in_process_counts_see_connexion_at_work() -> None:
    figures = perf_calls.measure(requests=3)
    for target in perf_wrk.TARGETS:
        counts = figures[target.label]
        assert counts["cpu_us"] > 0
        assert counts["function_calls"] > 100
        # Response validation is on by default: the parameters or body, then the response, each checked by
        # its compiled schema; a valid request never gets to jsonschema.
        assert counts["compiled schema checks (groupkit.fastschema)"] == 2
        assert counts["jsonschema Validator.descend"] == 0
    get = figures["GET /user/groups?limit=10"]
    assert get["json.dumps"] >= 1


@pytest.mark.slow
def test_a_server_is_timed_to_its_first_200_measured_and_stopped(tmp_path: Path) -> None:
    port = perf_servers.free_port()
    with perf_servers.groupkit(port, tmp_path / "mock.log") as server:
        cold = server.start(timeout=60)
        pid = server.pid
        assert 0 < cold < 60
        assert server.rss() > 10 << 20
        perf_servers.reset(port)
        status, _ = perf_servers.request(
            port, "GET", "/user/groups", headers={"Authorization": "demo-token-eva"}
        )
        assert status == 200
    assert server.process is None
    assert not Path(f"/proc/{pid}").exists()  # stopped and reaped


@pytest.mark.parametrize("levers", [False, True], ids=["connexion", "levers"])
def test_the_connexion_floor_answers_the_mocks_bodies_and_checks_the_token(levers: bool) -> None:
    import asyncio

    import perf_floor

    from groupkit.fastconnexion import FastAsyncApp

    answers = perf_floor.canned()
    app = perf_floor.connexion_app(answers, validate_responses=True, levers=levers)
    assert isinstance(app, FastAsyncApp) is levers
    for target in perf_wrk.TARGETS:
        path, _, query = target.path.partition("?")
        call = perf_calls.asgi_call(app, target.method, path, query, (target.body or "").encode())
        assert asyncio.run(call()) == (200, answers[(target.method, path)])
    stranger = perf_calls.asgi_call(app, "GET", "/user/groups", "limit=10", token="not-a-token")
    assert asyncio.run(stranger())[0] == 401


def test_the_levers_are_turned_off_one_by_one() -> None:
    """perf_levers.py's variants: with every lever off, the mock is connexion as it comes (its AsyncApp, no
    compiled schema); with them on, the fast app; the report shows each variant against the one with none."""
    from connexion import AsyncApp

    from groupkit import fastschema
    from groupkit.fastconnexion import FastAsyncApp

    assert perf_levers.variants()["no lever (connexion as it comes)"] == perf_levers.LEVERS
    plain = perf_levers.build(perf_levers.LEVERS)
    assert type(plain.connexion) is AsyncApp
    assert isinstance(perf_levers.build(()).connexion, FastAsyncApp)
    assert fastschema.compile({"type": "string"}, FORMATS, "connexion") is not None  # put back afterwards
    figures = {name: {t.label: 100.0 for t in perf_wrk.TARGETS} for name in perf_levers.variants()}
    figures["every lever"] = {t.label: 25.0 for t in perf_wrk.TARGETS}
    assert "| every lever | 25 (x4.00) | 25 (x4.00) |" in perf_levers.report(figures)
