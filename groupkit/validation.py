"""What the contract's formats mean on the wire, as connexion validator classes (its `validator_map`): an
e-mail address (`format: email`) and an integer query parameter (written with ASCII digits only).

connexion 3.3 checks `format: email` with jsonschema's checker, which asks only for an `@` somewhere (so
`a@` and `@b` pass), and reads an integer parameter with Python's `int()`, which also takes `٥`
(Arabic-Indic five), `+5`, ` 5 ` and `1_0`. The classes below extend connexion's own (the body validator's
format checker, on top of the strict JSON reading of `groupkit.guard`; the parameter validator's
`validate`); their refusals are connexion's `BadRequestProblem`, answered 400 by `groupkit.problems` like
every other schema violation. `validator_map()` is the one map the mock gives connexion.

Every schema is also compiled once (`groupkit.fastschema`, jsonschema_rs) and asked first: a value it finds
valid is valid; anything else goes through connexion's own validation, which builds every error message and
status exactly as before. Parameters, request bodies and response bodies all take this path, since
connexion builds a jsonschema validator per value per request (docs/performance.md).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.json_schema import Draft4RequestValidator
from connexion.utils import is_null, is_nullable
from connexion.validators import JSONResponseBodyValidator, ParameterValidator
from jsonschema import Draft4Validator, FormatChecker
from starlette.datastructures import QueryParams
from starlette.types import Scope

from . import fastschema
from .addresses import is_email
from .fastconnexion import written
from .guard import VALIDATOR_MAP, StrictJSONBodyValidator

# An integer as JSON writes one: an optional minus sign and ASCII digits.
_INTEGER = re.compile(r"-?[0-9]+")


def _format_checker() -> FormatChecker:
    """connexion's draft 4 format checker (a copy: jsonschema's own stays as it is), with `email` ours."""
    checker: FormatChecker = copy.copy(Draft4Validator.FORMAT_CHECKER)
    checker.checkers = dict(checker.checkers)
    checker.checks("email")(lambda value: not isinstance(value, str) or is_email(value))
    return checker


FORMAT_CHECKER = _format_checker()


class Compiler:
    """Compiled schemas by identity: connexion hands a validator the same schema object (from its own copy
    of the contract) for every request of an operation, so each is compiled once per app."""

    def __init__(self, checker: FormatChecker) -> None:
        self._checker = checker
        self._compiled: dict[int, tuple[Any, fastschema.Compiled | None]] = {}

    def is_valid(self, schema: Any, value: Any) -> bool:
        """True when `value` is valid against `schema` for sure; False means "ask connexion's validator"."""
        entry = self._compiled.get(id(schema))
        if entry is None or entry[0] is not schema:  # kept with its schema, so an id is never reused
            entry = (schema, fastschema.compile(schema, self._checker, "connexion"))
            self._compiled[id(schema)] = entry
        compiled = entry[1]
        return compiled is not None and compiled.is_valid(value)


class BodyValidator(StrictJSONBodyValidator):
    """The guard's strict JSON body validator (connexion's, reading strict JSON), checking formats with
    `FORMAT_CHECKER`; a body the compiled schema finds valid skips connexion's validation."""

    compiler = Compiler(FORMAT_CHECKER)  # replaced per app by `validator_map()`

    @property
    def _validator(self) -> Any:
        return Draft4RequestValidator(self._schema, format_checker=FORMAT_CHECKER)

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if body is not None and self.compiler.is_valid(self._schema, body):
            return None
        return super()._validate(body)  # type: ignore[no-any-return]  # connexion ships no types


class ResponseValidator(JSONResponseBodyValidator):  # type: ignore[misc]  # connexion ships no types
    """connexion's JSON response validator; a body the compiled schema finds valid skips connexion's
    validation (which, for a body that breaks the contract, logs and answers the 500 as before). The body
    the jsonifier has just written is not read back: the value it was written from is validated."""

    compiler = Compiler(Draft4Validator.FORMAT_CHECKER)  # connexion's checker; replaced per app
    _raw = b""
    _written = False

    def _parse(self, stream: Iterator[bytes]) -> Any:
        """The body's value: the one the jsonifier wrote it from, if it is that text
        (`fastconnexion.written`), else as connexion reads it."""
        self._raw = b"".join(stream)
        self._written, value = written(self._raw, self._encoding)
        return value if self._written else super()._parse(iter((self._raw,)))

    def _validate(self, body: Any) -> None:
        if self.compiler.is_valid(self._schema, body):
            return
        if self._written:  # connexion validates what it reads back, and words its error from it
            body = super()._parse(iter((self._raw,)))
        super()._validate(body)


class WireParameterValidator(ParameterValidator):  # type: ignore[misc]
    """connexion's parameter validator; first, every value of an integer query parameter must be written
    as JSON writes an integer (an optional `-` and the digits 0-9), as sent, before connexion reads it."""

    def validate(self, scope: Scope) -> None:
        sent = QueryParams(scope.get("query_string", b""))
        for parameter in self.parameters.get("query", []):
            if parameter.get("schema", parameter).get("type") != "integer":
                continue
            for value in sent.getlist(parameter["name"]):
                if not _INTEGER.fullmatch(value):
                    raise BadRequestProblem(
                        detail=f"{value!r} is not an integer (query parameter {parameter['name']!r}):"
                        " write it with the digits 0-9"
                    )
        super().validate(scope)

    compiler = Compiler(Draft4Validator.FORMAT_CHECKER)  # connexion's checker; replaced per app

    def validate_parameter(
        self, parameter_type: str, value: Any, param: dict[str, Any], param_name: str | None = None
    ) -> str | None:
        """connexion's check of one parameter's value (its error message, or None), asking the compiled
        schema first."""
        if value is not None and not (is_nullable(param) and is_null(value)):
            if self.compiler.is_valid(param.get("schema", param), value):
                return None
        return super().validate_parameter(parameter_type, value, param, param_name)  # type: ignore[no-any-return]


class CachedMediaTypeDict(MediaTypeDict):  # type: ignore[misc]  # connexion ships no types
    """connexion's `MediaTypeDict`, remembering what each media type it was asked for found: connexion's
    sorts its keys and runs `fnmatch` over them on every lookup, twice per request."""

    LIMIT = 64  # media types remembered at most (clients choose what they send)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._found: dict[str, Any] = {}

    def __getitem__(self, item: str) -> Any:
        try:
            return self._found[item]
        except KeyError:
            value = super().__getitem__(item)  # KeyError when none matches: not remembered
            if len(self._found) < self.LIMIT:
                self._found[item] = value
            return value

    def __setitem__(self, key: str, value: Any) -> None:
        self._found.clear()
        super().__setitem__(key, value)


def validator_map() -> dict[str, Any]:
    """The `validator_map` for connexion: the guard's (connexion's own, JSON read strictly) with these
    classes in place, each with compiled schemas of its own (so they live and die with one app)."""

    def fresh(cls: type[Any], checker: FormatChecker) -> type[Any]:
        return type(cls.__name__, (cls,), {"compiler": Compiler(checker), "__doc__": cls.__doc__})

    body = CachedMediaTypeDict({**VALIDATOR_MAP["body"], "*/*json": fresh(BodyValidator, FORMAT_CHECKER)})
    draft4 = Draft4Validator.FORMAT_CHECKER
    response = CachedMediaTypeDict({**VALIDATOR_MAP["response"], "*/*json": fresh(ResponseValidator, draft4)})
    parameter = fresh(WireParameterValidator, draft4)
    return {**VALIDATOR_MAP, "parameter": parameter, "body": body, "response": response}
