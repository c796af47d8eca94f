"""The sabotage suite's broken mocks: the real mock with ONE realistic defect each, built through
`create_app`'s public extension points (`tests/conformance/sabotage/seams.py`), grouped by the kind of defect."""

from __future__ import annotations

from tests.conformance.sabotage import (
    access,
    collateral,
    fields,
    inputs,
    pagination,
    persistence,
    roles,
    wire,
)
from tests.conformance.sabotage.seams import ALICE, EVA, SymptomUnclear, Variant

VARIANTS: tuple[Variant, ...] = (
    *wire.VARIANTS,
    *inputs.VARIANTS,
    *access.VARIANTS,
    *persistence.VARIANTS,
    *pagination.VARIANTS,
    *roles.VARIANTS,
    *collateral.VARIANTS,
    *fields.VARIANTS,
)

__all__ = ["ALICE", "EVA", "VARIANTS", "SymptomUnclear", "Variant"]
