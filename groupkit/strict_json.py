"""Strict JSON (RFC 8259) for every body the mock reads: UTF-8 text, no NaN or Infinity, no lone surrogates,
no repeated names, bounded nesting, so that nothing it stores or journals can fail to serialise later.

Python's `json` module is lenient where the RFC is not (it reads `NaN`, `Infinity` and `"\\ud800"`) and fails
with errors other than `ValueError` on hostile input (`RecursionError` for deep nesting); `loads` turns
every such input into one `InvalidJson` with a message fit for a 400's body.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

MAX_DEPTH = 64  # the contract's bodies nest 3 levels, a world 4; deeper is a client's bug or an attack

_SURROGATE = re.compile("[\ud800-\udfff]")  # after json.loads, only a lone surrogate can match


class InvalidJson(ValueError):
    """Raised by `loads` when a text is not strict JSON; the message says what is wrong and where."""


def loads(raw: bytes | str) -> Any:
    """The value of `raw`, a UTF-8 JSON text; `InvalidJson` if it is anything else."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidJson(f"Request body is not valid UTF-8 (byte {error.start})") from None
    else:
        text = raw
    if text.startswith("\ufeff"):
        raise InvalidJson("The body starts with a byte order mark, which JSON texts must not (RFC 8259)")
    try:
        value = json.loads(
            text, parse_constant=_no_constant, parse_float=_finite, object_pairs_hook=_unique_names
        )
    except InvalidJson:
        raise
    except json.JSONDecodeError as error:
        raise InvalidJson(str(error)) from None
    except RecursionError:
        raise InvalidJson(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:  # int() refuses more digits than sys.get_int_max_str_digits()
        limit = sys.get_int_max_str_digits()
        raise InvalidJson(f"A number in the JSON has more than {limit} digits") from None
    _check(value)
    return value


def _no_constant(name: str) -> Any:
    raise InvalidJson(f"{name} is not JSON (RFC 8259 has no NaN or Infinity)")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise InvalidJson(f"The number {text[:40]} is out of range")
    return number


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise InvalidJson(f"The name {name!r} appears twice in one object")
            seen.add(name)
    return result


def _check(value: Any) -> None:
    """Depth and lone surrogates, walked without recursion."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise InvalidJson(
                    "A string holds a lone surrogate (\\ud800-\\udfff), which is not Unicode text"
                )
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise InvalidJson(f"JSON nested deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                pending.extend((key, depth) for key in item)
                pending.extend((child, depth + 1) for child in item.values())
            else:
                pending.extend((child, depth + 1) for child in item)
