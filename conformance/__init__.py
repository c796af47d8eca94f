"""The conformance kit: property-based checks of any live Group API server (or an in-process ASGI app)
against the contract, with schemathesis and hypothesis.

    groupkit conform --base-url URL --token TOKEN      the command (conformance/cli.py, runner.py)
    groupkit.conformance.load(...), CHECKS             the same checks from a pytest suite (api.py)
    groupkit.conformance.run(Options(...)) -> Result   a run from Python (options.py, results.py)

Attributes are imported lazily so that `groupkit --help` does not pay for importing schemathesis.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CHECKS", "ExitCode", "Finding", "Options", "Result", "created", "load", "run"]


def __getattr__(name: str) -> Any:
    if name in ("CHECKS", "load", "created"):
        from . import api

        return getattr(api, name)
    if name in ("ExitCode", "Finding", "Result"):
        from . import results

        return getattr(results, name)
    if name == "Options":
        from .options import Options

        return Options
    if name == "run":
        from .runner import run

        return run
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
