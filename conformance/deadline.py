"""Time limits a hostile server cannot stretch: every request of a run (generated ones and the checks' follow-ups)
ends within `--request-timeout` in total and never after the `--max-time` deadline, a body sent one byte at a time
included; and the engine is stopped at the deadline (`Deadline`), so `--max-time` is a limit, never a duration.

requests' own timeout bounds each socket read, not a whole answer, so a server that sends a byte a second is never
cut by it. A `before_call` hook bounds that read timeout by the time left, and asks requests (through its
`response` hook, called once the headers are in) for the answer's socket; a timer shuts the socket down when the
request's time is up, which ends the read with an error the engine reports. The timer is cancelled when the call
returns, so a keep-alive connection is never cut after its answer.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import schemathesis
from schemathesis.core.transport import Response

from .calls import AnyCase
from .context import RunContext, context_for

_current = threading.local()  # the timer watching this thread's request in flight


def _cancel() -> None:
    timer: threading.Timer | None = getattr(_current, "timer", None)
    if timer is not None:
        timer.cancel()
        _current.timer = None


def limit(run: RunContext, started: float) -> tuple[float | None, str]:
    """The instant a request started at `started` must end by, and which option sets it."""
    ends: list[tuple[float, str]] = []
    if run.settings.request_timeout is not None:
        ends.append(
            (started + run.settings.request_timeout, f"--request-timeout {run.settings.request_timeout:g}")
        )
    if run.settings.deadline is not None:
        ends.append((run.settings.deadline, "the --max-time deadline"))
    if not ends:
        return None, ""
    return min(ends)


@schemathesis.hook("before_call")
def bound_the_request(context: schemathesis.HookContext, case: AnyCase, kwargs: dict[str, Any]) -> None:
    _cancel()
    run = context_for(case.operation.schema)
    if run is None or case.operation.schema.app is not None:
        return  # in-process calls have no socket to cut
    started = time.monotonic()
    end, reason = limit(run, started)
    if end is None:
        return
    left = max(end - started, 0.05)
    timeout = kwargs.get("timeout")
    kwargs["timeout"] = left if not isinstance(timeout, int | float) else min(float(timeout), left)
    label = f"{str(case.method).upper()} {case.operation.path}"
    kwargs["hooks"] = {"response": [_watch(run, end, started, reason, label)]}


def _watch(run: RunContext, end: float, started: float, reason: str, label: str) -> Callable[..., Any]:
    def watch(response: Any, *args: Any, **kwargs: Any) -> Any:
        connection = getattr(getattr(response, "raw", None), "connection", None)
        sock = getattr(connection, "sock", None)
        if isinstance(sock, socket.socket):

            def cut() -> None:
                run.note(
                    f"{label}: the answer was still arriving after {time.monotonic() - started:.1f} s; the kit "
                    f"cut it at {reason}"
                )
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already closed: the read ended by itself

            timer = threading.Timer(max(end - time.monotonic(), 0.0), cut)
            timer.daemon = True
            _current.timer = timer
            timer.start()
        return response

    return watch


@schemathesis.hook("after_call")
def release_the_request(context: schemathesis.HookContext, case: AnyCase, response: Response) -> None:
    _cancel()


class Deadline:
    """Stops the engine's event stream when the run's `--max-time` deadline passes (`stop` is the stream's)."""

    def __init__(self, deadline: float | None, stop: Callable[[], None]) -> None:
        self.reached = False
        self._timer: threading.Timer | None = None
        if deadline is not None:

            def fire() -> None:
                self.reached = True
                stop()

            self._timer = threading.Timer(max(deadline - time.monotonic(), 0.0), fire)
            self._timer.daemon = True
            self._timer.start()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
