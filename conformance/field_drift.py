"""The check `response_fields_are_documented`: every property of a response body is one its schema documents
(the rule is drift.py's). A property that differs from a documented one only in case or separators
(`owner_id` where the contract says `ownerId`) fails: the body still validates when the documented one is
optional, and every client reading `ownerId` gets nothing. Other undocumented properties are warnings (a
server may add fields), failures with `--strict-fields`. After the run, the documented properties that no
answer of an (operation, status) ever returned are listed as warnings too: a renamed or dropped optional
field shows there even when nothing else catches it.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any

from schemathesis.core.transport import Response

from . import drift
from .calls import AnyCase
from .context import RunContext
from .failures import GroupkitFailure
from .machinery import SKIPPED, groupkit_check, is_documented_call, json_body

NAME = "response_fields_are_documented"
SHOWN = 5  # drifts named in one failure message


class NearMissField(GroupkitFailure):
    """A response property differs from a documented one only in case or separators (`owner_id`/`ownerId`)."""

    code = "GK401"
    kind_title = "Response property is a near miss of a documented one"


class UndocumentedField(GroupkitFailure):
    """A response property the contract does not document (a failure only with --strict-fields)."""

    code = "GK402"
    kind_title = "Response property is not documented"


class FieldLedger:
    """What the run's answers returned: per documented body (a named schema such as `Error`, shared by many
    operations, or else one operation's answer of one status) the documented property paths seen and the
    answers counted; and the undocumented properties met, per operation and status (a warning each)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seen: dict[str, set[str]] = {}
        self.schemas: dict[str, dict[str, Any]] = {}
        self.answers: dict[str, set[str]] = {}  # body -> the "METHOD /path STATUS" that returned it
        self.undocumented: Counter[tuple[str, str, str]] = Counter()  # (operation, status, drift text)

    def saw(self, body: str, answer: str, schema: dict[str, Any], paths: set[str]) -> None:
        with self._lock:
            self.schemas.setdefault(body, schema)
            self.seen.setdefault(body, set()).update(paths)
            self.answers.setdefault(body, set()).add(answer)

    def warn(self, key: tuple[str, str], found: drift.Drift) -> None:
        with self._lock:
            self.undocumented[(*key, str(_generic(found)))] += 1

    def warnings(self) -> list[str]:
        """The run's field warnings: undocumented properties, then documented ones never returned."""
        with self._lock:
            said = [
                f"{operation} {status}: {text}" + (f" (seen {count} times)" if count > 1 else "")
                for (operation, status, text), count in self.undocumented.items()
            ]
            for body, schema in self.schemas.items():
                missing = _never_returned(drift.documented_paths(schema), self.seen[body])
                answers = sorted(self.answers[body])
                where = body if len(answers) == 1 else f"{body} (in {len(answers)} kinds of answer)"
                if missing:
                    said.append(
                        f"{where}: documented but never returned during the run: " + ", ".join(missing)
                    )
        return said


def ledger(run: RunContext) -> FieldLedger:
    return run.memo("field-ledger", FieldLedger)


@groupkit_check
def response_fields_are_documented(run: RunContext, response: Response, case: AnyCase) -> bool | None:
    if not is_documented_call(case):
        return SKIPPED
    status = str(response.status_code)
    documented = _response_schema(run, case, status)
    body = json_body(response) if documented is not None else None
    if documented is None or body is None:
        return SKIPPED
    name, schema = documented
    label = case.operation.label
    drifts, seen = drift.inspect(schema, body)
    book = ledger(run)
    book.saw(name, f"{label} {status}", schema, seen)
    near = [found for found in drifts if found.kind == drift.NEAR_MISS]
    other = [found for found in drifts if found.kind != drift.NEAR_MISS]
    if near:
        raise NearMissField(
            operation=label, detail=_detail(label, status, near, "near misses of documented names")
        )
    if other and run.settings.strict_fields:
        raise UndocumentedField(
            operation=label, detail=_detail(label, status, other, "not documented (--strict-fields)")
        )
    for found in other:
        book.warn((label, status), found)
    return None


def _detail(label: str, status: str, drifts: list[drift.Drift], what: str) -> str:
    named = "; ".join(str(found) for found in drifts[:SHOWN])
    more = f"; and {len(drifts) - SHOWN} more" if len(drifts) > SHOWN else ""
    return f"{label} answered {status} with properties that are {what}: {named}{more}"


def _response_schema(run: RunContext, case: AnyCase, status: str) -> tuple[str, dict[str, Any]] | None:
    """The body the contract documents for this operation and status: its name (the component schema's, such
    as `Error`, else `METHOD /path STATUS`) and its dereferenced JSON schema (None: no JSON body documented)."""
    operation = case.operation

    def compute() -> tuple[str, dict[str, Any]] | None:
        document = operation.schema.raw_schema
        responses = operation.definition.raw.get("responses") or {}
        answer = responses.get(status) or responses.get(f"{status[0]}XX") or responses.get("default")
        answer = _follow(document, answer)  # `$ref: '#/components/responses/BadRequest'`
        content = answer.get("content") if isinstance(answer, dict) else None
        media = content.get("application/json") if isinstance(content, dict) else None
        raw = media.get("schema") if isinstance(media, dict) else None
        if not isinstance(raw, dict):
            return None
        reference = raw.get("$ref")
        name = f"{operation.label} {status}"
        if isinstance(reference, str) and reference.startswith("#/components/schemas/"):
            name = reference.rsplit("/", 1)[-1]
        return name, drift.dereferenced(document, raw)

    return run.memo(("response-schema", operation.label, status), compute)


def _follow(document: dict[str, Any], item: Any) -> Any:
    """`item`, or what its own local `$ref` names (one level: the schema inside keeps its `$ref` and name)."""
    reference = item.get("$ref") if isinstance(item, dict) else None
    if not isinstance(reference, str) or not reference.startswith("#/"):
        return item
    target: Any = document
    for part in reference[2:].split("/"):
        target = target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, dict) else None
    return target


_INDEX = re.compile(r"/\d+(?=/|$)")


def _generic(found: drift.Drift) -> drift.Drift:
    """The drift with array indices in its path written `*`, so one property met in every item counts once."""
    return drift.Drift(_INDEX.sub("/" + drift.ANY_ITEM, found.path), found.name, found.kind, found.documented)


def _never_returned(documented: set[str], seen: set[str]) -> list[str]:
    """The documented paths not seen, leaving out those under a parent that was itself never returned."""
    missing = []
    for path in sorted(documented - seen):
        parent = path.rsplit("/", 1)[0]
        while parent.endswith("/" + drift.ANY_ITEM):
            parent = parent.rsplit("/", 1)[0]
        if not parent or parent in seen:
            missing.append(path)
    return missing
