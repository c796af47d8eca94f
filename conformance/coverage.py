"""Honest coverage: for each operation, the statuses its generated requests actually got, the requests that got
no answer, and the checks that really ran on a successful (2xx) answer, read from the engine's recorders.

An operation whose success path no generated request reached is *not verified*: the checks that judge a
success (schemas, read-after-write, field drift...) never ran on it, whatever "0 failures" says. The report
names it, and `--require-coverage` makes it fail the run. Only generated requests count (a check's own
follow-up requests do not), and only with the operation's own method (not the coverage phase's probes with
an undeclared method, which expect 405).
"""

from __future__ import annotations

from schemathesis.engine import Status
from schemathesis.engine.recorder import ScenarioRecorder

from .results import OperationCoverage

__all__ = ["Coverage"]

RAN = (Status.SUCCESS, Status.FAILURE)  # a check that returned "skipped" is not recorded at all
# Stock checks that return "passed" without judging anything here, so they are not listed as having run: the
# first two follow resource ids in paths (this API has none), the third needs schemathesis's auth peers,
# which the kit does not configure (docs/conformance.md, Stock checks).
INERT_WITHOUT_PATH_IDS = frozenset({"use_after_free", "ensure_resource_availability"})
INERT = frozenset({"object_level_authorization"})


class Coverage:
    """The coverage of the selected operations, filled scenario by scenario."""

    def __init__(self, operations: list[str]) -> None:
        self.by_operation = {label: OperationCoverage(label) for label in operations}

    def collect(self, recorder: ScenarioRecorder) -> None:
        """Count the generated requests of a finished scenario (every phase, stateful steps included)."""
        for case_id, node in recorder.cases.items():
            if node.parent_id is not None and node.transition is None:
                continue  # a request a check derived from a generated one (ignored_auth without credentials)
            case = node.value
            operation = case.operation
            if str(case.method).upper() != str(operation.method).upper():
                continue
            item = self.by_operation.setdefault(operation.label, OperationCoverage(operation.label))
            interaction = recorder.interactions.get(case_id)
            if interaction is None:
                continue  # never sent (hypothesis rejected it before the call)
            response = interaction.response
            if response is None:
                item.unanswered += 1
                continue
            item.statuses[response.status_code] += 1
            if 200 <= response.status_code < 300:
                inert = INERT if "{" in operation.path else INERT | INERT_WITHOUT_PATH_IDS
                item.checks.update(
                    check.name
                    for check in recorder.checks.get(case_id, ())
                    if check.status in RAN and check.name not in inert
                )

    def lost(self, operation: str) -> None:
        """Count a request of `operation` that got no answer (a timeout, a broken connection): the engine
        reports it as an error and keeps no trace of it in the scenario."""
        item = self.by_operation.setdefault(operation, OperationCoverage(operation))
        item.unanswered += 1

    def unanswered(self, recorder: ScenarioRecorder) -> int:
        """How many generated requests of a scenario got no answer (for its progress line)."""
        return sum(
            1
            for case_id, node in recorder.cases.items()
            if (node.parent_id is None or node.transition is not None)
            and (interaction := recorder.interactions.get(case_id)) is not None
            and interaction.response is None
        )
