"""What the contract's formats mean on the wire, as connexion validator classes (its `validator_map`): an
e-mail address (`format: email`) and an integer query parameter (written with ASCII digits only).

connexion 3.3 checks `format: email` with jsonschema's checker, which asks only for an `@` somewhere (so
`a@` and `@b` pass), and reads an integer parameter with Python's `int()`, which also takes `٥`
(Arabic-Indic five), `+5`, ` 5 ` and `1_0`. The classes below extend connexion's own (the body validator's
format checker, on top of the strict JSON reading of `groupkit.guard`; the parameter validator's
`validate`); their refusals are connexion's `BadRequestProblem`, answered 400 by `groupkit.problems` like
every other schema violation. `validator_map()` is the one map the mock gives connexion.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.json_schema import Draft4RequestValidator
from connexion.validators import ParameterValidator
from jsonschema import Draft4Validator, FormatChecker
from starlette.datastructures import QueryParams
from starlette.types import Scope

from .addresses import is_email
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


class BodyValidator(StrictJSONBodyValidator):
    """The guard's strict JSON body validator (connexion's, reading strict JSON), checking formats with
    `FORMAT_CHECKER`."""

    @property
    def _validator(self) -> Any:
        return Draft4RequestValidator(self._schema, format_checker=FORMAT_CHECKER)


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


def validator_map() -> dict[str, Any]:
    """The `validator_map` for connexion: the guard's (connexion's own, JSON read strictly) with these
    classes in place."""
    body = MediaTypeDict({**VALIDATOR_MAP["body"], "*/*json": BodyValidator})
    return {**VALIDATOR_MAP, "parameter": WireParameterValidator, "body": body}
