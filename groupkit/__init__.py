"""groupkit: a stateful mock server and a conformance kit for the UnaConnect Group API, from one contract."""

from __future__ import annotations

__version__ = "0.1.0"
