"""`groupkit world`: world files for every UI state, the shipped ones and generated ones of any size
(`generator`: what is in them; `names`: the edge cases of names; `writer`: streamed to disk; `cli`)."""

from __future__ import annotations

from .generator import Spec, SpecError, generate
from .writer import dump, write

__all__ = ["Spec", "SpecError", "dump", "generate", "write"]
