"""What `groupkit proxy` keeps of the traffic it saw: a bounded journal of exchanges, one line logged per
problem as it happens, findings grouped per check, operation and problem (with a count and the first
exchange's curl), and at exit the session as the `Result` a conformance run has (`report` writes it).

Tokens are never kept: `Authorization`, cookies and API-key headers are masked before anything is stored or
printed, and so are secret fields in bodies and query strings (the mock journal's `SECRET_NAMES`); bodies are
kept as received, cut at 16 KiB, and masked when the journal is written.
"""

from __future__ import annotations

import json
import re
import shlex
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from groupkit.conformance.results import ExitCode, Finding, OperationCoverage, Result
from groupkit.journal import MASK, SECRET_NAMES, masked

from .exchange import FIELDS_CHECK, VIOLATION, Exchange, Problem

# Headers whose values are credentials, compared in lower case; any header naming a token, key or secret too.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})
_SECRET_WORDS = ("token", "secret", "api-key", "apikey", "password", "session")
MAX_BODY_KEPT = 16 * 1024
# a secret field's string value in a body that is not JSON as a whole (cut, or broken): `"token": "..."`
_SECRET_IN_TEXT = re.compile(
    r'("(?:' + "|".join(map(re.escape, sorted(SECRET_NAMES))) + r')"\s*:\s*)"(?:[^"\\]|\\.)*"?', re.IGNORECASE
)


def secret_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_HEADERS or any(word in lowered for word in _SECRET_WORDS)


def masked_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(key, MASK if key.lower() in SECRET_NAMES else value) for key, value in pairs])


def masked_body(body: bytes | None) -> Any:
    """A body as the journal shows it: JSON with secret fields masked, else text (cut, secrets in JSON-like
    text masked), None when empty."""
    if not body:
        return None
    try:
        return masked(json.loads(body))
    except ValueError:
        text = _SECRET_IN_TEXT.sub(rf'\1"{MASK}"', body[:MAX_BODY_KEPT].decode("utf-8", "replace"))
        return text if len(body) <= MAX_BODY_KEPT else text + f"... [cut at {MAX_BODY_KEPT} bytes]"


def _kept(body: bytes | None) -> bytes | None:
    return body if body is None or len(body) <= MAX_BODY_KEPT else body[: MAX_BODY_KEPT + 1]


@dataclass
class Entry:
    """One exchange in the journal, masked."""

    at: str
    method: str
    target: str
    operation: str | None
    status: int | None
    milliseconds: float
    request_headers: list[tuple[str, str]]
    request_body: bytes | None  # as received (cut at MAX_BODY_KEPT bytes); masked when the journal is written
    response_body: bytes | None
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "method": self.method,
            "target": self.target,
            "operation": self.operation,
            "status": self.status,
            "ms": round(self.milliseconds, 2),
            "requestHeaders": [[name, value] for name, value in self.request_headers],
            "requestBody": masked_body(self.request_body),
            "responseBody": masked_body(self.response_body),
            "problems": self.problems,
        }


class Record:
    """The proxy's journal and findings; thread-safe, bounded in memory (`size` exchanges, one `Finding` per
    distinct problem with a count)."""

    def __init__(self, upstream: str, size: int = 1000, log: Callable[[str], None] = print) -> None:
        self.upstream = upstream.rstrip("/")
        self.entries: deque[Entry] = deque(maxlen=max(size, 1))
        self.log = log
        self.started = time.monotonic()
        self.exchanges = 0
        self.findings: dict[tuple[str, str, str], Finding] = {}
        self.warnings: dict[tuple[str, str, str], tuple[str, int]] = {}
        self.errors: list[str] = []
        self.coverage: dict[str, OperationCoverage] = {}
        self.returned: dict[tuple[str, int], set[str]] = {}  # documented paths each answer returned
        self.unknown: Counter[str] = Counter()  # requests to paths or methods the contract does not know
        self._lock = threading.Lock()

    def curl(
        self, method: str, path: str, query: str, headers: list[tuple[str, str]], body: bytes | None
    ) -> str:
        """A copyable curl of the request, against the upstream, with every secret masked."""
        url = self.upstream + path + (f"?{masked_query(query)}" if query else "")
        words = ["curl", "-X", method, url]
        for name, value in headers:
            if name.lower() in ("host", "content-length", "connection", "accept-encoding", "user-agent"):
                continue
            words += ["-H", f"{name}: {MASK if secret_header(name) else value}"]
        if body:
            shown = masked_body(body)
            words += ["-d", shown if isinstance(shown, str) else json.dumps(shown)]
        return shlex.join(words)

    def add(
        self,
        exchange: Exchange,
        operation: str | None,
        headers: list[tuple[str, str]],
        problems: list[Problem],
        returned: set[str],
        milliseconds: float,
        checked: tuple[str, ...] = (),
    ) -> None:
        """Journal one exchange and count its problems; `checked` names the checks that judged a 2xx body."""
        target = exchange.path + (f"?{masked_query(exchange.query)}" if exchange.query else "")
        shown_headers = [(name, MASK if secret_header(name) else value) for name, value in headers]
        entry = Entry(
            at=datetime.now(UTC).isoformat(timespec="milliseconds"),
            method=exchange.method,
            target=target,
            operation=operation,
            status=exchange.status,
            milliseconds=milliseconds,
            request_headers=shown_headers,
            request_body=_kept(exchange.request_body),
            response_body=_kept(exchange.response_body),
            problems=[f"{p.severity} {p.check}: {p.message}" for p in problems],
        )
        curl = (
            self.curl(exchange.method, exchange.path, exchange.query, headers, exchange.request_body)
            if problems
            else ""
        )
        with self._lock:
            self.exchanges += 1
            self.entries.append(entry)
            if operation is None:
                self.unknown[f"{exchange.method} {exchange.path}"] += 1
            else:
                coverage = self.coverage.setdefault(operation, OperationCoverage(operation))
                coverage.statuses[exchange.status] += 1
                if 200 <= exchange.status < 300:
                    coverage.checks.update(checked)
                if returned:
                    self.returned.setdefault((operation, exchange.status), set()).update(returned)
            for problem in problems:
                self._count(operation or f"{exchange.method} {exchange.path}", problem, curl)
        for line in entry.problems:
            self.log(f"groupkit proxy: {line}")

    def _count(self, operation: str, problem: Problem, curl: str) -> None:
        key = (problem.check, operation, problem.title or problem.message)
        if problem.severity == VIOLATION:
            finding = self.findings.get(key)
            if finding is None:
                self.findings[key] = Finding(
                    operation=operation,
                    check=problem.check,
                    title=problem.title or problem.message,
                    message=problem.message,
                    curl=curl,
                    code=problem.check,
                    phase="proxy",
                )
            else:
                finding.count += 1
        else:
            message, count = self.warnings.get(key, (problem.message, 0))
            self.warnings[key] = (message, count + 1)

    def error(self, message: str) -> None:
        """Something kept an exchange from being checked (the upstream did not answer): logged and reported."""
        with self._lock:
            if len(self.errors) < 100:
                self.errors.append(message)
        self.log(f"groupkit proxy: error: {message}")

    def result(self, fail_on_violation: bool, never_returned: Callable[[str, int], set[str]]) -> Result:
        """The session as a conformance `Result`: one finding per distinct violation, warnings for the rest,
        and for each answer seen the documented properties it never returned."""
        with self._lock:
            findings = list(self.findings.values())
            warnings = [
                f"{check} on {operation}: {message}" + (f" (seen {count} times)" if count > 1 else "")
                for (check, operation, _), (message, count) in self.warnings.items()
            ]
            for (operation, status), seen in sorted(self.returned.items()):
                missing = sorted(never_returned(operation, status) - seen)
                if missing:
                    warnings.append(
                        f"{FIELDS_CHECK} on {operation}: no {status} answer returned the documented "
                        f"{', '.join(missing)}"
                    )
            notes = [
                f"{count} request(s) to {what}, which the contract does not document (forwarded unchecked)"
                for what, count in sorted(self.unknown.items())
            ]
            exit_code = ExitCode.VIOLATIONS if findings and fail_on_violation else ExitCode.OK
            operations = sorted(self.coverage)
            return Result(
                exit_code=exit_code,
                failures=findings,
                cases=self.exchanges,
                errors=list(self.errors),
                notes=notes,
                operations=operations,
                cases_by_operation={op: sum(self.coverage[op].statuses.values()) for op in operations},
                elapsed=time.monotonic() - self.started,
                warnings=warnings,
                coverage={op: self.coverage[op] for op in operations},
            )

    def write_journal(self, path: Path) -> None:
        with self._lock:
            entries = [entry.as_json() for entry in self.entries]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(entries, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
