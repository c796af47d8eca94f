"""The sabotage suite's broken mocks: the real mock with ONE realistic defect each, built through
`create_app`'s public extension points (`tests/sabotage/seams.py`), grouped by the kind of defect."""

from __future__ import annotations

from . import access, inputs, pagination, persistence, wire
from .seams import ALICE, EVA, SymptomUnclear, Variant

VARIANTS: tuple[Variant, ...] = (
    *wire.VARIANTS,
    *inputs.VARIANTS,
    *access.VARIANTS,
    *persistence.VARIANTS,
    *pagination.VARIANTS,
)

__all__ = ["ALICE", "EVA", "VARIANTS", "SymptomUnclear", "Variant"]
