"""The sabotage suite: the conformance kit must fail (exit 1) on every broken variant of the mock, and name
the check that catches the defect.

Each variant is also proven broken on its own: its symptom (plain httpx requests) sees the defect in the
variant and does not see it in the healthy mock, so a pass here never rests on a variant that is not
really broken. A symptom that cannot tell (`SymptomUnclear`) fails both tests.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest

from groupkit.conformance.runner import Options, run
from tests.conformance.sabotage import ALICE, EVA, VARIANTS, SymptomUnclear, Variant
from tests.conformance.sabotage.persistence import delete_does_nothing
from tests.conformance.sabotage.seams import ACME, AS_ALICE
from tests.conftest import TOKENS, serve

PARAMS = [pytest.param(variant, id=variant.name) for variant in VARIANTS]
# The demo users as personas: every role (permissions_are_enforced), for every variant
PERSONAS = [f"{name}={TOKENS[name]}" for name in ("bruno", "chloe", "dan")]
SERVED = [pytest.param(variant, variant, id=variant.name) for variant in VARIANTS]  # served, variant


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[str]:
    variant: Variant = request.param
    with serve(variant.build()) as url:
        yield url


def test_the_suite_has_29_distinct_variants() -> None:
    names = [variant.name for variant in VARIANTS]
    assert len(names) == len(set(names)) == 29


@pytest.mark.parametrize("served, variant", SERVED, indirect=["served"])
def test_variant_is_really_broken(served: str, variant: Variant) -> None:
    with httpx.Client(base_url=served, timeout=10) as http:
        assert variant.symptom(http) is True, f"{variant.name}: the defect does not show ({variant.defect})"


@pytest.mark.parametrize("variant", PARAMS)
def test_the_defect_is_absent_from_the_healthy_mock(client: httpx.Client, variant: Variant) -> None:
    assert variant.symptom(client) is False, f"{variant.name}: the healthy mock shows the defect"


def test_a_symptom_that_cannot_tell_fails_loudly(client: httpx.Client) -> None:
    """A symptom whose first answer is not the one it relies on raises instead of answering False: here
    the key it deletes twice is already gone."""
    key = {"groupId": ACME, "type": "SIGFOX"}
    assert client.delete("/group/apiKey", params=key, headers=AS_ALICE).status_code == 200
    with pytest.raises(SymptomUnclear, match="answered 404"):
        delete_does_nothing.symptom(client)


@pytest.mark.slow  # 23 full kit runs, about 1 s each: the proof runs in CI, the symptoms in the fast loop
@pytest.mark.parametrize("served, variant", SERVED, indirect=["served"])
def test_kit_fails_and_names_the_check(served: str, variant: Variant) -> None:
    out = io.StringIO()
    options = Options(
        base_url=served,
        token=ALICE,
        other_token=EVA,
        persona=PERSONAS,
        include=list(variant.include),
        max_examples=variant.max_examples,
        seed=1,
        workers=1,
    )
    result = run(options, out=out)
    reported = {finding.check for finding in result.failures}
    assert result.exit_code == 1, f"kit passed {variant.name} ({variant.defect}):\n{out.getvalue()}"
    assert reported & variant.checks, (
        f"{variant.name}: expected one of {sorted(variant.checks)}, kit reported {sorted(reported)}:\n"
        + out.getvalue()
    )
